"""Roster intake: spreadsheet rows → :class:`Resident` or :class:`RowError` (DESIGN.md §3).

Every non-blank row ends as exactly one of the two; nothing is guessed.  Values are
normalised (full-width digits folded, names trimmed) and checked (ID check digit and birth
date, real dates, coded values).  A missing required or health column refuses the file.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from passgen.errors import RosterError
from passgen.intake import idcard
from passgen.intake.cells import (
    MAX_LENGTH,
    NO_ARRIVAL,
    NO_COMMUNITY,
    NO_ENTRY,
    Header,
    Problem,
    RowContext,
    category_by_age,
    masked_shown,
    personal_number,
    read_category,
    read_community,
    read_date,
    read_folded,
    read_id_number,
    read_items,
    read_name,
    read_override,
    read_person,
    read_previous,
    read_report_days,
    read_status,
    read_yes_no,
    screen,
    shows_as_number,
    visible,
)
from passgen.intake.columns import DATED_STATUSES, FIELDS, HEADER_OF, INSTRUCTIONS_MARK
from passgen.intake.headers import (
    cell_text,
    header_key,
    is_blank,
    locate_header,
    only_prefilled,
)
from passgen.intake.mapping import (
    mapped_twice,
    mapping_used,
    names_a_roster,
    resolve_header,
    roster_headers,
)
from passgen.intake.sheets import DEFAULT_LIMITS, Limits, read_sheets
from passgen.models import Category, Location, Resident, RowError, assemble, mask_id

# Each field is either personal (a different value on nearly every row: read on every row) or
# coded (a few values the whole roster shares: read once per combination, see _Codes).
PERSONAL = ("name", "id_number", "address", "phone", "guardian", "guardian_phone")
CODED = tuple(f for f in FIELDS if f not in PERSONAL)
_CODED_READERS: tuple[Callable[[Any], Any], ...] = tuple({
    "category": read_category, "community": read_community, "travel_regions": read_items,
    "arrival_date": read_date, "abroad_countries": read_items, "entry_date": read_date, "symptoms": read_items,
    "case_status": read_status, "status_date": read_date, "severe_contact": read_yes_no,
    "lives_with_observed": read_yes_no, "certificate_until": read_date, "override": read_override,
    "previous_colour": read_previous, "report_days": read_report_days,
}[f] for f in CODED)
_COMMUNITY = CODED.index("community")
_SCREEN_LENGTH = min(MAX_LENGTH.values())  # a longer text cell is checked against its column
_MEMO_SIZE = 4096
# Cells of these types never equal one of another type, so a remembered key cannot answer for
# a different row; numbers and booleans can (1 == 1.0 == True), so rows with them are not kept.
_KEY_TYPES = frozenset({str, type(None), dt.date, dt.datetime})


def coded_problem(values: Sequence[Any], ctx: RowContext) -> tuple[str, Problem] | None:
    """The first problem among a row's read coded cells (CODED order) as a clerk meets them:
    column by column, a cell's own problem before what it contradicts; then any date after
    the as-of date."""
    v = dict(zip(CODED, values, strict=True))
    status = v["case_status"]
    conflicts = {
        "community": NO_COMMUNITY if not v["community"] else None,
        "arrival_date": NO_ARRIVAL if v["travel_regions"] and v["arrival_date"] is None
        else None,
        "entry_date": NO_ENTRY if v["abroad_countries"] and v["entry_date"] is None else None,
        "status_date": Problem("", f"人员状态为“{status}”时必须填写状态日期",
                               "this case status needs the date it began")
        if status in DATED_STATUSES and v["status_date"] is None else None,
    }
    for field in CODED:
        value = v[field]
        problem = value if isinstance(value, Problem) else conflicts.get(field)
        if problem is not None:
            return field, problem
    for field in ("arrival_date", "entry_date", "status_date"):
        day = v[field]
        if day is not None and day > ctx.as_of:
            return field, Problem(day.isoformat(), "日期晚于签发日期，不可能",
                                  "date is after the as-of date")
    return None


class _Codes(dict[tuple[Any, ...], tuple[tuple[Any, ...], "tuple[str, Problem] | None"]]):
    """A row's raw coded cells → (their read values, the first problem among them).

    A roster repeats a few combinations (blank, 否, 正常 and its community) on nearly every
    row, so each is read and checked once; up to _MEMO_SIZE of them are kept per sheet."""

    def __init__(self, ctx: RowContext) -> None:
        super().__init__()
        self.ctx = ctx

    def __missing__(self, raw: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[str, Problem] | None]:
        values = tuple(read(cell) for read, cell in zip(_CODED_READERS, raw, strict=True))
        if not values[_COMMUNITY]:  # a blank community cell takes --community
            values = (*values[:_COMMUNITY], self.ctx.community, *values[_COMMUNITY + 1:])
        result = (values, coded_problem(values, self.ctx))
        if len(self) < _MEMO_SIZE and all(type(cell) in _KEY_TYPES for cell in raw):
            self[raw] = result
        return result


class Seen:
    """Where each ID number of a batch was first read, in about 100 bytes an ID (a string
    key and a tuple would take twice that, and a city's roster has millions): the first 17
    digits, which determine a valid ID number, as an int, and the row (below 2**32: Excel
    stops at 2**20 and --max-rows bounds a CSV) packed with the index of its (file, sheet)."""

    def __init__(self) -> None:
        self.rows: dict[int, int] = {}
        self.places: list[tuple[str, str]] = []

    def place(self, file: str, sheet: str) -> int:
        if (file, sheet) not in self.places:
            self.places.append((file, sheet))
        return self.places.index((file, sheet))

    def first(self, id18: str, place: int, row: int) -> Location | None:
        """Where ``id18`` was read before, or None (and it is now read at place, row)."""
        key = int(id18[:17])
        packed = self.rows.get(key)
        if packed is None:
            self.rows[key] = place << 32 | row
            return None
        file, sheet = self.places[packed >> 32]
        return Location(file, sheet, packed & 0xFFFFFFFF)


class SheetReader:
    """Data rows of one sheet → Resident or RowError, against its header and context.  An ID
    number already in ``seen`` (shared by the sheets and files of a batch) is a duplicate."""

    def __init__(self, file: str, sheet: str, header: Header, ctx: RowContext,
                 seen: Seen | None = None) -> None:
        self.file, self.sheet, self.header, self.ctx = file, sheet, header, ctx
        self.seen = Seen() if seen is None else seen
        self.place = self.seen.place(file, sheet)
        # a row is cut after its last known column and one blank cell added, which every
        # absent field reads: never a column passgen does not know (备注 right after the
        # last known one used to be read as every absent field, #34)
        self.pad = pad = max(header.index.values()) + 1
        self.width = pad + 1
        self.personal = operator.itemgetter(*(header.index.get(f, pad) for f in PERSONAL))
        self.coded = operator.itemgetter(*(header.index.get(f, pad) for f in CODED))
        self.codes = _Codes(ctx)
        self.by_birth: dict[str, Category] = {}  # category by birth date, where it is blank
        self.fields = tuple(header.index)  # the columns read, screened before anything else
        self.read = operator.itemgetter(*(header.index[f] for f in self.fields))

    def outcome(self, number: int, cells: Sequence[Any]) -> Resident | RowError:
        """One non-blank data row (``number`` as Excel shows it)."""
        pad = self.pad
        cells = [*cells[:pad], None] if len(cells) >= pad else \
            [*cells, *([None] * (self.width - len(cells)))]
        for index, value in enumerate(self.read(cells)):  # the quick test first: most pass
            if type(value) is str and (len(value) > _SCREEN_LENGTH or not value.isprintable()):
                why = screen(self.fields[index], value)
                if why is not None:
                    return self._rejected(number, self.fields[index], why, "")
        raw_name, raw_id, address, phone, guardian, guardian_phone = self.personal(cells)
        name = read_name(raw_name)
        id18 = read_id_number(raw_id, self.ctx.as_of)
        coded, problem = self.codes[self.coded(cells)]
        if type(name) is Problem:
            problem = "name", name
        elif type(id18) is Problem:
            problem = "id_number", id18
        if problem is not None:
            field, why = problem
            return self._rejected(number, field, why, name if type(name) is str else "")
        name, id18 = cast(str, name), cast(str, id18)  # neither is a Problem here
        first = self.seen.first(id18, self.place, number)
        if first is not None:
            return self._duplicate(number, id18, name, first)
        (category, community, regions, arrival, countries, entry, symptoms, status, status_date,
         severe, with_observed, certificate, override, previous, report_days) = coded
        if category is None:
            born = id18[6:14]
            category = self.by_birth.get(born)
            if category is None:  # DESIGN.md §3: the source names students as a group
                category = self.by_birth[born] = category_by_age(
                    idcard.age_on(id18, self.ctx.as_of))
        where = assemble(Location, {"file": self.file, "sheet": self.sheet, "row": number,
                                    "column": ""})
        return assemble(Resident, {
            "name": name, "id_number": id18, "category": category, "community": community,
            "where": where, "address": cell_text(address), "phone": read_folded(phone),
            "guardian": read_person(guardian), "guardian_phone": read_folded(guardian_phone),
            "travel_regions": regions, "arrival_date": arrival, "abroad_countries": countries,
            "entry_date": entry, "symptoms": symptoms, "case_status": status,
            "status_date": status_date, "severe_contact": severe,
            "lives_with_observed": with_observed, "certificate_until": certificate,
            "override": override, "previous_colour": previous, "report_days": report_days})

    def _rejected(self, number: int, field: str, why: Problem, name: str) -> RowError:
        shown = masked_shown(why.shown) if field == "id_number" and not shows_as_number(
            why.shown) else visible(why.shown)
        return RowError(Location(self.file, self.sheet, number,
                                 self.header.text.get(field, HEADER_OF[field])),
                        shown, why.zh, why.en, name)

    def _duplicate(self, number: int, id18: str, name: str, first: Location) -> RowError:
        return RowError(Location(self.file, self.sheet, number, HEADER_OF["id_number"]),
                        mask_id(id18), f"身份证号重复，首次出现在 {first.describe()}",
                        f"duplicate ID number, first seen at {first.file} {first.sheet} "
                        f"row {first.row}", name)


@dataclass(frozen=True)
class SheetNotice:
    """A sheet that was not read as a roster, said out loud rather than skipped in silence."""

    file: str
    sheet: str
    rows: int
    zh: str
    en: str
    header: bool = False  # about the header's columns: one the office may map (列对应)

    @property
    def message(self) -> str:
        where = f"{self.file} · {self.sheet}" if self.sheet else self.file
        return f"{where}: {self.zh} / {self.en}"


ROSTER_HEADERS = roster_headers()


def find_header(cells: Sequence[Any]) -> Header | None:
    """The roster header in ``cells``, if they are one."""
    index = ROSTER_HEADERS.map(cells)
    if not names_a_roster(index):
        return None
    return Header(index, {f: cell_text(cells[i]) for f, i in index.items()})


def read_sheet_rows(file: str, sheet: str, rows: Iterable[tuple[int, Sequence[Any]]],
                    ctx: RowContext, notices: list[SheetNotice] | None = None,
                    seen: Seen | None = None) -> Iterator[Resident | RowError]:
    """The header is the first row (among the first 30 non-blank ones) naming 姓名, 身份证号
    and another known column (an office's own headers in ``ctx.columns`` included); rows
    above it are titles.  Every non-blank row below it is one outcome.  A sheet without such
    a row is reported in ``notices`` with its row count."""
    it = iter(rows)
    headers = roster_headers(ctx.columns)
    search = locate_header(it, headers, names_a_roster)
    if search.index is None:
        searched, first = search.searched, search.first
        if searched and notices is not None:
            rest = sum(1 for _, cells in it if not is_blank(cells))
            if not (first and isinstance(first[0], str) and first[0].startswith(INSTRUCTIONS_MARK)):
                notices.append(SheetNotice(
                    file, sheet, searched + rest,
                    f"没有找到表头（需要“姓名”“身份证号”等列名），本表 {searched + rest} 行未读取",
                    f"no roster header found (姓名, 身份证号, ...): {searched + rest} rows not read",
                    header=True))
        return
    found, body = resolve_header(search, it, headers)
    header_row, cells, index, missing = found.row, found.cells, found.index, found.missing
    mapped = mapping_used(cells, headers)
    if mapped and notices is not None:
        shown = "；".join(mapped)
        notices.append(SheetNotice(
            file, sheet, 0, f"第{header_row}行的这些列按本办公室的列对应读取：{shown}",
            f"columns in row {header_row} read through this office's column mapping: {shown}"))
    doubled = mapped_twice(cells, headers)
    if missing:  # this sheet's rows are rejected, each; the other sheets are read on
        found_text = "、".join(visible(cell_text(c)) for c in cells if cell_text(c)) or "（无）"
        two = f"（第{header_row}、{header_row + 1}行是合并的两行表头，下一行也没有补全）" \
            if found.merged else ""
        zh = (f"第{header_row}行的表头缺少必需的列：{'、'.join(missing)}{two}，本表的行没有读取。请把列名"
              f"改成模板里的写法，或在办公桌的列对应里选好（找到的列：{found_text[:200]}）")
        en = (f"the header in row {header_row} lacks required columns {', '.join(missing)}"
              + (f" (rows {header_row} and {header_row + 1} look like a merged two-row header, "
                 "and the lower one does not complete it)" if found.merged else "")
              + ": this sheet's rows were not read")
        yield from _refused(file, sheet, body, missing[0], zh, en, notices, ctx.rows)
        return
    if doubled:  # two columns would mean one field: which one is never guessed
        shown = "；".join(f"“{texts}”都是“{field}”" for field, texts in doubled)
        zh = (f"第{header_row}行有两列是同一列：{shown}，本表的行没有读取。请在办公桌的列对应里把多出的一列改成"
              "“不使用”")
        en = (f"two columns of row {header_row} mean the same field through the office's "
              f"column mapping ({shown}): this sheet's rows were not read")
        yield from _refused(file, sheet, body, doubled[0][0], zh, en, notices, ctx.rows)
        return
    header = Header(index, {f: cell_text(cells[i]) for f, i in index.items()})
    it = body
    known = set(index.values())
    unknown = [t for i, c in enumerate(cells) if i not in known and (t := cell_text(c))
               and header_key(t) not in headers.mapped]
    if unknown and notices is not None:
        shown = "、".join(visible(t) for t in unknown[:12]) + ("…" if len(unknown) > 12 else "")
        notices.append(SheetNotice(
            file, sheet, 0, f"第{header_row}行中这些列不是 passgen 使用的列，已忽略，不影响颜色：{shown}",
            f"columns in row {header_row} that passgen does not use were ignored: {shown}",
            header=True))
    reader = SheetReader(file, sheet, header, ctx, seen)
    person = [header.index[f] for f in ("name", "id_number")]
    wanted = ctx.rows
    prefilled = 0
    for number, cells in it:
        if is_blank(cells) or (wanted is not None and (file, sheet, number) not in wanted):
            continue
        if is_blank([cells[i] if i < len(cells) else None for i in person]) and \
                only_prefilled(cells, header.index):
            prefilled += 1  # a 序号, or a template's 正常 and 否, with nobody in the row
            continue
        yield reader.outcome(number, cells)
    if prefilled and notices is not None:
        notices.append(SheetNotice(
            file, sheet, prefilled, f"有 {prefilled} 行没有姓名和身份证号，只有序号或预先填好的内容"
            "（如“正常”“否”），按空行处理",
            f"{prefilled} rows with no name and no ID number, only a 序号 or pre-filled values "
            "(正常, 否), were taken as blank"))


def _refused(file: str, sheet: str, body: Iterable[tuple[int, Sequence[Any]]], column: str,
             zh: str, en: str, notices: list[SheetNotice] | None,
             wanted: frozenset[tuple[str, str, int]] | None) -> Iterator[RowError]:
    """Every non-blank row (of those ``wanted``) of a sheet whose header cannot be read,
    rejected with why."""
    rejected = 0
    for number, row_cells in body:
        if not is_blank(row_cells) and (wanted is None or (file, sheet, number) in wanted):
            rejected += 1
            yield RowError(Location(file, sheet, number, column), "", zh, en)
    if notices is not None:
        notices.append(SheetNotice(file, sheet, rejected, zh, en, header=True))


def read_roster(path: Path, ctx: RowContext, limits: Limits = DEFAULT_LIMITS,
                notices: list[SheetNotice] | None = None, seen: Seen | None = None,
                spool: bool = False) -> Iterator[Resident | RowError]:
    """Every sheet of a roster file (.xlsx, .xls, .ods, .csv), row by row; an ID number in
    ``seen`` (or earlier in the file) is rejected, naming its first row.  ``spool``: see
    ``passgen.intake.sheets.read_sheets``."""
    seen = Seen() if seen is None else seen
    for sheet in read_sheets(path, limits, spool):
        yield from read_sheet_rows(path.name, sheet.name, sheet.rows, ctx, notices, seen)


def read_rosters(paths: Sequence[Path], ctx: RowContext, limits: Limits = DEFAULT_LIMITS,
                 notices: list[SheetNotice] | None = None,
                 spool: bool = False) -> Iterator[Resident | RowError]:
    """All rows of all files; an ID number seen before is rejected, naming its first row."""
    problem = (screen("community", ctx.community) or personal_number(ctx.community)) \
        if ctx.community else None
    if problem is not None:
        raise RosterError(f"--community「{problem.shown}」：{problem.zh}",
                          f"--community {problem.shown!r}: {problem.en}")
    first_seen = Seen()
    for path in paths:
        yield from read_roster(path, ctx, limits, notices, first_seen, spool)
