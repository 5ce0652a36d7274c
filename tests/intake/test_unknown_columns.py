"""Issue #34 finding 6: a column passgen does not know (备注, 序号, 签名 …) is ignored, in
every position, and named once in the report; an absent field reads blank, never another
column's cell (DESIGN.md §3)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from helpers import AS_OF, HEADERS, make_id, row, write_roster

from passgen.intake.roster import RowContext, SheetNotice, read_rosters
from passgen.models import Colour, Resident, RowError
from passgen.rules import evaluate, load_rules

RULES = load_rules()
# the template's header without 人工认定 (the layout that signed 红码 for a remark)
WITHOUT_OVERRIDE = [h for h in HEADERS if h != "人工认定"]
LAYOUTS = {"template": HEADERS, "without-override": WITHOUT_OVERRIDE,
           "required-only": ["姓名", "身份证号", "社区", "14天内旅居地区", "来南日期",
                             "14天内境外旅居国家", "入境日期", "症状", "人员状态", "状态日期",
                             "14天内接触疫情较重地区人员", "与观察人员同住"]}
REMARKS = ("高风险", "中风险", "红码", "确诊", "发热", "是", "2020-03-01", "在备注中说明：姓名有生僻字")


def cases() -> list[tuple[str, int, str]]:
    return [(layout, at, column) for layout, headers in LAYOUTS.items()
            for at in range(len(headers) + 1) for column in ("备注", "序号", "签名")]


@pytest.mark.parametrize("layout, at, column", cases())
def test_an_unknown_column_anywhere_changes_nothing(tmp_path: Path, layout: str, at: int,
                                                    column: str) -> None:
    headers = list(LAYOUTS[layout])
    headers.insert(at, column)
    rows = [row(**{column: remark, "身份证号": make_id(dt.date(1950, 1, 1), n)})
            for n, remark in enumerate(REMARKS)]
    notices: list[SheetNotice] = []
    read = list(read_rosters([write_roster(tmp_path / "r.xlsx", rows, headers)],
                             RowContext(AS_OF), notices=notices))
    assert all(isinstance(r, Resident) for r in read), [getattr(r, "message", r) for r in read]
    for resident in read:
        assert isinstance(resident, Resident)
        assessment = evaluate(resident, AS_OF, RULES)
        assert not isinstance(assessment, RowError)
        assert assessment.colour == Colour.GREEN, (resident, assessment)
        assert resident.override == "" and resident.case_status == "正常"
        assert not resident.symptoms and not resident.severe_contact
    [named] = [n for n in notices if column in n.zh]
    assert "已忽略" in named.zh and "不影响颜色" in named.zh and column in named.en


def test_an_absent_field_reads_blank_not_the_next_column(tmp_path: Path) -> None:
    """The exact layout of the report: template minus 人工认定 plus 备注 right after the last
    known column: "高风险" there used to be read as 人工认定 and sign 红码 (R10)."""
    headers = [*WITHOUT_OVERRIDE, "备注"]
    [resident] = read_rosters([write_roster(tmp_path / "r.xlsx", [row(备注="高风险")],
                                            headers)], RowContext(AS_OF))
    assert isinstance(resident, Resident)
    assert resident.override == ""
    assessment = evaluate(resident, AS_OF, RULES)
    assert not isinstance(assessment, RowError) and assessment.colour == Colour.GREEN


# --- issue #36 finding 4: no ID or phone number in a printed text ---------------------------

@pytest.mark.parametrize("column, value", [
    ("姓名", "511302193001020008"), ("姓名", "张三13912345678"), ("姓名", "５１１３０２１９３００１０２０００８"),
    ("社区", "511302193001020008"), ("社区", "桂花社区 139-1234-5678"), ("社区", "51130219300102000X"),
])
def test_an_id_or_phone_number_in_a_printed_cell_rejects_the_row(
        tmp_path: Path, column: str, value: str) -> None:
    """An ID pasted into 姓名 was signed into the QR as the name; one in 社区 was printed on
    the card and became cards-511302193001020008-001.pdf."""
    [read] = read_rosters([write_roster(tmp_path / "r.xlsx", [row(**{column: value})])],
                          RowContext(AS_OF))
    assert isinstance(read, RowError) and read.where.column == column
    assert "身份证号或电话号码" in read.zh
    digits = "".join(ch for ch in read.value if ch.isdigit())
    assert "193001020" not in digits and "12345678" not in read.value


@pytest.mark.parametrize("value", ["桂花社区", "桂花社区3栋", "张三", "第12号院", "2020年新社区"])
def test_short_numbers_in_names_and_places_are_fine(tmp_path: Path, value: str) -> None:
    [read] = read_rosters([write_roster(tmp_path / "r.xlsx", [row(社区=value)])],
                          RowContext(AS_OF))
    assert isinstance(read, Resident) and read.community == value


def test_community_option_and_venues_refuse_numbers_too(tmp_path: Path) -> None:
    from passgen.errors import RosterError
    from passgen.intake.venues import OneVenue, single_venue

    with pytest.raises(RosterError) as info:
        list(read_rosters([write_roster(tmp_path / "r.xlsx", [row(社区=None)])],
                          RowContext(AS_OF, "13912345678")))
    assert "身份证号或电话号码" in info.value.zh
    venue = single_venue(OneVenue("骏达市场 13912345678", "桂花社区"))
    assert isinstance(venue, RowError) and venue.where.column == "名称"


def test_rows_holding_only_a_number_or_prefilled_values_are_blank(tmp_path: Path) -> None:
    """Issue #39 finding 5: rows holding only a pre-filled 序号 each gave 姓名为空 (15 in one
    sheet), and 指南's fix, 补上姓名, was wrong for them."""
    headers = ["序号", *HEADERS]
    prefilled = {"姓名": None, "身份证号": None, "社区": "桂花社区", "人员状态": "正常",
                 "14天内接触疫情较重地区人员": "否", "与观察人员同住": "否"}
    rows = [row(序号=1), *({"序号": n} for n in range(2, 17)),
            *({**prefilled, "序号": n} for n in range(17, 20)),
            {**prefilled, "序号": 20, "14天内旅居地区": "武汉", "来南日期": AS_OF}]
    notices: list[SheetNotice] = []
    read = list(read_rosters([write_roster(tmp_path / "r.xlsx", rows, headers)],
                             RowContext(AS_OF), notices=notices))
    assert len(read) == 2 and isinstance(read[0], Resident)
    assert isinstance(read[1], RowError) and read[1].where.row == 21  # a person, unnamed
    [said] = [n for n in notices if "按空行处理" in n.zh]
    assert said.rows == 18 and "18 行" in said.zh
