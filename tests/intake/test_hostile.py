"""Hostile cells (issue #20): control characters, invisible formatting, overlong text and
full ID numbers of rejected rows.  A bad cell rejects its row only; nothing of it reaches a
report, a file name or a card; the batch goes on."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from helpers import AS_OF, HEADERS, fixed_key, make_id, row

from passgen.intake.roster import RowContext, read_rosters
from passgen.jobs.cards import run_cards
from passgen.models import Resident, RowError
from passgen.printing.layout import load_template
from passgen.rules import load_rules


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    """CSV, because openpyxl refuses to write the characters these tests need."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        for r in rows:
            writer.writerow(["" if r.get(h) is None else r.get(h) for h in HEADERS])
    return path


def read(path: Path) -> list[Resident | RowError]:
    return list(read_rosters([path], RowContext(AS_OF)))


@pytest.mark.parametrize("fields, column, code", [
    ({"姓名": "张\x00三"}, "姓名", "U+0000"),
    ({"姓名": "张三\x07"}, "姓名", "U+0007"),
    ({"姓名": "\u202e三张"}, "姓名", "U+202E"),  # right-to-left override
    ({"姓名": "张\u200b三"}, "姓名", "U+200B"),  # zero-width space
    ({"社区": "桂花\x1b[31m社区"}, "社区", "U+001B"),  # a terminal escape
    ({"住址": "桂花路\x0c1号"}, "住址", "U+000C"),
    ({"身份证号": make_id(dt.date(1950, 6, 15))[:10] + "\u2066" + "12345678"}, "身份证号",
     "U+2066"),
])
def test_a_control_character_rejects_its_row_only(tmp_path: Path, fields: dict[str, str],
                                                  column: str, code: str) -> None:
    path = write_csv(tmp_path / "r.csv", [row(**fields),
                                          row(姓名="李四", 身份证号=make_id(dt.date(1951, 1, 1)))])
    bad, good = read(path)
    assert isinstance(bad, RowError) and isinstance(good, Resident), bad
    assert bad.where.column == column and code in bad.zh and code in bad.en
    assert bad.value.isprintable()  # shown, never passed on
    assert code in bad.value or column == "身份证号"  # an ID number is masked instead
    assert bad.message.isprintable()


def test_tabs_line_breaks_and_wide_spaces_are_only_spacing(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", [row(姓名="张　三", 住址="桂花路1号\n2单元")])
    [r] = read(path)
    assert isinstance(r, Resident) and r.name == "张三"


@pytest.mark.parametrize("field, length, limit", [("姓名", 21, 20), ("社区", 31, 30),
                                                  ("住址", 121, 120), ("人工认定", 201, 200)])
def test_overlong_text_rejects_its_row(tmp_path: Path, field: str, length: int,
                                       limit: int) -> None:
    path = write_csv(tmp_path / "r.csv", [row(**{field: "很" * length}),
                                          row(**{field: "很" * (length - 1)}, 身份证号=make_id(
                                              dt.date(1951, 1, 1)))])
    bad, ok = read(path)
    assert isinstance(bad, RowError) and bad.where.column == field
    assert f"最多{limit}个" in bad.zh and f"at most {limit}" in bad.en
    assert len(bad.value) <= 21
    assert not (isinstance(ok, RowError) and "too long" in ok.en)


def test_a_3000_character_name_and_a_nul_do_not_stop_the_batch(tmp_path: Path) -> None:
    """The batch prints the good rows and its report holds the bad ones, readably."""
    from openpyxl import load_workbook

    rows = [row(姓名="很" * 3000), row(姓名="王\x00五", 身份证号=make_id(dt.date(1952, 1, 1))),
            row(姓名="赵六", 身份证号=make_id(dt.date(1953, 1, 1)))]
    result = run_cards([write_csv(tmp_path / "r.csv", rows)], fixed_key(), tmp_path / "out",
                       load_rules(), load_template(), AS_OF)
    assert (result.totals.cards, result.totals.rejected) == (1, 2)
    cells = [str(c.value) for r in load_workbook(result.report).worksheets[0].iter_rows()
             for c in r if c.value is not None]
    assert any("U+0000" in c for c in cells) and not any("\x00" in c for c in cells)
    assert not any(len(c) > 300 for c in cells)


def test_rejected_id_numbers_are_masked(tmp_path: Path) -> None:
    wrong = make_id(dt.date(1950, 6, 15))[:17] + ("0" if make_id(dt.date(1950, 6, 15))[17] != "0"
                                                   else "1")
    path = write_csv(tmp_path / "r.csv", [row(身份证号=wrong), row(身份证号="12345")])
    checksum, short = read(path)
    assert isinstance(checksum, RowError) and isinstance(short, RowError)
    assert wrong not in checksum.message and checksum.value == wrong[:6] + "********" + wrong[-4:]
    assert "12345" not in short.message and short.value == "12***"


def test_venue_cells_and_the_community_option_are_screened_too(tmp_path: Path) -> None:
    from passgen.errors import RosterError
    from passgen.intake.venues import OneVenue, single_venue

    bad = single_venue(OneVenue("东门\u202e菜市场", "桂花社区"))
    assert isinstance(bad, RowError) and "U+202E" in bad.zh and bad.where.column == "名称"
    with pytest.raises(RosterError) as info:
        list(read_rosters([write_csv(tmp_path / "r.csv", [row()])],
                          RowContext(AS_OF, community="桂花\x00社区")))
    assert "--community" in info.value.zh and "U+0000" in info.value.zh


def rewrite_part(source: Path, target: Path, name: str, data: bytes) -> Path:
    """``source`` (a workbook) with its part ``name`` replaced by ``data``."""
    import zipfile

    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w",
                                                         zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item.filename, data if item.filename == name else old.read(item))
        if name not in old.namelist():
            new.writestr(name, data)
    return target


