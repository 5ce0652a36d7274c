"""Spreadsheet files → sheets of rows, whatever program saved them.

.xlsx, .xlsm, .xls and .ods are read with python-calamine (cached values only: a formula is
never evaluated); .csv is read as UTF-8 (with or without BOM) or GB18030, detected, never
asked.  Every reader hands out the same thing: for each sheet, (Excel row number, cells)
with blanks as None or empty text (numbers may arrive as float, date cells as date or
datetime: the roster stage reads each value by what its column means); merged cells carry
their value into every cell they cover, as a person reads them.
"""

from __future__ import annotations

import csv
import io
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from passgen.errors import RosterError
from passgen.files import is_regular
from passgen.intake.bounds import (
    DEFAULT_LIMITS,
    DEFAULT_MAX_MB,
    DEFAULT_MAX_ROWS,
    SHEET_PART,
    Limits,
    check_workbook,
    refuse,
)
from passgen.intake.sniff import what_it_is
from passgen.signals import children_start_deaf

__all__ = ["DEFAULT_LIMITS", "DEFAULT_MAX_MB", "DEFAULT_MAX_ROWS", "SHEET_PART", "Limits",
           "Sheet", "read_sheets"]

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})
CSV_SUFFIXES = frozenset({".csv", ".txt"})
# With spool=True, a workbook at least this big is parsed by a child process (see spooled).
SPOOL_MIN_BYTES = 1 << 20
_SPOOL_BATCH = 1000

Row = tuple[int, list[Any]]


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: Iterator[Row]


def _cell(value: Any) -> Any:
    """One reader's cell as every stage expects it: a blank is None."""
    return None if value == "" else value


def _check_size(path: Path, limits: Limits) -> None:
    try:
        size = path.stat().st_size
    except OSError:
        raise RosterError(f"找不到文件 {path}", f"file not found: {path}") from None
    if not is_regular(path):  # a device or a pipe would be read without end, or hang
        raise refuse(path, "不是普通文件（设备、管道或文件夹），不能作为表格读取",
                      "not a regular file (a device, a pipe or a folder): it cannot be read "
                      "as a spreadsheet")
    if size > limits.max_mb * 1024 * 1024:
        raise refuse(path, f"文件有 {size / 1048576:.0f} MB，超过上限 {limits.max_mb:g} MB"
                            "（可用 --max-mb 调整）",
                      f"file is {size / 1048576:.0f} MB, over the {limits.max_mb:g} MB limit "
                      "(see --max-mb)")


def _limited(path: Path, rows: Iterator[Row], limits: Limits,
             counted: list[int] | None = None) -> Iterator[Row]:
    """The rows, refused past ``limits.max_rows`` for the whole file: ``counted`` carries
    the count from one sheet to the next (--max-rows is per file, as its help says)."""
    counted = [0] if counted is None else counted
    for row in rows:
        counted[0] += 1
        if counted[0] > limits.max_rows:
            raise refuse(path, f"超过 {limits.max_rows} 行的上限（可用 --max-rows 调整）",
                          f"more than {limits.max_rows} rows (see --max-rows)")
        yield row


def _workbook_rows(sheet: Any) -> Iterator[Row]:
    first_row, first_col = sheet.start or (0, 0)
    merged: dict[tuple[int, int], tuple[int, int]] = {}
    for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or ():
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    merged[(r, c)] = (r0, c0)
    values: dict[tuple[int, int], Any] = {}
    wanted = set(merged.values())
    for offset, raw in enumerate(sheet.iter_rows()):
        r = first_row + offset
        cells = raw  # calamine's blank is "": every stage reads it as blank
        if merged:
            cells = list(raw)
            for c, value in enumerate(cells):
                if (r, first_col + c) in wanted:
                    values[(r, first_col + c)] = value
            for c in range(len(cells)):
                source = merged.get((r, first_col + c))
                if source is not None and (cells[c] is None or cells[c] == ""):
                    cells[c] = values.get(source)
        if first_col:
            cells = [None] * first_col + cells
        yield r + 1, cells


def read_workbook(path: Path, limits: Limits) -> Iterator[Sheet]:
    import python_calamine as calamine

    check_workbook(path, limits)

    try:
        book = calamine.CalamineWorkbook.from_path(str(path))
    except calamine.PasswordError:
        raise refuse(path, "文件设置了密码，请另存为无密码的文件",
                      "the file is password-protected: save a copy without a password") from None
    except Exception as exc:  # calamine raises several types for a damaged or foreign file
        zh, en = what_it_is(path)
        raise refuse(path, f"无法作为电子表格打开：{zh}。请用 Excel 或 WPS 打开花名册，另存为 .xlsx 后再试",
                      f"cannot be opened as a spreadsheet: {en}. Open the roster in Excel or "
                      f"WPS and save it as .xlsx ({type(exc).__name__})") from None
    counted = [0]  # rows of every sheet so far
    try:
        for name in book.sheet_names:
            try:
                sheet = book.get_sheet_by_name(name)
            except Exception as exc:
                raise refuse(path, f"工作表“{name}”无法读取", f"sheet {name!r}: {exc}") from None
            yield Sheet(name, _limited(path, _workbook_rows(sheet), limits, counted))
    finally:
        book.close()


def decode_csv(path: Path, data: bytes) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (BOM or not) if it decodes, else GB18030 (a superset of
    GBK and GB2312, what Chinese Excel and WPS write)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise refuse(path, "文件编码无法识别（应为UTF-8或GB18030/GBK）",
                  "text encoding is neither UTF-8 nor GB18030/GBK")


