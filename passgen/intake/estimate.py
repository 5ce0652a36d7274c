"""About how many data rows a roster holds, read cheaply, for the progress bar (issue #30:
rows that hold a value, not the rows a template only formatted)."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from passgen.errors import RosterError
from passgen.files import is_regular
from passgen.intake.bounds import SHEET_PART, sheet_parts
from passgen.intake.columns import INSTRUCTIONS_SHEET
from passgen.intake.extents import xlsx_extent
from passgen.intake.sheets import CSV_SUFFIXES


def estimate_rows(path: Path) -> int | None:
    """About how many data rows a roster file holds, read cheaply (a workbook's sheet
    dimensions, a CSV's lines), for a progress bar; None when it cannot be told quickly."""
    suffix = path.suffix.lower()
    if not is_regular(path):
        return None  # refused when it is read; never counted (/dev/zero would never end)
    try:
        if suffix in CSV_SUFFIXES:
            with path.open("rb") as fh:
                return max(sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20),
                                                                     b"")) - 1, 0)
        if suffix in (".xlsx", ".xlsm"):
            total = 0
            with zipfile.ZipFile(path) as book:
                skipped = _instruction_parts(book)
                for part in book.infolist():
                    if SHEET_PART.fullmatch(part.filename) and part.filename not in skipped:
                        # rows holding a value: not those a template only formatted or
                        # gave a drop-down list, which its <dimension> counts
                        with book.open(part) as member:
                            rows = xlsx_extent(path, part.filename, member, sys.maxsize)
                        total += max(rows.value_rows - 1, 0)  # less the header
            return total
    except (OSError, zipfile.BadZipFile, ValueError, RosterError):
        return None
    return None


def _instruction_parts(book: zipfile.ZipFile) -> set[str]:
    """The sheet parts of a template's 填写说明 sheet, which passgen never reads."""
    return {part for part, name in sheet_parts(book).items() if name == INSTRUCTIONS_SHEET}
