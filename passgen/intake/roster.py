"""Roster intake: spreadsheet rows → :class:`Resident` or :class:`RowError` (DESIGN.md §3).

Every non-blank row ends as exactly one of the two; nothing is guessed.  Values are
normalised (full-width digits folded, names trimmed) and checked (ID check digit and birth
date, real dates, coded values).  A missing required or health column refuses the file.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from passgen.dates import parse_date
from passgen.errors import RosterError
from passgen.intake import idcard
from passgen.intake.sheets import DEFAULT_LIMITS, Limits, read_sheets
from passgen.models import Category, Colour, Location, Resident, RowError, assemble, mask_id


@dataclass(frozen=True)
class Column:
    """A canonical roster field, its Chinese headers and whether the header must be present."""

    field: str
    headers: tuple[str, ...]
    required: bool


# Fixed contract (DESIGN.md §3): canonical fields and their headers.  The first header is the
# one a template writes.  Health columns are required as columns even where cells may be blank:
# a mistyped health header must refuse the file, never turn a whole estate green.
COLUMNS: tuple[Column, ...] = (
    Column("name", ("姓名",), True),
    Column("id_number", ("身份证号", "身份证号码", "公民身份号码"), True),
    Column("category", ("类别", "人员类别"), False),
    Column("community", ("社区",), False),
    Column("address", ("住址",), False),
    Column("phone", ("联系电话",), False),
    Column("guardian", ("监护人",), False),
    Column("guardian_phone", ("监护人电话",), False),
    Column("travel_regions", ("14天内旅居地区",), True),
    Column("arrival_date", ("来南日期",), True),
    Column("abroad_countries", ("14天内境外旅居国家",), True),
    Column("entry_date", ("入境日期",), True),
    Column("symptoms", ("症状",), True),
    Column("case_status", ("人员状态",), True),
    Column("status_date", ("状态日期",), True),
    Column("severe_contact", ("14天内接触疫情较重地区人员",), True),
    Column("lives_with_observed", ("与观察人员同住",), True),
    Column("certificate_until", ("健康证明有效期至",), False),
    Column("override", ("人工认定",), False),
    Column("previous_colour", ("上次颜色",), False),
    Column("report_days", ("连续申报天数",), False),
)
HEADER_OF = {c.field: c.headers[0] for c in COLUMNS}

CASE_STATUSES = (
    "正常",
    "确诊",
    "疑似",
    "无症状感染者集中隔离",
    "无症状感染者解除隔离",
    "密切接触者隔离",
    "治愈出院",
    "居家观察",
)
# Statuses that only make sense with the date they began.
DATED_STATUSES = frozenset(CASE_STATUSES) - {"正常", "确诊", "疑似"}
CATEGORY_WORDS = {"老年人": Category.ELDERLY, "老人": Category.ELDERLY,
                  "学生": Category.STUDENT, "其他": Category.OTHER, "其它": Category.OTHER}
OVERRIDES = ("高风险", "中风险")
YES = frozenset({"是", "有", "y", "yes", "true", "1", "√"})
NO = frozenset({"否", "无", "没有", "n", "no", "false", "0", "×", ""})
_SPLIT = re.compile(r"[、，,;；\s]+")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE][+]?\d+$")


def fold(text: str) -> str:
    """Header/value folding: full-width → half-width (NFKC), spaces trimmed, case folded."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


def header_key(text: str) -> str:
    """Headers match after folding width and case and dropping spaces and * marks."""
    return re.sub(r"[\s*]+", "", fold(text))


_HEADER_INDEX = {header_key(h): c.field for c in COLUMNS for h in c.headers}


def map_header(cells: Sequence[Any]) -> dict[str, int]:
    """Canonical field → column index for a header row (unknown headers are ignored)."""
    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        if cell is None:
            continue
        field = _HEADER_INDEX.get(header_key(str(cell)))
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


_CJK_NAME = re.compile(r"^[\u3400-\u9fff\U00020000-\U0002ffff·•\s]+$")


def clean_name(text: str) -> str:
    """Trim (U+3000 included); a Chinese name loses the spaces typed to align it (李　四)."""
    text = text.strip()
    if _CJK_NAME.match(text):
        text = re.sub(r"\s+", "", text)
    return text


