"""Which column of a sheet is which field (DESIGN.md §3): the header row found, a merged
two-row header completed, and an office's own headers (列对应) read as the fields they mean.

An office that writes 身体状况 for 症状 maps it once; the mapped meaning is what the engine
sees, and the report says which headers were read through the mapping.  A header mapped to
"" (不使用) is never read.  A required column that is neither named nor mapped still
refuses the sheet: a mapping names columns, it never guesses one."""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from passgen.errors import RosterError
from passgen.intake.columns import COLUMNS, FIELDS, HEADER_OF
from passgen.intake.headers import (
    HEADER_CHARS,
    HEADER_COLUMNS,
    HEADER_SEARCH_ROWS,
    HeaderIndex,
    HeaderSearch,
    cell_text,
    header_key,
    is_blank,
    locate_header,
    two_row_header,
)
from passgen.intake.sheets import DEFAULT_LIMITS, Limits, read_sheets
from passgen.text import visible

ColumnMap = tuple[tuple[str, str], ...]  # (header as the office writes it, field or "")
NOT_USED = ""  # a mapped column that is not to be read
NOT_USED_WORD = "不使用"


@functools.lru_cache(maxsize=16)
def roster_headers(columns: ColumnMap = ()) -> HeaderIndex:
    """The roster's headers, with an office's own ones (``columns``) first."""
    return HeaderIndex({c.field: c.headers for c in COLUMNS}, columns)


def column_map(chosen: Mapping[str, str]) -> ColumnMap:
    """An office's mapping as given (its header → passgen's header such as 症状, a field
    name, or 不使用), checked: an unknown column, an empty header or two headers folding to
    one are refused."""
    out: dict[str, tuple[str, str]] = {}
    for text, meant in chosen.items():
        key = header_key(str(text))
        field = _field_named(str(meant))
        if not key:
            raise RosterError("列对应里有空的列名", "the column mapping has an empty header")
        if field is None:
            raise RosterError(f"列对应里的“{visible(text)}”对应到了未知的列“{visible(str(meant))}”",
                              f"the column mapping maps {visible(text)!r} to an unknown "
                              f"column {visible(str(meant))!r}")
        if key in out and out[key][1] != field:
            raise RosterError(f"列对应里“{visible(text)}”出现了两次，对应不同的列",
                              f"the column mapping names {visible(text)!r} twice")
        out[key] = (text.strip(), field)
    return tuple(sorted(out.values()))


def _field_named(meant: str) -> str | None:
    if header_key(meant) in ("", header_key(NOT_USED_WORD)):
        return NOT_USED
    if meant in FIELDS:
        return meant
    return roster_headers().fields.get(header_key(meant)) or None


def load_column_map(path: Path) -> ColumnMap:
    """An office's mapping file (JSON: {"身体状况": "症状", "序号2": "不使用"})."""
    try:
        chosen = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise RosterError(f"无法读取列对应文件 {path}：{exc.strerror}",
                          f"cannot read the column mapping {path}: {exc.strerror}") from None
    except ValueError:
        chosen = None
    if not isinstance(chosen, dict) or not all(isinstance(v, str) for v in chosen.values()):
        raise RosterError(f"列对应文件 {path} 不是“列名: 对应的列”的 JSON",
                          f"the column mapping {path} is not a JSON object of header: column")
    return column_map(chosen)


def column_map_json(columns: ColumnMap) -> str:
    """The mapping as its file holds it: passgen's own header for each, or 不使用."""
    shown = {text: HEADER_OF[field] if field else NOT_USED_WORD for text, field in columns}
    return json.dumps(shown, ensure_ascii=False, indent=1)


def names_a_roster(index: dict[str, int]) -> bool:
    """A header row names at least the name and ID columns and one more known column."""
    return "name" in index and "id_number" in index and len(index) >= 3


def missing_columns(index: dict[str, int]) -> list[str]:
    return [c.headers[0] for c in COLUMNS if c.required and c.field not in index]


@dataclass(frozen=True)
class FoundHeader:
    """A sheet's header as read: its cells (two merged rows read as one), the field of each
    column, the required columns it lacks, and whether it was two rows."""

    row: int
    cells: Sequence[Any]
    index: dict[str, int]
    missing: list[str]
    merged: bool