def test_a_workbook_that_unpacks_too_big_is_refused_before_reading(tmp_path: Path) -> None:
    """A shared-strings part of 64 MB of one letter (64 KB packed) against a 2 MB limit: the
    zip directory and a bounded unpacking refuse it, not the reader after gigabytes."""
    import time

    from helpers import write_roster

    from passgen.errors import RosterError
    from passgen.intake.sheets import Limits

    plain = write_roster(tmp_path / "plain.xlsx", [row()])
    bomb = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" ' \
        b'uniqueCount="1"><si><t>' + b"A" * (64 << 20) + b"</t></si></sst>"
    path = rewrite_part(plain, tmp_path / "bomb.xlsx", "xl/sharedStrings.xml", bomb)
    assert path.stat().st_size < 1 << 20
    started = time.perf_counter()
    with pytest.raises(RosterError) as info:
        list(read_rosters([path], RowContext(AS_OF), Limits(max_mb=2)))
    assert time.perf_counter() - started < 10
    assert "bomb.xlsx" in info.value.zh and "--max-mb" in info.value.en
    assert "解压后有 64 MB" in info.value.zh  # the directory alone: 64 MB > 10 × 2 MB
    with pytest.raises(RosterError) as info:  # within 10 × 8 MB, but its text is over 8 MB
        list(read_rosters([path], RowContext(AS_OF), Limits(max_mb=8)))
    # and it unpacks to 1,000 times its size: refused from the directory (#36)
    assert "超过 100 倍" in info.value.zh and "sharedStrings.xml" in info.value.zh
    modest = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1"' \
        b' uniqueCount="1"><si><t>' + b"A" * (9 << 20) + b"</t></si></sst>"
    path = rewrite_part(plain, tmp_path / "text.xlsx", "xl/sharedStrings.xml", modest)
    with pytest.raises(RosterError) as info:  # under the ratio's floor: the text's bound
        list(read_rosters([path], RowContext(AS_OF), Limits(max_mb=8)))
    assert "文字内容超过 8 MB" in info.value.zh


def test_a_sheet_whose_dimension_is_over_the_row_limit_is_refused_unread(tmp_path: Path) -> None:
    import re
    import zipfile

    from helpers import write_roster

    from passgen.errors import RosterError
    from passgen.intake.sheets import Limits

    plain = write_roster(tmp_path / "plain.xlsx", [row()])
    with zipfile.ZipFile(plain) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    huge = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:U1048576"', sheet)
    assert huge != sheet
    path = rewrite_part(plain, tmp_path / "tall.xlsx", "xl/worksheets/sheet1.xml", huge)
    with pytest.raises(RosterError) as info:
        list(read_rosters([path], RowContext(AS_OF), Limits(max_rows=1000)))
    assert "1,048,576" in info.value.zh and "--max-rows" in info.value.en
    assert len(list(read_rosters([plain], RowContext(AS_OF), Limits(max_rows=1000)))) == 1