@dataclass(frozen=True)
class RowContext:
    """What a row is read against: the as-of date and the default community."""

    as_of: dt.date
    community: str = ""


FIELDS = tuple(c.field for c in COLUMNS)


@dataclass(frozen=True)
class Header:
    """Where each canonical field sits in a sheet, and the header text as the file spells it."""

    index: dict[str, int]
    text: dict[str, str]


@dataclass(frozen=True)
class Problem:
    """Why a row cannot become a card: the offending value as the clerk sees it, and what to do."""

    shown: str
    zh: str
    en: str


_EMPTY_NAME = Problem("", "姓名为空", "name is empty")
_DESTROYED_ID = ("身份证号被Excel存成了数字，后几位已经丢失。请把该列设置为“文本”格式后重新输入",
                 "Excel stored the ID number as a number and destroyed its last digits: "
                 "format the column as Text and type the number again")
_NO_COMMUNITY = Problem("", "社区为空（可用 --community 统一指定）",
                        "community is empty (or give --community)")
_NO_ARRIVAL = Problem("", "填写了旅居地区，但来南日期为空",
                      "travel regions given but the arrival date is empty")
_NO_ENTRY = Problem("", "填写了境外国家，但入境日期为空",
                    "countries given but the entry date is empty")

# Cell readers: one raw cell → its value, or the Problem that rejects the row.  Pure functions
# of the cell alone (the ID number's also of the as-of date); checks between cells come after.


def _person(value: Any) -> str:
    text = cell_text(value)
    return text if not text or text.isalnum() else clean_name(text)  # nothing to clean


def _name(value: Any) -> str | Problem:
    return _person(value) or _EMPTY_NAME


def _id_number(value: Any, as_of: dt.date) -> str | Problem:
    if type(value) is str and len(value) == 18 and value.isascii() and value[:17].isdigit():
        checked, zh, en = idcard.normalise(value, as_of)  # the usual cell, typed as text
        return checked if checked is not None else Problem(value.strip(), zh, en)
    raw = value
    if isinstance(raw, float) and raw.is_integer() and raw < 2**53:
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and len(str(raw)) == 15:
        raw = str(raw)  # an old 15-digit number fits a number cell exactly
    if (isinstance(raw, (int, float)) and not isinstance(raw, bool)) or (
            isinstance(raw, str) and _SCIENTIFIC.match(raw.strip())):
        return Problem(cell_text(raw), *_DESTROYED_ID)
    id_text = cell_text(raw)
    if not (id_text.isascii() and id_text.isalnum()):
        id_text = unicodedata.normalize("NFKC", id_text).replace(" ", "")
    checked, zh, en = idcard.normalise(id_text, as_of)
    if checked is None:
        return Problem(cell_text(raw), zh if raw else "身份证号为空",
                       en if raw else "ID number is empty")
    return checked


def _category(value: Any) -> Category | None | Problem:
    """None for a blank cell: the category then follows from the age."""
    text = cell_text(value)
    if not text:
        return None
    category = CATEGORY_WORDS.get(text)
    if category is None:
        return Problem(text, "类别只能是 老年人、学生、其他",
                       "category must be 老年人 (elderly), 学生 (student) or 其他 (other)")
    return category


def _folded(value: Any) -> str:
    """Text with full-width digits and letters folded (phone numbers)."""
    text = cell_text(value)
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _items(value: Any) -> tuple[str, ...]:
    """A list of places or symptoms, split at 、，,;； and spaces; 无 is none."""
    text = unicodedata.normalize("NFKC", cell_text(value))
    if text in ("", "无"):
        return ()
    return tuple(p for p in _SPLIT.split(text) if p)


def _date(value: Any) -> dt.date | None | Problem:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    parsed = parse_date(value)
    if parsed is None:
        return Problem(cell_text(value), "日期无法识别或不存在，请写成2020-03-05",
                       "not a real date; write it as 2020-03-05")
    return parsed


def _status(value: Any) -> str | Problem:
    status = cell_text(value) or "正常"
    if status not in CASE_STATUSES:
        return Problem(status, "人员状态无法识别，可填：" + "、".join(CASE_STATUSES),
                       "unknown case status")
    return status


