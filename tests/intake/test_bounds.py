"""Tiny spreadsheets that would make the reader allocate gigabytes (issue #29, finding 2):
each format's extent is measured from its own structure and refused, with the sheet and
where its far content is, before the reader sees the file; real rosters pass."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from helpers import AS_OF, HEADERS, make_id, row, write_roster
from hypothesis import given, settings
from hypothesis import strategies as st

from passgen.errors import RosterError
from passgen.intake import extents
from passgen.intake.roster import RowContext, read_rosters
from passgen.intake.sheets import Limits, read_sheets

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def no_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader must never be reached: a refusal comes from the file's structure."""
    import python_calamine

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the spreadsheet reader was reached")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", refused)


def write_xlsx(path: Path, sheet_xml: str, name: str = "花名册",
               part: str = "xl/worksheets/sheet1.xml",
               target: str = "worksheets/sheet1.xml") -> Path:
    """A minimal .xlsx of one sheet whose <sheetData> is ``sheet_xml``, byte for byte; the
    sheet in ``part``, which the workbook's relationship names as ``target``."""
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", f'<Types xmlns="{package}/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                   'package.relationships+xml"/><Default Extension="xml" ContentType='
                   '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
                   '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main'
                   '+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
                   '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet'
                   '+xml"/></Types>')
        z.writestr("_rels/.rels", f'<Relationships xmlns="{package}/relationships">'
                   f'<Relationship Id="rId1" Type="{rels}/officeDocument" '
                   'Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{rels}"><sheets>'
                   f'<sheet name="{escape(name)}" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{package}/'
                   f'relationships"><Relationship Id="rId1" Type="{rels}/worksheet" '
                   f'Target="{target}"/></Relationships>')
        z.writestr(part,
                   f'<worksheet xmlns="{MAIN}"><sheetData>{sheet_xml}</sheetData></worksheet>')
    return path


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def write_ods(path: Path, tables: list[tuple[str, str]]) -> Path:
    """A minimal .ods: (table name, its rows' XML) per table."""
    ns = "urn:oasis:names:tc:opendocument:xmlns"
    body = "".join(f'<table:table table:name="{escape(n)}">{rows}</table:table>'
                   for n, rows in tables)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", f'<manifest:manifest xmlns:manifest="{ns}:'
                   'manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:'
                   'full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
                   'spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
                   'manifest:media-type="text/xml"/></manifest:manifest>',
                   zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", f'<office:document-content xmlns:office="{ns}:office:1.0" '
                   f'xmlns:table="{ns}:table:1.0" xmlns:text="{ns}:text:1.0" office:version='
                   f'"1.2"><office:body><office:spreadsheet>{body}</office:spreadsheet>'
                   '</office:body></office:document-content>', zipfile.ZIP_DEFLATED)
    return path


def ods_cell(text: str, repeat: int = 1) -> str:
    return (f'<table:table-cell table:number-columns-repeated="{repeat}" office:value-type='
            f'"string"><text:p>{escape(text)}</text:p></table:table-cell>')


