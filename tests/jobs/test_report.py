"""report.xlsx: one line per row, never a formula, rejections explained, the background writer."""

import datetime as dt
from pathlib import Path

import pytest
from helpers import AS_OF, make_id, row, write_roster
from openpyxl import load_workbook

from passgen.jobs.cards import check_rosters
from passgen.jobs.report import write_table
from passgen.rules import load_rules


def test_report_has_one_line_per_row_and_never_a_formula(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "r.xlsx", [
        row(),
        row(姓名="=HYPERLINK(\"x\")", 身份证号=make_id(dt.date(1960, 1, 1))),
        row(姓名="@SUM(A1)", 身份证号="bad"),
    ])
    result = check_rosters([roster], tmp_path, load_rules(), AS_OF)
    book = load_workbook(result.report)
    sheet = book["逐行结果"]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 3
    for cells in rows:
        for cell in cells:
            assert cell.data_type not in ("f", "e")
    assert rows[1][3].value == "=HYPERLINK(\"x\")"
    assert rows[2][5].value == "未通过" and "身份证号" in rows[2][9].value  # the guide's word
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:J4"
    # every line is filled by the resident's colour (column G), grey where 结果 (F) says 未通过
    [fills] = list(sheet.conditional_formatting)
    assert str(fills.sqref) == "A2:J4"
    rules = {r.formula[0]: r.dxf.fill.bgColor.rgb[-6:] for r in fills.rules}
    assert rules == {'$F2="未通过"': "D9D9D9", '$G2="绿码"': "C6EFCE", '$G2="黄码"': "FFEB9C",
                     '$G2="红码"': "FFC7CE"}
    summary = dict(book["汇总"].iter_rows(values_only=True))
    assert summary["读取行数 rows read"] == 3 and summary["未通过 rejected"] == 1
    assert summary["评定日期 as-of date"] == AS_OF.isoformat()


def test_text_that_looks_like_a_formula_or_an_error_stays_text(tmp_path: Path) -> None:
    values = ["=1+1", "#N/A", "#REF!", "+1", "-1", "@A1", "plain", 7]
    count = write_table(tmp_path / "t.xlsx", ["a"] * len(values), [8] * len(values), [values],
                        [], 0, "x")
    assert count == 1
    [cells] = load_workbook(tmp_path / "t.xlsx")["逐行结果"].iter_rows(min_row=2)
    assert [c.value for c in cells] == values
    assert [c.data_type for c in cells] == ["s"] * 7 + ["n"]


def test_name_the_font_cannot_print_is_rejected(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "r.xlsx", [row(姓名="张\U00020000")])
    result = check_rosters([roster], tmp_path, load_rules(), AS_OF)
    [outcome] = result.rejected
    assert outcome.error is not None and outcome.error.where.column == "姓名"
    assert "\U00020000" in outcome.error.zh


def test_background_report_matches_and_failures_surface(tmp_path: Path) -> None:
    """With --jobs > 1 the report is written by a child process: same rows; an error there
    reaches the caller as a clear error, not a hang."""
    from helpers import fixed_key

    from passgen.errors import PassgenError
    from passgen.jobs.cards import PrintOptions, run_cards
    from passgen.printing.layout import load_template

    rows = [row(姓名=f"甲{i}", 身份证号=make_id(dt.date(1950, 1, 1) + dt.timedelta(days=i), i))
            for i in range(300)] + [row(身份证号="bad")]
    roster = write_roster(tmp_path / "r.xlsx", rows)
    values = []
    for jobs in (1, 2):
        result = run_cards([roster], fixed_key(), tmp_path / f"j{jobs}", load_rules(),
                           PrintOptions(load_template(), jobs=jobs), AS_OF)
        sheet = load_workbook(result.report)["逐行结果"]
        values.append([[c.value for c in r] for r in sheet.iter_rows()])
    assert len(values[0]) == 302 and values[0] == values[1]
    for jobs in (1, 2):
        blocked = tmp_path / f"blocked{jobs}"
        (blocked / "report.xlsx").mkdir(parents=True)  # a folder where the report should go
        with pytest.raises(PassgenError, match="cannot write the report"):
            run_cards([roster], fixed_key(), blocked, load_rules(),
                      PrintOptions(load_template(), jobs=jobs), AS_OF)


def test_a_card_s_report_line_shows_its_serial_as_printed_and_the_batch_context(
        tmp_path: Path) -> None:
    from helpers import fixed_key, run_collecting

    from passgen.models import short_serial
    from passgen.printing.layout import load_template

    roster = write_roster(tmp_path / "r.xlsx", [row()])
    result = run_collecting([roster], fixed_key(), tmp_path / "out", load_rules(),
                            load_template(), AS_OF)
    [outcome] = result.outcomes
    book = load_workbook(result.report)
    [line] = list(book["逐行结果"].iter_rows(min_row=2, values_only=True))
    assert line[8] == short_serial(outcome.card.claims.serial)  # 1A2B-3C4D-…, as on the card
    summary = dict(book["汇总"].iter_rows(values_only=True))
    assert summary["签发日期 as-of date"] == AS_OF.isoformat()
    assert summary["签名密钥 key"] == f"{fixed_key().entry.kid.hex()} NC-TEST-01"
    assert summary["登记册 ledger"].startswith("（未使用")


def test_a_control_character_in_a_file_or_sheet_name_never_loses_the_report(
        tmp_path: Path) -> None:
    """Issue #29 finding 3: the PDFs were in place and the ledger batch complete, then the
    report died on the name (openpyxl refuses control characters): no report.xlsx, no
    manifest.  Names are data: shown as <U+XXXX>."""
    from helpers import fixed_key

    from passgen.jobs.cards import PrintOptions, run_cards
    from passgen.printing.layout import load_template

    roster = write_roster(tmp_path / "花名册\x07.xlsx", [row()], sheet="表\x1b一")
    result = run_cards([roster], fixed_key(), tmp_path / "out", load_rules(),
                       PrintOptions(load_template()), AS_OF, ledger=tmp_path / "l.sqlite")
    assert result.totals.cards == 1 and (tmp_path / "out" / "passgen-batch.json").exists()
    rows = list(load_workbook(result.report).worksheets[0].iter_rows(values_only=True))
    assert rows[1][0] == "花名册<U+0007>.xlsx" and rows[1][1] == "表<U+001B>一"
    from passgen.models import Location

    assert "\x1b" not in Location("a\x1b.xlsx", "s\x07", 2).describe()
