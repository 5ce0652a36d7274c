"""Roster rows: normalised values, date spellings, header aliases, refused files and rejected rows."""

import datetime as dt
from pathlib import Path

import pytest
from helpers import AS_OF, HEADERS, make_id, row, write_roster

from passgen.errors import RosterError
from passgen.intake.roster import RowContext, read_rosters
from passgen.models import Category, Colour, Resident, RowError

CTX = RowContext(AS_OF)


def read(path: Path, ctx: RowContext = CTX) -> list[Resident | RowError]:
    return list(read_rosters([path], ctx))


def test_good_row_is_normalised(tmp_path: Path) -> None:
    rid = make_id(dt.date(1950, 6, 15))
    path = write_roster(tmp_path / "r.xlsx", [row(
        姓名="\u3000李四 ", 身份证号=" " + rid.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
        **{"14天内旅居地区": "成都、武汉", "来南日期": "2020年3月5日", "症状": "发热，干咳",
           "上次颜色": "红码", "连续申报天数": "１４"})])
    [r] = read(path)
    assert isinstance(r, Resident)
    assert r.name == "李四" and r.id_number == rid
    assert r.category == Category.ELDERLY  # blank category, aged 69
    assert r.travel_regions == ("成都", "武汉") and r.arrival_date == dt.date(2020, 3, 5)
    assert r.symptoms == ("发热", "干咳")
    assert r.previous_colour == Colour.RED and r.report_days == 14
    assert (r.where.file, r.where.sheet, r.where.row) == ("r.xlsx", "花名册", 2)


@pytest.mark.parametrize("text", ["2020-03-05", "2020/3/5", "2020.3.5", "2020年3月5日", 43895,
                                  dt.datetime(2020, 3, 5, 0, 0)])
def test_date_spellings(tmp_path: Path, text: object) -> None:
    path = write_roster(tmp_path / "r.xlsx", [row(**{"14天内旅居地区": "成都", "来南日期": text})])
    [r] = read(path)
    assert isinstance(r, Resident) and r.arrival_date == dt.date(2020, 3, 5)


def test_missing_health_column_rejects_every_row_of_its_sheet(tmp_path: Path) -> None:
    """A mistyped health header never turns an estate green: every row of the sheet is
    rejected naming the column; the file's other sheets are read on (issue #39)."""
    headers = [h for h in HEADERS if h != "症状"]
    path = write_roster(tmp_path / "r.xlsx", [row(), row(身份证号=make_id(dt.date(1951, 1, 1)))],
                        headers=headers)
    rejected = read(path)
    assert len(rejected) == 2 and all(isinstance(r, RowError) for r in rejected)
    first = rejected[0]
    assert isinstance(first, RowError) and first.where.column == "症状"
    assert "症状" in first.zh and "姓名" in first.zh and "没有读取" in first.zh


def test_header_aliases_and_full_width(tmp_path: Path) -> None:
    headers = ["姓名" if h == "姓名" else "公民身份号码" if h == "身份证号" else
               "１４天内旅居地区" if h == "14天内旅居地区" else h for h in HEADERS]
    rows = [{("公民身份号码" if k == "身份证号" else k): v for k, v in row().items()}]
    path = write_roster(tmp_path / "r.xlsx", rows, headers=headers)
    [r] = read(path)
    assert isinstance(r, Resident)


def test_id_stored_as_number_is_rejected_with_fix(tmp_path: Path) -> None:
    path = write_roster(tmp_path / "r.xlsx", [row(身份证号=5.11302e17)])
    [r] = read(path)
    assert isinstance(r, RowError)
    assert r.where.column == "身份证号" and "文本" in r.zh and "Text" in r.en
    assert r.name == "张三"


@pytest.mark.parametrize("fields, column", [
    ({"姓名": ""}, "姓名"),
    ({"身份证号": ""}, "身份证号"),
    ({"类别": "干部"}, "类别"),
    ({"人员状态": "很好"}, "人员状态"),
    ({"人员状态": "治愈出院居家观察"}, "状态日期"),
    ({"14天内旅居地区": "成都"}, "来南日期"),
    ({"14天内境外旅居国家": "日本"}, "入境日期"),
    ({"与观察人员同住": "也许"}, "与观察人员同住"),
    ({"来南日期": "2020-02-30", "14天内旅居地区": "成都"}, "来南日期"),
    ({"来南日期": "2020-04-30", "14天内旅居地区": "成都"}, "来南日期"),
    ({"人工认定": "低风险"}, "人工认定"),
    ({"上次颜色": "蓝码"}, "上次颜色"),
    ({"连续申报天数": "十四"}, "连续申报天数"),
    ({"社区": ""}, "社区"),
])
def test_bad_cells_reject_the_row_naming_the_column(tmp_path: Path, fields: dict[str, object],
                                                     column: str) -> None:
    path = write_roster(tmp_path / "r.xlsx", [row(**fields)])
    [r] = read(path)
    assert isinstance(r, RowError), fields
    assert r.where.column == column
    assert r.where.row == 2 and r.zh and r.en
    assert "r.xlsx" in r.message and "第2行" in r.message


def test_community_option_fills_blank_cells(tmp_path: Path) -> None:
    path = write_roster(tmp_path / "r.xlsx", [row(社区="")])
    [r] = read(path, RowContext(AS_OF, "西门社区"))
    assert isinstance(r, Resident) and r.community == "西门社区"


def test_blank_rows_skipped_and_duplicates_reported(tmp_path: Path) -> None:
    a = row()
    b = row(姓名="李四", 身份证号=make_id(dt.date(1980, 1, 1)))
    path = write_roster(tmp_path / "r.xlsx", [a, None, b, a])  # type: ignore[list-item]
    out = read(path)
    assert [type(o).__name__ for o in out] == ["Resident", "Resident", "RowError"]
    dup = out[2]
    assert isinstance(dup, RowError) and dup.where.row == 5 and "第2行" in dup.zh


def test_duplicates_across_files(tmp_path: Path) -> None:
    one = write_roster(tmp_path / "a.xlsx", [row()])
    two = write_roster(tmp_path / "b.xlsx", [row()])
    out = list(read_rosters([one, two], CTX))
    assert isinstance(out[1], RowError) and "a.xlsx" in out[1].zh


def test_unreadable_and_unsupported_files(tmp_path: Path) -> None:
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(RosterError):
        read(bad)
    other = tmp_path / "r.docx"
    other.write_text("姓名\n")
    with pytest.raises(RosterError, match="unsupported"):
        read(other)


def test_names_are_trimmed_and_aligned_chinese_names_closed_up() -> None:
    from passgen.intake.cells import clean_name

    assert clean_name("\u3000李\u3000四 ") == "李四"
    assert clean_name("买买提·艾力") == "买买提·艾力"
    assert clean_name(" Ayi  Ma ") == "Ayi  Ma"
