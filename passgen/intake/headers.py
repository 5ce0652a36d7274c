"""Finding a sheet's header row and reading cells as text: shared by rosters and venue lists.

Headers are matched after folding width and case and dropping spaces and ``*`` marks; the
header is the first of the first ``HEADER_SEARCH_ROWS`` non-blank rows that names what the
caller needs, and rows above it are titles.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

HEADER_SEARCH_ROWS = 30  # title rows a header may sit below


def fold(text: str) -> str:
    """Header/value folding: full-width → half-width (NFKC), spaces trimmed, case folded."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


def header_key(text: str) -> str:
    """Headers match after folding width and case and dropping spaces and * marks."""
    return re.sub(r"[\s*]+", "", fold(text))


# The header search looks at the first HEADER_COLUMNS cells of a row and skips a cell of more
# than HEADER_CHARS characters: a row of millions of cells (a 58 MB CSV) took 47 s (#29).
HEADER_COLUMNS = 256
HEADER_CHARS = 64


class HeaderIndex:
    """Canonical fields and the header texts that name them; ``mapped``, an office's own
    headers and the field each means ("" for a column not to use), come before the aliases."""

    def __init__(self, aliases: Mapping[str, Sequence[str]],
                 mapped: Sequence[tuple[str, str]] = ()) -> None:
        self.fields = {header_key(text): field for field, texts in aliases.items()
                       for text in texts}
        self.mapped = {header_key(text): field for text, field in mapped}
        self.fields.update(self.mapped)

    def map(self, cells: Sequence[Any]) -> dict[str, int]:
        """Canonical field → column index for a header row (unknown headers are ignored;
        a field named twice is taken from its first column)."""
        found: dict[str, int] = {}
        for i, cell in enumerate(cells[:HEADER_COLUMNS]):  # a header is among the first
            if cell is None:
                continue
            text = str(cell)
            if len(text) > HEADER_CHARS:  # no header is this long: not worth normalising
                continue
            field = self.fields.get(header_key(text))
            if field and field not in found:
                found[field] = i
        return found


def cell_text(value: Any) -> str:
    """A cell as trimmed text; a whole number that arrived as a float loses its ".0"."""
    if type(value) is str:  # the usual cell first: intake calls this on every row
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def is_blank(cells: Sequence[Any]) -> bool:
    """Whether a row holds nothing but empty cells and spaces."""
    for c in cells:
        if c is not None and (type(c) is not str or c.strip()):
            return False
    return True


@dataclass(frozen=True)
class HeaderSearch:
    """What the search for a header row saw."""

    index: dict[str, int] | None  # field → column of the header row, None if not found
    row: int  # the header's row number as Excel shows it (or the last row looked at)
    cells: Sequence[Any]  # the header row's cells
    searched: int  # non-blank rows looked at
    first: Sequence[Any]  # the first non-blank row (a title, or the header itself)


def locate_header(rows: Iterator[tuple[int, Sequence[Any]]], headers: HeaderIndex,
                  accept: Callable[[dict[str, int]], bool],
                  limit: int = HEADER_SEARCH_ROWS) -> HeaderSearch:
    """Read ``rows`` up to the first of the first ``limit`` non-blank rows whose known
    headers ``accept`` takes; the rows after it stay in the iterator."""
    searched = number = 0
    first: Sequence[Any] = ()
    cells: Sequence[Any] = ()
    for number, cells in rows:
        if is_blank(cells):
            continue
        if not searched:
            first = cells
        searched += 1
        index = headers.map(cells)
        if accept(index):
            return HeaderSearch(index, number, cells, searched, first)
        if searched >= limit:
            break
    return HeaderSearch(None, number, cells, searched, first)


# what a template or a clerk fills in before knowing who the row is for
PREFILLED = {"case_status": ("正常",), "severe_contact": ("否", "无"),
             "lives_with_observed": ("否", "无"), "symptoms": ("无", "否"),
             "report_days": ("0",), "community": None, "category": None}


def only_prefilled(cells: Sequence[Any], index: dict[str, int]) -> bool:
    """Whether a row's known cells hold nothing but what a template pre-fills: the
    community and category, 正常, 否, 无, 0 (unknown columns, such as 序号, are not read)."""
    for field, i in index.items():
        value = cell_text(cells[i]) if i < len(cells) else ""
        if not value:
            continue
        if field not in PREFILLED:
            return False
        allowed = PREFILLED[field]
        if allowed is not None and value not in allowed:
            return False
    return True


def two_row_header(upper: Sequence[Any], lower: Sequence[Any], headers: HeaderIndex) -> list[Any]:
    """A header of two rows read as one: under a cell merged across columns (its text in
    the first of them), each lower cell completes it.  Each column takes the first of the
    lower text, the upper and lower texts joined, and the upper text that names a known
    column; else whichever of them there is."""
    out: list[Any] = []
    span = ""
    for i in range(min(max(len(upper), len(lower)), HEADER_COLUMNS)):
        up = cell_text(upper[i]) if i < len(upper) else ""
        low = cell_text(lower[i]) if i < len(lower) else ""
        span = up or (span if low else "")
        choices = [t for t in (low, span + low, up) if t]
        known = [t for t in choices if headers.fields.get(header_key(t))]
        out.append(known[0] if known else choices[0] if choices else None)
    return out