def test_a_value_far_from_the_rest_of_an_xlsx_is_refused_by_where_it_is(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two cells, A1 and AD100000, and no <dimension>: the reader set aside 3 million cells
    (100 MB; at XFD1048576, 550 GB).  Refused from the cells themselves, naming the sheet
    and the far cell, and telling the clerk how to find it (Ctrl+End)."""
    path = write_xlsx(tmp_path / "far.xlsx", f'<row r="1">{text_cell("A1", "姓名")}</row>'
                      f'<row r="100000">{text_cell("AD100000", "x")}</row>')
    no_reader(monkeypatch)
    with pytest.raises(RosterError) as info:
        list(read_sheets(path))
    assert "“花名册”" in info.value.zh and "第 100,000 行" in info.value.zh
    assert "AD100000" in info.value.zh and "Ctrl+End" in info.value.zh
    assert "but only 2 hold a value" in info.value.en


def test_cells_placed_by_position_count_where_they_land(tmp_path: Path) -> None:
    """Cells without a reference are placed one after another: 20,000 blank ones before a
    value put it at column 20,001."""
    blanks = "<c/>" * 20_000
    sheet = (f'<row r="1">{text_cell("A1", "姓名")}</row>'
             f'<row r="100">{blanks}<c t="inlineStr"><is><t>x</t></is></c></row>')
    with zipfile.ZipFile(write_xlsx(tmp_path / "wide.xlsx", sheet)) as book, \
            book.open("xl/worksheets/sheet1.xml") as member:
        extent = extents.xlsx_extent(tmp_path / "wide.xlsx", "S", member, 1000)
    assert (extent.last_row, extent.last_col, extent.values) == (100, 20_001, 2)


def test_a_dimension_that_lies_over_real_rows_is_refused_before_the_reader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #29: a <dimension> of A1:U10 over 2.5 M real rows took 470 s and 3.1 GB before
    the rows were counted as they were read.  The rows are counted as the sheet unpacks."""
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 2002))
    path = tmp_path / "lying.xlsx"
    write_xlsx(path, rows)
    with zipfile.ZipFile(path) as z:
        data = {i.filename: z.read(i) for i in z.infolist()}
    data["xl/worksheets/sheet1.xml"] = data["xl/worksheets/sheet1.xml"].replace(
        b"<sheetData>", b'<dimension ref="A1:U10"/><sheetData>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in data.items():
            z.writestr(name, content)
    no_reader(monkeypatch)
    with pytest.raises(RosterError) as info:
        list(read_sheets(path, Limits(max_rows=1000)))
    assert "“花名册”有 2,00" in info.value.zh and "行以上" in info.value.zh
    assert "--max-rows" in info.value.en


def test_an_xls_with_a_value_far_away_is_refused_before_it_is_opened(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #29: the .xls reader holds every sheet as the file opens; a 9 KB file with a
    value at IV65536 on 10 sheets aborted passgen (3 sheets: 1.5 GB).  Its cell records are
    read first; a blank formatted cell far away takes no room and is no reason to refuse."""
    xlwt = pytest.importorskip("xlwt")

    book = xlwt.Workbook(encoding="utf-8")
    for name in ("一", "远处"):
        sheet = book.add_sheet(name)
        sheet.write(0, 0, "姓名")
    sheet.write(20_000, 100, "x")
    book.get_sheet(0).write(60_000, 250, "", xlwt.easyxf("font: bold on"))
    path = tmp_path / "far.xls"
    book.save(str(path))
    found = extents.xls_extents(path)
    assert [(e.sheet, e.last_row, e.last_col, e.values) for e in found] == [
        ("一", 1, 1, 1), ("远处", 20_001, 101, 2)]
    no_reader(monkeypatch)
    with pytest.raises(RosterError) as info:
        list(read_sheets(path))
    assert "“远处”" in info.value.zh and "CW20001" in info.value.zh


def test_an_xls_that_is_not_one_is_refused_plainly(tmp_path: Path) -> None:
    path = tmp_path / "fake.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(RosterError) as info:
        list(read_sheets(path))
    assert "另存为 .xlsx" in info.value.zh and "Traceback" not in info.value.en


def test_an_ods_row_repeated_a_million_times_is_refused_unexpanded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #29: a 1.2 KB .ods with one row repeated 1,048,000 times took 6 minutes and
    1.9 GB.  Repeats are counted, never expanded; a sheet LibreOffice saved with its empty
    rows and columns repeated to the edge is read as the rows it holds."""
    header = "<table:table-row>" + ods_cell("姓名") + "</table:table-row>"
    bomb = write_ods(tmp_path / "bomb.ods", [("名单", header + '<table:table-row table:number-'
                                           'rows-repeated="1048000">' + ods_cell("王")
                                           + "</table:table-row>")])
    wide = write_ods(tmp_path / "wide.ods", [("宽", header + "<table:table-row>" + ods_cell(
        "王", 20_000) + "</table:table-row>" + "<table:table-row table:number-rows-repeated="
        '"2000">' + ods_cell("x") + '<table:table-cell table:number-columns-repeated="1000"/>'
        + ods_cell("y") + "</table:table-row>")])
    edge = write_ods(tmp_path / "edge.ods", [("正常", header + "<table:table-row>" + ods_cell(
        "王") + '</table:table-row><table:table-row table:number-rows-repeated="1048574">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>')])
    assert [len(list(s.rows)) for s in read_sheets(edge)] == [2]
    no_reader(monkeypatch)
    with pytest.raises(RosterError) as info:
        list(read_sheets(bomb))
    assert "“名单”" in info.value.zh and "1,048,001 行以上" in info.value.zh
    with pytest.raises(RosterError) as info:
        list(read_sheets(wide, Limits(max_rows=1000)))
    assert "“宽”" in info.value.zh and "--max-rows" in info.value.en


def test_an_ods_with_an_entity_is_refused_as_damaged(tmp_path: Path) -> None:
    path = write_ods(tmp_path / "laughs.ods", [("S", "")])
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts["content.xml"] = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
                            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' + parts[
                                "content.xml"].replace(b"<office:body>", b"<office:body>&b;"))
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    with pytest.raises(RosterError) as info:
        list(read_sheets(path))
    assert "文件已损坏" in info.value.zh