def read_csv(path: Path, limits: Limits) -> Iterator[Sheet]:
    text, _ = decode_csv(path, path.read_bytes())
    try:
        delimiter = csv.Sniffer().sniff(text[:8192], delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","
    # only the separator is guessed; quoting is always Excel's ("" inside a quoted field):
    # the sniffer's guess at quoting, from a sample without "", would let "51"13 pass
    yield Sheet("CSV", _limited(path, _csv_rows(path, text, delimiter), limits))


def _csv_rows(path: Path, text: str, delimiter: str) -> Iterator[Row]:
    """Records of a CSV text, strictly: a quote that opens a field and is never closed
    would swallow every following line into one cell, so it refuses the file instead."""
    reader = csv.reader(io.StringIO(text), csv.excel, delimiter=delimiter, strict=True)
    n = 0
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field limit" in str(exc):  # a cell longer than any roster cell can be
                limit = csv.field_size_limit()
                raise refuse(path, f"第{start}行有一格超过 {limit:,} 个字，不是花名册的内容",
                              f"a cell on line {start} is longer than {limit:,} characters: "
                              "not roster content") from None
            raise refuse(path, f"第{start}行的引号（\"）不成对或引号后还有文字，请删除或补全后再试",
                          f"the double quote (\") on line {start} is never closed or is "
                          "followed by more text: remove it or close it") from None
        n += 1
        yield n, [_cell(v.strip()) for v in record]


def spooled(path: Path, limits: Limits) -> Iterator[Sheet]:
    """``read_workbook``'s sheets, parsed by a child process that writes their rows to an
    anonymous temporary file and exits.

    calamine holds a parsed sheet whole while its rows are read: about 80 MB for 100,000
    rows of 21 columns.  A batch reads its roster over minutes while it prints, so it reads
    a big workbook this way and never holds the parsed sheet itself.  The rows, and any
    RosterError at the row where it arose, come back exactly as read_workbook gives them."""
    with tempfile.TemporaryFile() as spool:
        with children_start_deaf():  # Ctrl-C is the parent's: it ends the child (#39)
            # -P: safe-path mode, the working folder stays off the child's import path (#36)
            child = subprocess.Popen(
                [sys.executable, "-P", "-m", "passgen.intake.sheets", str(path),
                 repr(limits.max_mb), str(limits.max_rows)], stdout=spool,
                stderr=subprocess.PIPE, env={**os.environ, "PYTHONSAFEPATH": "1"})
        with child:
            try:
                _, stderr = child.communicate()
            except BaseException:
                child.kill()
                raise
        done = subprocess.CompletedProcess(child.args, child.returncode, None, stderr)
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            raise refuse(path, "读取文件的子进程意外退出",
                          f"the process reading the file failed: {' '.join(detail)}")
        spool.seek(0)
        while True:
            kind, value = _record(path, spool)
            if kind == "done":
                return
            rows = _spooled_rows(path, spool)
            yield Sheet(value, rows)
            for _ in rows:  # what the reader left of this sheet, to reach the next one
                pass


def _record(path: Path, spool: IO[bytes]) -> tuple[str, Any]:
    """The next (kind, value) of the spool; an "error" record raises its RosterError here,
    where in-process reading would have raised it."""
    try:
        kind, value = pickle.load(spool)
    except Exception:  # cut short or not ours: never guess at the rows
        raise refuse(path, "读取文件的子进程输出不完整，请重试",
                      "the process reading the file gave incomplete output: try again"
                      ) from None
    if kind == "error":
        raise RosterError(*value)
    return kind, value


def _spooled_rows(path: Path, spool: IO[bytes]) -> Iterator[Row]:
    while True:
        kind, value = _record(path, spool)
        if kind == "end":
            return
        yield from value


def _spool(path: Path, limits: Limits, out: IO[bytes]) -> None:
    """The child's side of ``spooled``: records (kind, value) pickled one after another."""
    try:
        for sheet in read_workbook(path, limits):
            pickle.dump(("sheet", sheet.name), out)
            batch: list[Row] = []
            try:
                for row in sheet.rows:
                    batch.append(row)
                    if len(batch) == _SPOOL_BATCH:
                        pickle.dump(("rows", batch), out)
                        batch = []
            finally:  # rows read before an error still reach the reader, as in-process
                pickle.dump(("rows", batch), out)
            pickle.dump(("end", None), out)
    except RosterError as exc:
        pickle.dump(("error", (exc.zh, exc.en)), out)
    pickle.dump(("done", None), out)
    out.flush()


def read_sheets(path: Path, limits: Limits = DEFAULT_LIMITS,
                spool: bool = False) -> Iterator[Sheet]:
    """Every sheet of a roster file, lazily, row by row.  With ``spool``, a workbook of
    SPOOL_MIN_BYTES or more is parsed in a child process (see ``spooled``)."""
    suffix = path.suffix.lower()
    _check_size(path, limits)
    if suffix in WORKBOOK_SUFFIXES:
        if spool and path.stat().st_size >= SPOOL_MIN_BYTES:
            return spooled(path, limits)
        return read_workbook(path, limits)
    if suffix in CSV_SUFFIXES:
        return read_csv(path, limits)
    raise refuse(path, "不支持的文件类型（可用 .xlsx、.xls、.ods、.csv）",
                  "unsupported file type (use .xlsx, .xls, .ods or .csv)")


if __name__ == "__main__":  # the child of ``spooled``: python -m passgen.intake.sheets PATH MB ROWS
    spool_out = sys.stdout.buffer
    sys.stdout = sys.stderr  # anything printed while reading must not land among the rows
    _spool(Path(sys.argv[1]), Limits(float(sys.argv[2]), int(sys.argv[3])), spool_out)
