"""What a spreadsheet file declares and what it holds, measured before any reader allocates.

The spreadsheet reader (calamine) sets aside room for every cell between the first and the
last cell holding a value, in every sheet, and for .xls in every sheet at once, before the
first row is read.  A few kilobytes can therefore ask for gigabytes (issue #29: a 5 KB .xlsx
declaring A1:XFD100000 asked for 52 GB; a 9 KB .xls with a value at IV65536 on 10 sheets, a
1.2 KB .ods with one row repeated a million times).  This module reads each format's own
structure cheaply (a zip's directory and its parts as they unpack, an .xls's records, an
.ods's rows and repeats) and refuses a file whose extent is beyond any roster's, naming the
sheet and where its far content is, before the reader sees it.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from passgen.errors import RosterError
from passgen.intake.extents import (
    SHEET_PART,
    Extent,
    column_number,
    ods_extents,
    refuse,
    related_parts,
    sheet_parts,
    xls_extents,
    xlsx_extent,
)
from passgen.text import visible

__all__ = ["SHEET_PART", "Limits", "check_workbook", "refuse", "sheet_parts"]

DEFAULT_MAX_MB = 100
DEFAULT_MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class Limits:
    """Files larger than these are refused before they are read."""

    max_mb: float = DEFAULT_MAX_MB
    max_rows: int = DEFAULT_MAX_ROWS


DEFAULT_LIMITS = Limits()

UNPACKED_FACTOR = 10  # a workbook may unpack to at most this many times --max-mb
RATIO = 100  # a part over RATIO_FLOOR may unpack to at most this many times its packed size
RATIO_FLOOR = 16 << 20  # (a roster's sheet XML packs 8 to 20 times; zip bombs, 1,000)
CELLS_PER_ROW = 30  # a file may span at most --max-rows × this many cells (a roster has 21)
FREE_CELLS = 1_000_000  # any file may span this many cells (about 32 MB in the reader) ...
SPARSE = 4  # ... or this many times the cells that hold a value, whichever is more


def letters(column: int) -> str:
    """1-based column number → A1-style letters (16,384 → XFD)."""
    out = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        out = chr(65 + rest) + out
    return out

def check_extents(path: Path, sheets: list[Extent], limits: Limits) -> None:
    """Refuse a file whose sheets hold more rows than --max-rows, or span more cells than
    any roster: more than --max-rows × CELLS_PER_ROW, or more than FREE_CELLS and SPARSE
    times the cells holding a value (a value far from the rest)."""
    rows = sum(max(s.rows - 1, 0) for s in sheets)  # less each sheet's header
    if rows > limits.max_rows:
        tallest = max(sheets, key=lambda s: s.rows)
        raise refuse(path, f"工作表“{visible(tallest.sheet)}”有 {tallest.rows:,} 行以上，整个文件超过 "
                           f"{limits.max_rows:,} 行的上限（可用 --max-rows 调整）",
                     f"sheet {visible(tallest.sheet)!r} has {tallest.rows:,} rows or more: the file is "
                     f"over the limit of {limits.max_rows:,} rows (see --max-rows)")
    cells = sum(s.cells for s in sheets)
    values = sum(s.values for s in sheets)
    most = min(limits.max_rows * CELLS_PER_ROW, max(FREE_CELLS, SPARSE * values))
    if cells <= most:
        return
    far = max(sheets, key=lambda s: s.cells)
    where = f"{letters(far.last_col)}{far.last_row}"
    raise refuse(
        path,
        f"工作表“{visible(far.sheet)}”的内容一直延伸到第 {far.last_row:,} 行、第 {far.last_col:,} 列"
        f"（{where} 附近），读取时要占用 {cells:,} 个单元格，但有内容的只有 {values:,} 个。"
        "请在 Excel 或 WPS 中按 Ctrl+End 找到远处的内容并删除，或把花名册复制到新的工作表后再试"
        "（行数较多时可用 --max-rows 调整上限）",
        f"sheet {visible(far.sheet)!r} reaches row {far.last_row:,} and column "
        f"{far.last_col:,} (around {where}): reading it takes {cells:,} cells, but only "
        f"{values:,} hold a value.  In Excel or WPS press Ctrl+End to find the far content "
        "and delete it, or copy the roster to a new sheet (see --max-rows for a bigger limit)")

# --- every workbook -------------------------------------------------------------------------

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)"')
_STRING_PARTS = frozenset({"xl/sharedStrings.xml", "content.xml"})
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def declared(head: bytes) -> tuple[int, int]:
    """The rows and the cells (rows × columns) a sheet's <dimension> declares."""
    found = _DIMENSION.search(head)
    if found is None:
        return 0, 0
    first_col, first_row, last_col, last_row = found.groups()
    rows = abs(int(last_row) - int(first_row)) + 1
    return rows, rows * (abs(column_number(last_col) - column_number(first_col)) + 1)