def resolve_header(search: HeaderSearch, rows: Iterator[tuple[int, Sequence[Any]]],
                   headers: HeaderIndex) -> tuple[FoundHeader, Iterator[tuple[int, Sequence[Any]]]]:
    """The header ``locate_header`` found, completed by the row below it when it lacks a
    required column and the two read as one merged header; and the data rows after it."""
    assert search.index is not None
    cells, index = search.cells, search.index
    missing = missing_columns(index)
    merged = False
    if missing:  # a merged two-row header: the row below completes the upper one
        below = next(rows, None)
        if below is not None:
            combined = two_row_header(cells, below[1], headers)
            both = headers.map(combined)
            if names_a_roster(both) and not missing_columns(both):
                cells, index, missing, merged = combined, both, [], True
            else:
                rows = itertools.chain([below], rows)
                merged = len(missing_columns(both)) < len(missing)
    return FoundHeader(search.row, cells, index, missing, merged), rows


def mapping_used(cells: Sequence[Any], headers: HeaderIndex) -> list[str]:
    """The headers of ``cells`` read through an office's mapping, as "身体状况 → 症状"."""
    used = []
    for cell in cells:
        text = cell_text(cell)
        key = header_key(text) if text else ""
        if key in headers.mapped:
            field = headers.mapped[key]
            used.append(f"{visible(text)} → {HEADER_OF[field] if field else NOT_USED_WORD}")
    return used


def mapped_twice(cells: Sequence[Any], headers: HeaderIndex) -> list[tuple[str, str]]:
    """Fields that two columns of ``cells`` name, one of them through the office's mapping
    (“身体状况” → 症状 beside a 症状 column): (passgen's header, the columns' texts)."""
    named: dict[str, list[tuple[str, bool]]] = {}
    for cell in cells[:HEADER_COLUMNS]:
        text = cell_text(cell)
        key = header_key(text) if text and len(text) <= HEADER_CHARS else ""
        field = headers.fields.get(key) if key else None
        if field:
            named.setdefault(field, []).append((visible(text), key in headers.mapped))
    return [(HEADER_OF[field], "”和“".join(t for t, _ in columns))
            for field, columns in named.items()
            if len(columns) > 1 and any(mapped for _, mapped in columns)]


@dataclass(frozen=True)
class SheetHeader:
    """A sheet's header as the desk's 列对应 step shows it: each header text with the field
    it is read as ("": mapped to 不使用, None: unknown), and the required columns missing."""

    file: str
    sheet: str
    row: int
    columns: tuple[tuple[str, str | None], ...]
    missing: tuple[str, ...]


def survey_headers(paths: Sequence[Path], columns: ColumnMap = (),
                   limits: Limits = DEFAULT_LIMITS) -> list[SheetHeader]:
    """Every sheet's header row, read as ``read_rosters`` reads it with ``columns``.  A
    sheet where no row names 姓名 and 身份证号 offers its fullest early row instead (the
    header the office wrote in its own words), so that it can be mapped."""
    headers = roster_headers(columns)
    out = []
    for path in paths:
        for sheet in read_sheets(path, limits):
            head = list(itertools.islice(((n, c) for n, c in sheet.rows if not is_blank(c)),
                                         HEADER_SEARCH_ROWS + 1))
            rows = iter(head)
            search = locate_header(rows, headers, names_a_roster)
            if search.index is None:
                row, cells = _fullest(head)
                if not cells:
                    continue
                index = headers.map(cells)
                found = FoundHeader(row, cells, index, missing_columns(index), False)
            else:
                found, _ = resolve_header(search, rows, headers)
            field_of = {i: f for f, i in found.index.items()}
            shown = tuple((text, field_of.get(i, headers.mapped.get(header_key(text))))
                          for i, c in enumerate(found.cells) if (text := cell_text(c)))
            out.append(SheetHeader(path.name, sheet.name, found.row, shown,
                                   tuple(found.missing)))
    return out


def _fullest(rows: Sequence[tuple[int, Sequence[Any]]]) -> tuple[int, Sequence[Any]]:
    """The earliest of the non-blank ``rows`` with the most filled cells."""
    best: tuple[int, Sequence[Any]] = (0, ())
    most = 0
    for number, cells in rows:
        filled = sum(1 for c in cells if cell_text(c))
        if filled > most:
            best, most = (number, cells), filled
    return best
