"""Generate the sample rosters of the fictional 桂花社区 (run: python samples/make_samples.py).

Everything is fictional: names are random pairs of common characters, ID numbers are made up
(with valid check digits).  Dates are relative to the demo's as-of date, 2020-03-25.  A few
rows are wrong on purpose so the report shows rejections.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path
from typing import Any

from passgen.intake.idcard import check_digit

AS_OF = dt.date(2020, 3, 25)
COMMUNITY = "桂花社区"
HEADERS = ["姓名", "身份证号", "类别", "社区", "住址", "联系电话", "监护人", "监护人电话",
           "14天内旅居地区", "来南日期", "14天内境外旅居国家", "入境日期", "症状", "人员状态",
           "状态日期", "14天内接触疫情较重地区人员", "与观察人员同住", "健康证明有效期至",
           "人工认定", "上次颜色", "连续申报天数"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = "建国淑芬秀英玉兰桂香志强德明文华春梅丽娟海燕子涵雨欣浩然梓轩一鸣思远佳怡欣妍宇航俊杰"


def id_number(rng: random.Random, born: dt.date) -> str:
    first17 = f"511302{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + check_digit(first17)


def days_ago(n: int) -> dt.date:
    return AS_OF - dt.timedelta(days=n)


# Health facts for special rows: (column → value), the rest of the row is ordinary.
SCENARIOS: list[dict[str, Any]] = [
    {"症状": "发热、干咳"},                                           # Y2
    {"14天内旅居地区": "湖北省武汉市", "来南日期": days_ago(5)},          # R1, R5
    {"人员状态": "确诊", "状态日期": days_ago(3)},                      # R2
    {"人员状态": "治愈出院", "状态日期": days_ago(6)},                  # R8
    {"人员状态": "治愈出院居家观察", "状态日期": days_ago(5)},          # R8, Y3: red for 14 days
    {"14天内旅居地区": "湖北省武汉市", "来南日期": days_ago(20)},         # R1 has no window: red
    {"人员状态": "密切接触者隔离", "状态日期": days_ago(2)},            # R4
    {"与观察人员同住": "是"},                                         # R7
    {"14天内境外旅居国家": "意大利", "入境日期": days_ago(9)},           # R9
    {"14天内境外旅居国家": "泰国", "入境日期": days_ago(9)},             # Y4
    {"14天内旅居地区": "成都", "来南日期": days_ago(4)},                 # G2
    {"上次颜色": "红码", "连续申报天数": 14},                          # T2: red → yellow
    {"上次颜色": "黄码", "连续申报天数": 6},                           # T1 held: stays yellow
    {"上次颜色": "红码", "连续申报天数": 28},                          # T2 and T1: green
    {"人工认定": "中风险"},                                           # Y5
    {"14天内接触疫情较重地区人员": "是"},                              # R6
]


def make_rows(rng: random.Random, count: int, born_from: int, born_to: int, student: bool,
              bad: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    scenarios = list(SCENARIOS)
    rng.shuffle(scenarios)
    for i in range(count):
        born = dt.date(rng.randint(born_from, born_to), rng.randint(1, 12), rng.randint(1, 28))
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
        row: dict[str, Any] = {h: "" for h in HEADERS}
        row.update({
            "姓名": name, "身份证号": id_number(rng, born), "类别": "学生" if student else "",
            "社区": COMMUNITY, "住址": f"桂花路{rng.randint(1, 99)}号{rng.randint(1, 6)}栋",
            "联系电话": f"139{rng.randrange(10**8):08d}", "人员状态": "正常",
            "14天内接触疫情较重地区人员": "否", "与观察人员同住": "否",
        })
        if student:
            row["监护人"] = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            row["监护人电话"] = f"138{rng.randrange(10**8):08d}"
        if i % 3 == 0 and scenarios:
            row.update(scenarios.pop())
        rows.append([row[h] for h in HEADERS])
    for b in bad:
        born = dt.date(1950 if not student else 2010, 6, 15)
        row = {h: "" for h in HEADERS}
        row.update({"姓名": "错误示例", "身份证号": id_number(rng, born), "社区": COMMUNITY,
                    "人员状态": "正常", "14天内接触疫情较重地区人员": "否", "与观察人员同住": "否",
                    "类别": "学生" if student else ""})
        row.update(b)
        if row["身份证号"] == "WRONG-CHECK-DIGIT":
            good = id_number(rng, born)
            row["身份证号"] = good[:17] + ("0" if good[17] != "0" else "1")
        rows.append([row[h] for h in HEADERS])
    return rows


ELDERLY_BAD = [
    {"姓名": "错号示例", "身份证号": "WRONG-CHECK-DIGIT"},              # wrong check digit
    {"姓名": "数字示例", "身份证号": 511302195006150000},              # ID stored as a number
    {"姓名": "地区示例", "14天内旅居地区": "火星市", "来南日期": days_ago(3)},  # unknown region
]
STUDENT_BAD = [
    {"姓名": "日期示例", "人员状态": "治愈出院", "状态日期": "2020-02-30"},  # impossible date
    {"姓名": "观察示例", "人员状态": "居家观察", "状态日期": days_ago(3)},  # ambiguous status
    {"姓名": "状态示例", "人员状态": "好得很"},                          # unknown status
]


def rosters() -> dict[str, list[list[Any]]]:
    """File name → rows (header first), the same every time."""
    rng = random.Random(20200325)
    return {
        "elderly.xlsx": [HEADERS] + make_rows(rng, 32, 1932, 1959, False, ELDERLY_BAD),
        "students.xlsx": [HEADERS] + make_rows(rng, 31, 2003, 2013, True, STUDENT_BAD),
    }


VENUES = [
    ["名称", "社区", "地址", "类型", "咨询电话", "二维码内容"],
    ["骏达市场", "西门社区", "西门路12号", "农贸市场", "0817-2345678", ""],
    ["桂花苑小区东门", "桂花社区", "桂花路1号", "小区出入口", "0817-2345679", ""],
    ["南充汽车站", "西门社区", "车站路8号", "交通站点", "12345", ""],
]


def sheets() -> dict[str, tuple[str, list[list[Any]]]]:
    """File name → (sheet title, rows): the two rosters and a venue list for posters."""
    return {**{name: ("花名册", rows) for name, rows in rosters().items()},
            "点位表.xlsx": ("点位", VENUES)}


def write(folder: Path) -> list[Path]:
    from openpyxl import Workbook

    paths = []
    for name, (title, rows) in sheets().items():
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = title
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.number_format = "@"
        for row_cells in sheet.iter_rows(min_row=2):
            for cell in row_cells:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
        path = folder / name
        book.save(path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    for p in write(target):
        print(p)