def check_workbook(path: Path, limits: Limits) -> None:
    """Refuse a workbook (.xlsx, .xlsm, .ods, .xls) that the reader could not hold within the
    limits, from its own structure, before the reader sees it: for a zip, its parts' total
    size from the directory, the shared strings as they unpack, and each sheet's declared
    and real rows and extent; for an .xls, every sheet's cell records."""
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic == _OLE:
        check_extents(path, xls_extents(path), limits)
        return
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return  # not a zip: the reader says what is wrong with it
    with book:
        _check_zip(path, book, limits)


def _check_zip(path: Path, book: zipfile.ZipFile, limits: Limits) -> None:
    mb = 1024 * 1024
    most = limits.max_mb * UNPACKED_FACTOR * mb
    parts = book.infolist()
    total = sum(p.file_size for p in parts)
    if total > most or len(parts) > 10_000:
        raise refuse(path, f"解压后有 {total / mb:,.0f} MB，超过上限 {most / mb:,.0f} MB"
                           "（可用 --max-mb 调整）",
                     f"unpacks to {total / mb:,.0f} MB, over the {most / mb:,.0f} MB limit "
                     "(see --max-mb)")
    for p in parts:
        if p.file_size > RATIO_FLOOR and p.file_size > RATIO * max(p.compress_size, 1):
            raise refuse(path, f"文件中的“{visible(p.filename)}”从 {p.compress_size:,} 字节解压为 "
                               f"{p.file_size:,} 字节（超过 {RATIO} 倍），不是正常的表格，可能是"
                               "恶意文件：请用 Excel 或 WPS 打开后另存为新文件",
                         f"its part {visible(p.filename)!r} unpacks from {p.compress_size:,} "
                         f"to {p.file_size:,} bytes (over {RATIO} times): not an ordinary "
                         "spreadsheet; open it in Excel or WPS and save it as a new file")
    names = sheet_parts(book)
    strings = _STRING_PARTS | related_parts(book, "sharedStrings")
    extents: list[Extent] = []
    try:
        for part in parts:
            if part.filename in strings:
                _bounded(book, part, path, int(limits.max_mb * mb))
                if part.filename == "content.xml":
                    with book.open(part) as member:
                        extents += ods_extents(member)
            elif part.filename in names or SHEET_PART.fullmatch(part.filename):
                name = names.get(part.filename, part.filename.rsplit("/", 1)[-1])
                with book.open(part) as member:
                    _check_declared(path, name, member.read(4096), limits)
                with book.open(part) as member:
                    extents.append(xlsx_extent(path, name, member, limits.max_rows + 2))
            else:
                continue
            check_extents(path, extents, limits)
    except RosterError:
        raise
    except Exception:  # a damaged part (zlib, XML): never a traceback, and never read on
        raise refuse(path, "文件已损坏（内容无法解开），请用 Excel 或 WPS 打开后另存为新文件",
                     "the file is damaged (its content cannot be unpacked): open it in Excel "
                     "or WPS and save it as a new file") from None


def _check_declared(path: Path, name: str, head: bytes, limits: Limits) -> None:
    """A sheet's <dimension>, before any of it unpacks: a cheap first refusal."""
    rows, cells = declared(head)
    if rows > limits.max_rows + 1:  # + the header row
        raise refuse(path, f"工作表“{visible(name)}”有 {rows:,} 行以上，超过 {limits.max_rows:,} 行"
                           "的上限（可用 --max-rows 调整）",
                     f"sheet {visible(name)!r} has {rows:,} rows or more, over the limit of "
                     f"{limits.max_rows:,} (see --max-rows)")
    if cells > limits.max_rows * CELLS_PER_ROW:
        raise refuse(path, f"工作表“{visible(name)}”声明了 {cells:,} 个单元格（行×列），远超花名册的"
                           "规模，可能已损坏：请用 Excel 或 WPS 打开后另存为新文件",
                     f"sheet {visible(name)!r} declares {cells:,} cells (rows × columns), far "
                     "more than any roster: it may be damaged; open it in Excel or WPS and "
                     "save it as a new file")


def _bounded(book: zipfile.ZipFile, part: zipfile.ZipInfo, path: Path, most: int) -> None:
    """Unpack ``part`` without keeping it, refusing the file past ``most`` bytes."""
    seen = 0
    try:
        with book.open(part) as member:
            while chunk := member.read(1 << 20):
                seen += len(chunk)
                if seen > most:
                    break
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        raise refuse(path, "文件已损坏（压缩内容不完整）",
                     "the file is damaged (its compressed content is incomplete)") from None
    if seen > most:
        raise refuse(path, f"文字内容超过 {most >> 20} MB 的上限（可用 --max-mb 调整）",
                     f"its text unpacks to more than {most >> 20} MB (see --max-mb)")
