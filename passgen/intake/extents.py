"""Each spreadsheet format's extent, read from its own structure without the reader: the
rows a sheet has, and the last row and column of a cell holding a value, which is what the
reader sets aside room for (see ``passgen.intake.bounds``)."""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from passgen.errors import RosterError
from passgen.text import visible

ROW_BYTES = 4 << 20  # one row of a sheet's XML: a roster's row is a few kilobytes


def refuse(path: Path, zh: str, en: str) -> RosterError:
    return RosterError(f"{visible(path.name)}: {zh}", f"{visible(path.name)}: {en}")

@dataclass(frozen=True)
class Extent:
    """One sheet as the reader would hold it: rows it has, and the last row and column
    holding a value (the reader allocates rows × columns up to there); ``values``, the
    cells holding one, and ``value_rows``, the rows holding one (not those a template only
    formatted)."""

    sheet: str
    rows: int
    last_row: int
    last_col: int
    values: int
    value_rows: int

    @property
    def cells(self) -> int:
        return self.last_row * self.last_col


def column_number(text: bytes) -> int:
    """A1-style column letters → 1-based column number (XFD → 16,384)."""
    number = 0
    for ch in text:
        number = number * 26 + ch - 64
    return number

# --- .xlsx, .xlsm --------------------------------------------------------------------------

SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")
_ELEMENT = re.compile(rb"<(?:\w+:)?(?:sheet|Relationship) [^>]*>")
_ATTRIBUTE = re.compile(rb'([\w:]+)="([^"]*)"')
_ROOT = re.compile(rb"<(\w+:)?worksheet\b")
_ROW_NUMBER = re.compile(rb'^[^>]*?\br="(\d{1,9})"')
_WIDE = re.compile(rb'r="([A-Z]{2,3})\d')  # a cell beyond column Z


def _elements(xml: bytes) -> list[dict[bytes, bytes]]:
    return [dict(_ATTRIBUTE.findall(e)) for e in _ELEMENT.findall(xml)]


