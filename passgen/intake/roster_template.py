"""``passgen roster template``: a blank roster a clerk fills in without Excel destroying it.

The ID and phone columns are formatted as text (so Excel keeps all 18 digits), coded columns
have drop-down lists, date columns accept only dates, the header is frozen, and a second
sheet explains every column with an example.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from passgen.files import atomic_write
from passgen.intake.columns import (
    CASE_STATUSES,
    COLUMNS,
    INSTRUCTIONS_MARK,
    INSTRUCTIONS_SHEET,
    OVERRIDES,
)

ROWS = 2000  # rows prepared with formats and validation

TEXT_FIELDS = {"id_number", "phone", "guardian_phone", "name", "guardian", "address",
               "community", "travel_regions", "abroad_countries", "symptoms"}
DATE_FIELDS = {"arrival_date", "entry_date", "status_date", "certificate_until"}
CHOICES = {
    "category": ["老年人", "学生", "其他"],
    "case_status": list(CASE_STATUSES),
    "severe_contact": ["是", "否"],
    "lives_with_observed": ["是", "否"],
    "override": list(OVERRIDES),
    "previous_colour": ["绿码", "黄码", "红码"],
}
EXPLAIN: dict[str, tuple[str, str]] = {
    "name": ("居民姓名，与身份证一致", "张秀英"),
    "id_number": ("18位身份证号（本列已设为文本格式，请勿改为数字）", "11010519491231002X"),
    "category": ("老年人、学生或其他；不填时60岁及以上按老年人，不满18岁按学生，其余按其他", "老年人"),
    "community": ("所属社区；全表相同时可不填，制卡时用 --community 指定", "桂花社区"),
    "address": ("住址（不印在卡上，不放入二维码）", "桂花路12号3栋"),
    "phone": ("联系电话（不印在卡上）", "13912345678"),
    "guardian": ("监护人姓名（学生、行动不便的老人）", "张建国"),
    "guardian_phone": ("监护人电话", "13812345678"),
    "travel_regions": ("去过的省外或市外地区，用顿号分隔；转为绿码之前一直要填（过了14天也不要清空）；"
                       "没有请留空", "湖北省武汉市、成都"),
    "arrival_date": ("回到本地（来南）的日期；填了旅居地区时必填", "2020-03-05"),
    "abroad_countries": ("去过的国家（地区），用顿号分隔；转为绿码之前一直要填（过了14天也不要清空）；"
                         "没有请留空", "泰国"),
    "entry_date": ("入境日期；填了境外国家时必填", "2020-03-01"),
    "symptoms": ("发热、干咳、气促等症状，用顿号分隔；没有请留空或填“无”", "无"),
    "case_status": ("从下拉列表选择；不填即“正常”。出院后居家观察填“治愈出院居家观察”，"
                    "居家隔离的密切接触者填“密切接触者隔离”（只写“居家观察”会被退回）", "正常"),
    "status_date": ("该状态开始的日期（出院、解除隔离、开始隔离）；“治愈出院居家观察”填出院日期；"
                    "状态为正常时留空；转为绿码之前不要改", ""),
    "severe_contact": ("14天内是否接触过疫情较重地区人员：是/否", "否"),
    "lives_with_observed": ("目前是否与正在观察的人员同住：是/否", "否"),
    "certificate_until": ("有效的省际互认健康证明（外出务工健康证明）的截止日期", ""),
    "override": ("工作人员人工认定的风险等级（高风险/中风险）；一般留空", ""),
    "previous_colour": ("别处（外单位、使用 passgen 之前）发的上一张卡的颜色；本办公室登记册里已有"
                        "此人的卡时以登记册为准：填得比登记册差按所填，填得比登记册好则这一行不予通过",
                        "黄码"),
    "report_days": ("截至签发日期，此人连续每天符合条件的健康申报天数（整数，0至1000）。是连续申报的"
                    "总天数，不是距上一张卡的天数：每周发卡时也填到当天为止的连续天数（上次的天数加上"
                    "两次之间的天数；中断过则从重新申报那天算）。红码、黄码从到达、入境、出院、解除隔离"
                    "或开始隔离那天起，每满14天转好一级，一级一级地转（红→黄，再满14天→绿）；有症状的"
                    "日子不算", "14"),
}


def write_template(path: Path, force: bool = False) -> None:
    """Write the blank roster atomically; an existing file is refused unless ``force``."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "花名册"
    headers = [c.headers[0] for c in COLUMNS]
    sheet.append(headers)
    required = PatternFill("solid", fgColor="FCE4D6")
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(1, index)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
        if column.required:
            cell.fill = required
        sheet.column_dimensions[letter].width = 22 if column.field == "id_number" else 14
        cells = f"{letter}2:{letter}{ROWS + 1}"
        if column.field in TEXT_FIELDS:
            for row in range(2, ROWS + 2):
                sheet.cell(row, index).number_format = "@"
        if column.field in DATE_FIELDS:
            for row in range(2, ROWS + 2):
                sheet.cell(row, index).number_format = "yyyy-mm-dd"
            rule = DataValidation(type="date", operator="between", formula1="DATE(1900,1,1)",
                                  formula2="DATE(2100,12,31)", allow_blank=True,
                                  showErrorMessage=True, errorTitle="日期",
                                  error="请输入日期，例如 2020-03-05")
            rule.add(cells)
            sheet.add_data_validation(rule)
        if column.field in CHOICES:
            rule = DataValidation(type="list", formula1='"' + ",".join(CHOICES[column.field]) + '"',
                                  allow_blank=True, showErrorMessage=True, errorTitle="请选择",
                                  error="请从下拉列表中选择")
            rule.add(cells)
            sheet.add_data_validation(rule)
        if column.field == "report_days":
            rule = DataValidation(type="whole", operator="between", formula1="0",
                                  formula2="1000", allow_blank=True, showErrorMessage=True,
                                  error="请输入整数天数")
            rule.add(cells)
            sheet.add_data_validation(rule)
    sheet.freeze_panes = "A2"

    help_sheet = book.create_sheet(INSTRUCTIONS_SHEET)
    help_sheet.append([f"{INSTRUCTIONS_MARK}（本页不会被读取 / this sheet is not read）"])
    help_sheet.append(["列名 column", "必填 required", "说明 explanation", "示例 example"])
    for cell in help_sheet[2]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        text, example = EXPLAIN[column.field]
        needed = "是（列必须有，可留空）" if column.required and column.field not in (
            "name", "id_number") else ("是" if column.required else "否")
        help_sheet.append([column.headers[0], needed, text, example])
        help_sheet.cell(help_sheet.max_row, 4).number_format = "@"
    for letter, width in zip("ABCD", (26, 22, 70, 24), strict=True):
        help_sheet.column_dimensions[letter].width = width
    atomic_write(path, lambda tmp: book.save(tmp), overwrite=force)