def test_max_rows_counts_the_whole_file_not_each_sheet(tmp_path: Path) -> None:
    """Issue #29 finding 8: --max-rows says a file, and counted per sheet."""
    from openpyxl import Workbook

    from passgen.errors import RosterError
    from passgen.intake.sheets import Limits

    book = Workbook()
    for index, sheet in enumerate((book.active, book.create_sheet("二"))):
        assert sheet is not None
        sheet.append(HEADERS)
        for i in range(6):
            sheet.append([row(姓名=f"王{index}{i}",
                              身份证号=make_id(dt.date(1950, 1, 1), 10 * index + i)).get(h)
                          for h in HEADERS])
    path = tmp_path / "two.xlsx"
    book.save(path)
    assert len(list(read_rosters([path], RowContext(AS_OF), Limits(max_rows=14)))) == 12
    with pytest.raises(RosterError, match="max-rows"):
        list(read_rosters([path], RowContext(AS_OF), Limits(max_rows=10)))


def test_a_csv_cell_too_long_is_said_as_such(tmp_path: Path) -> None:
    """Issue #29 finding 8: a cell over 131,072 characters was reported as an unclosed
    quote."""
    from passgen.errors import RosterError

    path = tmp_path / "long.csv"
    path.write_text(",".join(HEADERS) + "\n" + "张三," + "1" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(RosterError) as info:
        list(read_rosters([path], RowContext(AS_OF)))
    assert "131,072 个字" in info.value.zh and "引号" not in info.value.zh


def test_the_header_search_looks_at_a_bounded_part_of_each_row(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #29 finding 8: every cell of up to 30 rows was normalised (a 58 MB CSV spent 47 s
    there).  Only the first HEADER_COLUMNS cells of a row, and none over HEADER_CHARS."""
    from passgen.intake import headers
    from passgen.intake.columns import COLUMNS

    index = headers.HeaderIndex({c.field: c.headers for c in COLUMNS})
    seen: list[str] = []
    real = headers.header_key

    def counting(text: str) -> str:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(headers, "header_key", counting)
    wide = ["x" * 10] * 100_000 + ["姓名"]
    assert index.map(wide) == {} and len(seen) <= headers.HEADER_COLUMNS
    seen.clear()
    assert index.map(["y" * 100_000, "姓名"]) == {"name": 1} and "y" * 100_000 not in seen


def _with_dimension(source: Path, target: Path, ref: str) -> Path:
    """``source`` with its first sheet's <dimension> replaced by ``ref``."""
    import re
    import zipfile

    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(),
                              data)
            new.writestr(item, data)
    return target


def test_a_tiny_workbook_declaring_billions_of_cells_is_refused_before_reading(
        tmp_path: Path) -> None:
    """Issue #29 finding 2: a 5 KB .xlsx whose <dimension> says A1:XFD100000 aborted passgen
    with a Rust backtrace (52 GB asked for); A1:XFD5000 took 27 s and 2.6 GB.  Refused from
    the declaration, before the reader allocates; a sheet formatted across whole rows
    (A1:XFD20) is still read."""
    from openpyxl import Workbook

    from passgen.errors import RosterError

    plain = tmp_path / "plain.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    sheet.append([row().get(h) for h in HEADERS])
    book.save(plain)
    for ref in ("A1:XFD100000", "A1:XFD5000"):
        bomb = _with_dimension(plain, tmp_path / f"{ref}.xlsx", ref)
        assert bomb.stat().st_size < 20_000
        with pytest.raises(RosterError) as info:
            list(read_rosters([bomb], RowContext(AS_OF)))
        assert "个单元格" in info.value.zh and "cells" in info.value.en
    wide = _with_dimension(plain, tmp_path / "wide.xlsx", "A1:XFD20")
    assert len(list(read_rosters([wide], RowContext(AS_OF)))) == 1