def _yes_no(value: Any) -> bool | Problem:
    """是/否 and the usual spellings (有/无, Y/N, yes/no, √/×, TRUE/FALSE); blank is 否."""
    if value is None or value == "否":
        return False
    if isinstance(value, bool):
        return value
    word = fold(cell_text(value))
    if word in YES:
        return True
    if word in NO:
        return False
    return Problem(cell_text(value), "只能填“是”或“否”", "must be 是 (yes) or 否 (no)")


def _override(value: Any) -> str | Problem:
    text = cell_text(value)
    if text and text not in OVERRIDES:
        return Problem(text, "人工认定只能是 高风险 或 中风险",
                       "manual classification must be 高风险 or 中风险")
    return text


def _previous(value: Any) -> Colour | None | Problem:
    text = cell_text(value)
    if not text:
        return None
    colour = Colour.from_word(text)
    if colour is None:
        return Problem(text, "上次颜色只能是 绿码、黄码、红码",
                       "previous colour must be 绿码, 黄码 or 红码")
    return colour


def _report_days(value: Any) -> int | Problem:
    text = unicodedata.normalize("NFKC", cell_text(value))
    if not text:
        return 0
    if not text.isdigit():
        return Problem(text, "连续申报天数必须是整数", "must be a whole number")
    return int(text)


# Each field is either personal (a different value on nearly every row: read on every row) or
# coded (a few values the whole roster shares: read once per combination, see _Codes).
PERSONAL = ("name", "id_number", "address", "phone", "guardian", "guardian_phone")
CODED = tuple(f for f in FIELDS if f not in PERSONAL)
_CODED_READERS: tuple[Callable[[Any], Any], ...] = tuple({
    "category": _category, "community": cell_text, "travel_regions": _items,
    "arrival_date": _date, "abroad_countries": _items, "entry_date": _date, "symptoms": _items,
    "case_status": _status, "status_date": _date, "severe_contact": _yes_no,
    "lives_with_observed": _yes_no, "certificate_until": _date, "override": _override,
    "previous_colour": _previous, "report_days": _report_days,
}[f] for f in CODED)
_COMMUNITY = CODED.index("community")
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
        "community": _NO_COMMUNITY if not v["community"] else None,
        "arrival_date": _NO_ARRIVAL if v["travel_regions"] and v["arrival_date"] is None
        else None,
        "entry_date": _NO_ENTRY if v["abroad_countries"] and v["entry_date"] is None else None,
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
        pad = max(header.index.values()) + 1  # absent fields read this always-blank cell
        self.width = pad if len(header.index) == len(FIELDS) else pad + 1
        self.personal = operator.itemgetter(*(header.index.get(f, pad) for f in PERSONAL))
        self.coded = operator.itemgetter(*(header.index.get(f, pad) for f in CODED))
        self.codes = _Codes(ctx)
        self.by_birth: dict[str, Category] = {}  # category by birth date, where it is blank

    def outcome(self, number: int, cells: Sequence[Any]) -> Resident | RowError:
        """One non-blank data row (``number`` as Excel shows it)."""
        short = self.width - len(cells)
        if short > 0:
            cells = [*cells, *([None] * short)]
        raw_name, raw_id, address, phone, guardian, guardian_phone = self.personal(cells)
        name = _name(raw_name)
        id18 = _id_number(raw_id, self.ctx.as_of)
        coded, problem = self.codes[self.coded(cells)]
        if type(name) is Problem:
            problem = "name", name
        elif type(id18) is Problem:
            problem = "id_number", id18
        if problem is not None:
            field, why = problem
            return RowError(Location(self.file, self.sheet, number,
                                     self.header.text.get(field, HEADER_OF[field])),
                            why.shown, why.zh, why.en, name if type(name) is str else "")
        name, id18 = cast(str, name), cast(str, id18)  # neither is a Problem here
        first = self.seen.first(id18, self.place, number)
        if first is not None:
            return self._duplicate(number, id18, name, first)
        (category, community, regions, arrival, countries, entry, symptoms, status, status_date,
         severe, with_observed, certificate, override, previous, report_days) = coded
        if category is None:
            born = id18[6:14]
            category = self.by_birth.get(born)
            if category is None:
                old = idcard.age_on(id18, self.ctx.as_of) >= 60
                category = self.by_birth[born] = Category.ELDERLY if old else Category.OTHER
        where = assemble(Location, {"file": self.file, "sheet": self.sheet, "row": number,
                                    "column": ""})
        return assemble(Resident, {
            "name": name, "id_number": id18, "category": category, "community": community,
            "where": where, "address": cell_text(address), "phone": _folded(phone),
            "guardian": _person(guardian), "guardian_phone": _folded(guardian_phone),
            "travel_regions": regions, "arrival_date": arrival, "abroad_countries": countries,
            "entry_date": entry, "symptoms": symptoms, "case_status": status,
            "status_date": status_date, "severe_contact": severe,
            "lives_with_observed": with_observed, "certificate_until": certificate,
            "override": override, "previous_colour": previous, "report_days": report_days})

    def _duplicate(self, number: int, id18: str, name: str, first: Location) -> RowError:
        return RowError(Location(self.file, self.sheet, number, HEADER_OF["id_number"]),
                        mask_id(id18), f"身份证号重复，首次出现在 {first.describe()}",
                        f"duplicate ID number, first seen at {first.file} {first.sheet} "
                        f"row {first.row}", name)