def sheet_parts(book: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet part of a workbook → the sheet's name, as the workbook lists them."""
    try:
        sheets = _elements(book.read("xl/workbook.xml"))
        targets = {e.get(b"Id"): e.get(b"Target", b"")
                   for e in _elements(book.read("xl/_rels/workbook.xml.rels"))}
    except (KeyError, OSError, zipfile.BadZipFile, zlib.error):
        return {}
    return {part_name(targets[e[b"r:id"]].decode("utf-8", "replace")):
            e.get(b"name", b"").decode("utf-8", "replace")
            for e in sheets if e.get(b"r:id") in targets}


def related_parts(book: zipfile.ZipFile, kind: str) -> set[str]:
    """The parts xl/workbook.xml relates to with a relationship of type ``…/kind`` (the
    shared strings, wherever they lie)."""
    try:
        rels = _elements(book.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, OSError, zipfile.BadZipFile, zlib.error):
        return set()
    return {part_name(e.get(b"Target", b"").decode("utf-8", "replace")) for e in rels
            if e.get(b"Type", b"").decode("utf-8", "replace").endswith("/" + kind)}


def part_name(target: str) -> str:
    """A relationship target of xl/workbook.xml as a zip member name: from the package's
    root if absolute, else from xl/, resolved (the reader follows it wherever the part
    lies, so the bounds measure it there too: #36 finding 2)."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join("xl", target))


def xlsx_extent(path: Path, name: str, member: IO[bytes], enough: int) -> Extent:
    """A sheet part's extent as it unpacks, without keeping it: its rows (counting stops
    past ``enough``), and the last row and column of a cell holding a value.  Columns up to
    Z are taken as Z (exact only beyond it: a roster has 21), to keep this cheap."""
    rows = last_row = last_col = values = value_rows = 0
    carry, prefix, started, chunk = b"", b"", False, b""
    while rows <= enough:
        chunk = member.read(1 << 20)
        if not chunk:
            break
        data = carry + chunk
        if not started and not prefix:
            found = _ROOT.search(data[:4096])
            prefix = (found.group(1) or b"") if found else b""
        tag, cell = b"<" + prefix + b"row", b"<" + prefix + b"c"
        value, inline = b"<" + prefix + b"v>", b"<" + prefix + b"is>"
        pieces = data.split(tag)
        carry = pieces.pop()
        if len(carry) > ROW_BYTES:
            raise refuse(path, f"工作表“{visible(name)}”有一行超过 {ROW_BYTES >> 20} MB，不是花名册的内容",
                         f"a row of sheet {visible(name)!r} is over {ROW_BYTES >> 20} MB: "
                         "not roster content")
        if not pieces:
            continue
        if not started:
            pieces, started = pieces[1:], True  # what comes before the first row
        body = data[:len(data) - len(carry) - len(tag)]
        held = [p for p in pieces if value in p or inline in p]
        rows += len(pieces)
        value_rows += len(held)
        last_row, last_col, values = _rows(held, body, cell, rows, last_row, last_col,
                                           values + body.count(value) + body.count(inline))
    if rows > enough:  # counting stopped: was that the end anyway?
        chunk = member.read(1)
    if started and not chunk and carry:  # the last row, when the sheet was read to its end
        rows += 1
        if value in carry or inline in carry:
            value_rows += 1
            last_row, last_col, values = _rows([carry], carry, cell, rows, last_row, last_col,
                                               values + carry.count(value) + carry.count(inline))
    return Extent(name, rows, last_row, last_col, values, value_rows)


def _rows(held: list[bytes], body: bytes, cell: bytes, position: int, last_row: int,
          last_col: int, values: int) -> tuple[int, int, int]:
    """A run of rows' part of the extent: ``held``, the rows holding a value; ``body``, the
    run's text; ``position``, the place of the run's last row (a row's number when it
    states none)."""
    if not held:
        return last_row, last_col, values
    numbers = [int(m.group(1)) if (m := _ROW_NUMBER.match(p)) else position for p in held]
    column = max((column_number(w) for w in _WIDE.findall(body)), default=26)
    if body.count(cell + b' r="') < body.count(cell + b" ") + body.count(cell + b">"):
        # cells placed by position, not by reference: the row's cells tell its width
        column = max(column, max(p.count(cell + b" ") + p.count(cell + b">")
                                 + p.count(cell + b"/") for p in held))
    return max(last_row, *numbers), max(last_col, column), values


# --- .xls (BIFF5 and BIFF8, in an OLE2 compound file) --------------------------------------

_BOF = frozenset({0x0009, 0x0209, 0x0409, 0x0809})
_EOF, _BOUNDSHEET, _MULRK = 0x000A, 0x0085, 0x00BD
# records of a cell holding a value (blank cells, BLANK and MULBLANK, take no room)
_VALUED = frozenset({0x00FD, 0x0204, 0x0203, 0x027E, _MULRK, 0x0205, 0x0006, 0x00D6})


def xls_extents(path: Path) -> list[Extent]:
    """Every worksheet's extent, from the workbook stream's cell records: the reader of
    .xls holds every sheet as soon as the file is opened."""
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            stream = next((s for s in ("Workbook", "Book") if ole.exists(s)), None)
            data = ole.openstream(stream).read() if stream else b""
    except Exception:  # olefile raises several types for a damaged or foreign file
        data = b""
    if not data:
        raise refuse(path, "无法作为 .xls 电子表格打开，请用 Excel 或 WPS 打开后另存为 .xlsx 再试",
                     "cannot be opened as an .xls spreadsheet: open it in Excel or WPS and "
                     "save it as .xlsx")
    return _biff_extents(data)


def _biff_extents(data: bytes) -> list[Extent]:
    names: dict[int, str] = {}
    sheets: list[Extent] = []
    depth, biff8 = 0, True
    sheet: str | None = None
    rows: set[int] = set()
    last_row = last_col = values = 0
    pos, end = 0, len(data)
    while pos + 4 <= end:
        kind = data[pos] | data[pos + 1] << 8
        size = data[pos + 2] | data[pos + 3] << 8
        body, here = pos + 4, pos
        pos = body + size
        if kind in _BOF:
            depth += 1
            if depth == 1 and size >= 4:
                biff8 = int.from_bytes(data[body:body + 2], "little") >= 0x0600
                if int.from_bytes(data[body + 2:body + 4], "little") == 0x0010:  # a worksheet
                    sheet = names.get(here, f"#{len(sheets) + 1}")
                    rows, last_row, last_col, values = set(), 0, 0, 0
        elif kind == _EOF:
            depth -= 1
            if depth == 0 and sheet is not None:
                sheets.append(Extent(sheet, len(rows), last_row, last_col, values, len(rows)))
                sheet = None
        elif kind == _BOUNDSHEET and depth == 1 and sheet is None and size >= 8:
            names[int.from_bytes(data[body:body + 4], "little")] = _sheet_name(
                data[body + 6:pos], biff8)
        elif kind in _VALUED and depth == 1 and sheet is not None and size >= 6:
            row = data[body] | data[body + 1] << 8
            first = data[body + 2] | data[body + 3] << 8
            last = (data[pos - 2] | data[pos - 1] << 8) if kind == _MULRK else first
            rows.add(row)
            last_row = max(last_row, row + 1)
            last_col = max(last_col, last + 1)
            values += max(last - first + 1, 1)
    return sheets


def _sheet_name(raw: bytes, biff8: bool) -> str:
    if not raw:
        return ""
    count = raw[0]
    if not biff8:
        return raw[1:1 + count].decode("cp936", "replace")
    wide = len(raw) > 1 and raw[1] & 1
    text = raw[2:2 + count * (2 if wide else 1)]
    return text.decode("utf-16-le" if wide else "latin-1", "replace")


# --- .ods -----------------------------------------------------------------------------------

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_CELLS = frozenset({_TABLE + "table-cell", _TABLE + "covered-table-cell"})


def ods_extents(member: IO[bytes]) -> list[Extent]:
    """Every table's extent from content.xml as it is parsed, repeats counted without
    expanding them: the reader expands every repeated row and column."""
    from defusedxml.ElementTree import iterparse

    sheets: list[Extent] = []
    name, row, last_row, last_col, values, value_rows = "", 0, 0, 0, 0, 0
    for event, element in iterparse(member, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == _TABLE + "table":
                name, row, last_row, last_col, values, value_rows = (
                    element.get(_TABLE + "name", ""), 0, 0, 0, 0, 0)
            continue
        if tag == _TABLE + "table-row":
            repeat = _count(element.get(_TABLE + "number-rows-repeated"))
            column = held = 0
            for cell in element:
                if cell.tag not in _CELLS:
                    continue
                span = _count(cell.get(_TABLE + "number-columns-repeated"))
                column += span
                if cell.get(_OFFICE + "value-type") or len(cell):
                    held += span
                    last_col = max(last_col, column)
            if held:
                last_row = row + repeat
                values += held * repeat
                value_rows += repeat
            row += repeat
            element.clear()
        elif tag == _TABLE + "table":
            sheets.append(Extent(name, last_row, last_row, last_col, values, value_rows))
            element.clear()
    return sheets


def _count(text: str | None) -> int:
    try:
        return max(int(text or "1"), 1)
    except ValueError:
        return 1