def test_real_rosters_in_every_format_still_read(tmp_path: Path) -> None:
    """A roster of 300 rows, with a template's formatting to row 5,000 and a note typed in
    column Z, passes in .xlsx; the bound refuses nothing a clerk makes."""
    from openpyxl import Workbook
    from openpyxl.styles import Border, Side

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    for i in range(300):
        sheet.append([row(身份证号=make_id(dt.date(1950, 1, 1), i)).get(h) for h in HEADERS])
    line = Side(style="thin")
    for r in range(302, 5001):
        for c in range(1, 22):
            sheet.cell(r, c).border = Border(top=line, bottom=line)
    sheet["Z3"] = "备注"
    path = tmp_path / "template.xlsx"
    book.save(path)
    assert len(list(read_rosters([path], RowContext(AS_OF)))) == 300
    small = write_roster(tmp_path / "small.xlsx", [row()])
    assert len(list(read_rosters([small], RowContext(AS_OF)))) == 1


@settings(max_examples=25)
@given(st.lists(st.tuples(st.integers(1, 400), st.integers(1, 60)), min_size=1, max_size=30,
                unique=True))
def test_the_extent_is_never_less_than_what_the_reader_holds(
        cells: list[tuple[int, int]]) -> None:
    """Property: for any cells (row, column) an .xlsx holds, the measured last row is the
    reader's, and the last column is the reader's where it is beyond Z (26 otherwise)."""
    import tempfile

    import python_calamine
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for r, c in cells:
        sheet.cell(r, c, "x")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.xlsx"
        book.save(path)
        with zipfile.ZipFile(path) as z, z.open("xl/worksheets/sheet1.xml") as member:
            extent = extents.xlsx_extent(path, "S", member, 10_000)
        read = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        start_row, start_col = read.start or (0, 0)
    assert extent.last_row == start_row + read.height == max(r for r, _ in cells)
    assert extent.last_col == max(26, start_col + read.width)
    assert extent.values == len(cells)


MOVED = [("xl/sheet1.xml", "sheet1.xml"), ("xl/sheet1.xml", "/xl/sheet1.xml"),
         ("sheets/a.xml", "../sheets/a.xml"), ("xl/data/s.xml", "data/s.xml")]


@pytest.mark.parametrize("part, target", MOVED)
def test_a_sheet_moved_out_of_worksheets_is_measured_where_it_lies(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, part: str, target: str) -> None:
    """Issue #36 finding 2: the bounds measured xl/worksheets/NAME.xml only, the reader
    follows the workbook's relationships: a 5 KB file with its sheet at xl/sheet1.xml and a
    far cell aborted passgen (SIGABRT, 512 GiB asked for)."""
    far = write_xlsx(tmp_path / "far.xlsx", f'<row r="1">{text_cell("A1", "姓名")}</row>'
                     f'<row r="1048576">{text_cell("XFD1048576", "x")}</row>', part=part,
                     target=target)
    assert far.stat().st_size < 5000
    no_reader(monkeypatch)
    with pytest.raises(RosterError) as info:
        list(read_sheets(far))
    assert "XFD1048576" in info.value.zh and "“花名册”" in info.value.zh
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 2003))
    many = write_xlsx(tmp_path / "many.xlsx", rows, part=part, target=target)
    with pytest.raises(RosterError) as info:
        list(read_sheets(many, Limits(max_rows=1000)))
    assert "行以上" in info.value.zh and "--max-rows" in info.value.en


def test_a_moved_sheet_that_is_fine_still_reads(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "ok.xlsx", f'<row r="1">{text_cell("A1", "姓名")}'
                      f'{text_cell("B1", "身份证号")}</row>', part="xl/sheet1.xml",
                      target="/xl/sheet1.xml")
    [sheet] = read_sheets(path)
    assert [list(cells) for _, cells in sheet.rows][0][:2] == ["姓名", "身份证号"]


def test_a_part_that_unpacks_a_thousand_times_its_size_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #36 finding 6: a 1 MB .xlsx unpacking to 900 MB took 9–18 s.  A part over 16 MB
    that unpacks to over 100 times its packed size is refused from the zip's directory."""
    padding = " " * (40 << 20)
    path = write_xlsx(tmp_path / "bomb.xlsx", f'<row r="1">{text_cell("A1", "姓名")}</row>'
                      f"{padding}")
    assert path.stat().st_size < 200_000
    no_reader(monkeypatch)
    with pytest.raises(RosterError) as info:
        list(read_sheets(path))
    assert "倍" in info.value.zh and "sheet1.xml" in info.value.zh