def _blank(cells: Sequence[Any]) -> bool:
    for c in cells:
        if c is not None and (type(c) is not str or c.strip()):
            return False
    return True


@dataclass(frozen=True)
class SheetNotice:
    """A sheet that was not read as a roster, said out loud rather than skipped in silence."""

    file: str
    sheet: str
    rows: int
    zh: str
    en: str

    @property
    def message(self) -> str:
        return f"{self.file} · {self.sheet}: {self.zh} / {self.en}"


HEADER_SEARCH_ROWS = 30  # title rows a header may sit below
INSTRUCTIONS_MARK = "passgen 填写说明"


def find_header(cells: Sequence[Any]) -> Header | None:
    """A header row names at least the name and ID columns and one more known column."""
    index = map_header(cells)
    if "name" not in index or "id_number" not in index or len(index) < 3:
        return None
    return Header(index, {f: cell_text(cells[i]) for f, i in index.items()})


def read_sheet_rows(file: str, sheet: str, rows: Iterable[tuple[int, Sequence[Any]]],
                    ctx: RowContext, notices: list[SheetNotice] | None = None,
                    seen: Seen | None = None) -> Iterator[Resident | RowError]:
    """The header is the first row (among the first 30 non-blank ones) naming 姓名, 身份证号
    and another known column; rows above it are titles.  Every non-blank row below it is one
    outcome.  A sheet without such a row is reported in ``notices`` with its row count."""
    it = iter(rows)
    header: Header | None = None
    searched = 0
    header_row = 0
    first: list[Any] = []
    for header_row, cells in it:  # noqa: B007 (header_row names the header row below)
        if _blank(cells):
            continue
        if not first:
            first = list(cells)
        header = find_header(cells)
        searched += 1
        if header is not None or searched >= HEADER_SEARCH_ROWS:
            break
    if header is None:
        if searched and notices is not None:
            rest = sum(1 for _, cells in it if not _blank(cells))
            if not (first and isinstance(first[0], str) and first[0].startswith(INSTRUCTIONS_MARK)):
                notices.append(SheetNotice(
                    file, sheet, searched + rest,
                    f"没有找到表头（需要“姓名”“身份证号”等列名），本表 {searched + rest} 行未读取",
                    f"no roster header found (姓名, 身份证号, ...): {searched + rest} rows not read"))
        return
    missing = [c.headers[0] for c in COLUMNS if c.required and c.field not in header.index]
    if missing:
        found = "、".join(cell_text(c) for c in cells if cell_text(c)) or "（无）"
        raise RosterError(
            f"{file} · {sheet}: 第{header_row}行的表头缺少必需的列：{'、'.join(missing)}。"
            f"找到的列：{found}",
            f"{file} · {sheet}: the header in row {header_row} lacks required columns "
            f"{', '.join(missing)}",
        )
    reader = SheetReader(file, sheet, header, ctx, seen)
    for number, cells in it:
        if not _blank(cells):
            yield reader.outcome(number, cells)


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
    first_seen = Seen()
    for path in paths:
        yield from read_roster(path, ctx, limits, notices, first_seen, spool)
