import datetime as dt
from pathlib import Path

from helpers import AS_OF, make_id, row, write_roster
from openpyxl import load_workbook

from passgen.batch import check_rosters
from passgen.rules import load_rules


def test_report_has_one_line_per_row_and_never_a_formula(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "r.xlsx", [
        row(),
        row(姓名="=HYPERLINK(\"http://x\")", 身份证号=make_id(dt.date(1960, 1, 1))),
        row(姓名="@SUM(A1)", 身份证号="bad"),
    ])
    result = check_rosters([roster], tmp_path, load_rules(), AS_OF)
    book = load_workbook(result.report)
    sheet = book["逐行结果"]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 3
    for cells in rows:
        for cell in cells:
            assert cell.data_type != "f"
    assert rows[1][3].value == "=HYPERLINK(\"http://x\")"
    assert rows[2][5].value == "未制卡" and "身份证号" in rows[2][9].value
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    summary = dict(book["汇总"].iter_rows(values_only=True))
    assert summary["读取行数 rows read"] == 3 and summary["未制卡 rejected"] == 1


def test_name_the_font_cannot_print_is_rejected(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "r.xlsx", [row(姓名="张\U00020000")])
    result = check_rosters([roster], tmp_path, load_rules(), AS_OF)
    [outcome] = result.outcomes
    assert outcome.error is not None and outcome.error.where.column == "姓名"
    assert "\U00020000" in outcome.error.zh