VENUE_EXPLAIN = {
    "名称": ("场所名称，印在海报上", "骏达市场"),
    "社区": ("所属社区", "西门社区"),
    "地址": ("地址，印在海报上", "西门路12号"),
    "类型": ("场所类型（农贸市场、小区出入口…）", "农贸市场"),
    "咨询电话": ("印在海报上的电话；不填用版式中的", "0817-2345678"),
    "二维码内容": ("宣传海报的申领链接；不填时用 passgen posters --url 给出的", ""),
}


def write_venue_template(path: Path, force: bool = False) -> None:
    """``passgen posters template``: a blank venue list.  Its first row explains the columns
    (a title row above the header is skipped by the reader), the phone column is text."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "点位表"
    sheet.append(["填写说明：" + "；".join(f"{k}：{v[0]}" for k, v in VENUE_EXPLAIN.items())])
    sheet.append(list(VENUE_EXPLAIN))
    for index, header in enumerate(VENUE_EXPLAIN, start=1):
        letter = get_column_letter(index)
        sheet.cell(2, index).font = Font(bold=True)
        sheet.column_dimensions[letter].width = 40 if header == "二维码内容" else 18
        if header in ("咨询电话", "名称", "地址"):
            for row in range(3, ROWS + 3):
                sheet.cell(row, index).number_format = "@"
    sheet.freeze_panes = "A3"
    atomic_write(path, lambda tmp: book.save(tmp), overwrite=force)
