"""Roster intake: spreadsheet rows → :class:`Resident` or :class:`RowError` (DESIGN.md §3).

Every non-blank row ends as exactly one of the two; nothing is guessed.  Values are
normalised (full-width digits folded, names trimmed) and checked (ID check digit and birth
date, real dates, coded values).  A missing required or health column refuses the file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from passgen import idcard
from passgen.dates import parse_date
from passgen.errors import RosterError
from passgen.models import Category, Colour, Location, Resident, RowError
from passgen.sheets import DEFAULT_LIMITS, Limits, read_sheets


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

    @functools.cached_property
    def width(self) -> int:
        return max(self.index.values()) + 1

    @functools.cached_property
    def getter(self) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
        """All fields of a row (padded to ``width`` + 1) in one call; absent fields read the
        padding cell, which is always blank."""
        return operator.itemgetter(*(self.index.get(f, self.width) for f in FIELDS))


class _Row:
    """Reads the fields of one row, collecting the first problem as a RowError."""

    def __init__(self, cells: Sequence[Any], header: Header, where: Location) -> None:
        missing = header.width + 1 - len(cells)
        padded = [*cells, *([None] * missing)] if missing > 0 else cells
        self.values = dict(zip(FIELDS, header.getter(padded), strict=True))
        self.names = header.text
        self.where = where
        self.error: RowError | None = None

    def raw(self, field: str) -> Any:
        return self.values[field]

    def fail(self, field: str, value: Any, zh: str, en: str) -> None:
        if self.error is None:
            where = Location(self.where.file, self.where.sheet, self.where.row,
                             self.names.get(field, HEADER_OF[field]))
            self.error = RowError(where, cell_text(value), zh, en)

    def text(self, field: str) -> str:
        return cell_text(self.raw(field))

    def date(self, field: str) -> dt.date | None:
        value = self.values[field]
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.fail(field, value, "日期无法识别或不存在，请写成2020-03-05",
                      "not a real date; write it as 2020-03-05")
        return parsed

    def yes_no(self, field: str) -> bool:
        """是/否 and the usual spellings (有/无, Y/N, yes/no, √/×, TRUE/FALSE); blank is 否."""
        value = self.values[field]
        if value is None or value == "否":
            return False
        if isinstance(value, bool):
            return value
        word = fold(cell_text(value))
        if word in YES:
            return True
        if word not in NO:
            self.fail(field, value, "只能填“是”或“否”", "must be 是 (yes) or 否 (no)")
        return False

    def items(self, field: str) -> tuple[str, ...]:
        if self.values[field] is None:
            return ()
        text = unicodedata.normalize("NFKC", self.text(field))
        if text in ("", "无"):
            return ()
        return tuple(p for p in _SPLIT.split(text) if p)


def read_row(cells: Sequence[Any], header: Header, where: Location,
             ctx: RowContext) -> Resident | RowError:
    """One data row → Resident, or RowError naming the first bad cell."""
    r = _Row(cells, header, where)
    name = clean_name(r.text("name"))
    if not name:
        r.fail("name", "", "姓名为空", "name is empty")
    raw_id = r.raw("id_number")
    id18 = ""
    if isinstance(raw_id, float) and raw_id.is_integer() and raw_id < 2**53:
        raw_id = int(raw_id)
    if isinstance(raw_id, int) and not isinstance(raw_id, bool) and len(str(raw_id)) == 15:
        raw_id = str(raw_id)  # an old 15-digit number fits a number cell exactly
    if (isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool)) or (
            isinstance(raw_id, str) and _SCIENTIFIC.match(raw_id.strip())):
        r.fail("id_number", raw_id,
               "身份证号被Excel存成了数字，后几位已经丢失。请把该列设置为“文本”格式后重新输入",
               "Excel stored the ID number as a number and destroyed its last digits: "
               "format the column as Text and type the number again")
    else:
        id_text = cell_text(raw_id)
        if not (id_text.isascii() and id_text.isalnum()):
            id_text = unicodedata.normalize("NFKC", id_text).replace(" ", "")
        checked, zh, en = idcard.normalise(id_text, ctx.as_of)
        if checked is None:
            r.fail("id_number", raw_id, zh if raw_id else "身份证号为空",
                   en if raw_id else "ID number is empty")
        else:
            id18 = checked

    category_text = r.text("category")
    category = Category.OTHER
    if category_text:
        if category_text in CATEGORY_WORDS:
            category = CATEGORY_WORDS[category_text]
        else:
            r.fail("category", category_text, "类别只能是 老年人、学生、其他",
                   "category must be 老年人 (elderly), 学生 (student) or 其他 (other)")
    elif id18:
        category = Category.ELDERLY if idcard.age_on(id18, ctx.as_of) >= 60 else Category.OTHER

    community = r.text("community") or ctx.community
    if not community:
        r.fail("community", "", "社区为空（可用 --community 统一指定）",
               "community is empty (or give --community)")

    regions = r.items("travel_regions")
    arrival = r.date("arrival_date")
    if regions and arrival is None:
        r.fail("arrival_date", "", "填写了旅居地区，但来南日期为空",
               "travel regions given but the arrival date is empty")
    countries = r.items("abroad_countries")
    entry = r.date("entry_date")
    if countries and entry is None:
        r.fail("entry_date", "", "填写了境外国家，但入境日期为空",
               "countries given but the entry date is empty")
    symptoms = r.items("symptoms")

    status = r.text("case_status") or "正常"
    if status not in CASE_STATUSES:
        r.fail("case_status", status, "人员状态无法识别，可填：" + "、".join(CASE_STATUSES),
               "unknown case status")
    status_date = r.date("status_date")
    if status in DATED_STATUSES and status_date is None:
        r.fail("status_date", "", f"人员状态为“{status}”时必须填写状态日期",
               "this case status needs the date it began")

    severe = r.yes_no("severe_contact")
    with_observed = r.yes_no("lives_with_observed")
    certificate = r.date("certificate_until")
    override = r.text("override")
    if override and override not in OVERRIDES:
        r.fail("override", override, "人工认定只能是 高风险 或 中风险",
               "manual classification must be 高风险 or 中风险")
    prev_text = r.text("previous_colour")
    previous = Colour.from_word(prev_text) if prev_text else None
    if prev_text and previous is None:
        r.fail("previous_colour", prev_text, "上次颜色只能是 绿码、黄码、红码",
               "previous colour must be 绿码, 黄码 or 红码")
    days_text = unicodedata.normalize("NFKC", r.text("report_days")) \
        if r.values["report_days"] is not None else ""
    report_days = 0
    if days_text:
        if days_text.isdigit():
            report_days = int(days_text)
        else:
            r.fail("report_days", days_text, "连续申报天数必须是整数", "must be a whole number")

    for date_field, day in (("arrival_date", arrival), ("entry_date", entry),
                            ("status_date", status_date)):
        if day is not None and day > ctx.as_of:
            r.fail(date_field, day.isoformat(), "日期晚于签发日期，不可能",
                   "date is after the as-of date")

    if r.error is not None:
        return dataclasses.replace(r.error, name=name)
    return Resident(
        name=name, id_number=id18, category=category, community=community, where=where,
        address=r.text("address"), phone=unicodedata.normalize("NFKC", r.text("phone")),
        guardian=clean_name(r.text("guardian")),
        guardian_phone=unicodedata.normalize("NFKC", r.text("guardian_phone")),
        travel_regions=regions, arrival_date=arrival, abroad_countries=countries,
        entry_date=entry, symptoms=symptoms, case_status=status, status_date=status_date,
        severe_contact=severe, lives_with_observed=with_observed,
        certificate_until=certificate, override=override, previous_colour=previous,
        report_days=report_days,
    )


def _blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


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
                    ctx: RowContext, notices: list[SheetNotice] | None = None
                    ) -> Iterator[Resident | RowError]:
    """The header is the first row (among the first 30 non-blank ones) naming 姓名, 身份证号
    and another known column; rows above it are titles.  Every non-blank row below it is one
    outcome.  A sheet without such a row is reported in ``notices`` with its row count."""
    it = iter(rows)
    header: Header | None = None
    seen = 0
    header_row = 0
    first: list[Any] = []
    for header_row, cells in it:  # noqa: B007 (header_row names the header row below)
        if _blank(cells):
            continue
        if not first:
            first = list(cells)
        header = find_header(cells)
        seen += 1
        if header is not None or seen >= HEADER_SEARCH_ROWS:
            break
    if header is None:
        if seen and notices is not None:
            rest = sum(1 for _, cells in it if not _blank(cells))
            if not (first and isinstance(first[0], str) and first[0].startswith(INSTRUCTIONS_MARK)):
                notices.append(SheetNotice(
                    file, sheet, seen + rest,
                    f"没有找到表头（需要“姓名”“身份证号”等列名），本表 {seen + rest} 行未读取",
                    f"no roster header found (姓名, 身份证号, ...): {seen + rest} rows not read"))
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
    for number, cells in it:
        if _blank(cells):
            continue
        yield read_row(cells, header, Location(file, sheet, number), ctx)


def read_roster(path: Path, ctx: RowContext, limits: Limits = DEFAULT_LIMITS,
                notices: list[SheetNotice] | None = None) -> Iterator[Resident | RowError]:
    """Every sheet of a roster file (.xlsx, .xls, .ods, .csv), row by row."""
    for sheet in read_sheets(path, limits):
        yield from read_sheet_rows(path.name, sheet.name, sheet.rows, ctx, notices)


def read_rosters(paths: Sequence[Path], ctx: RowContext, limits: Limits = DEFAULT_LIMITS,
                 notices: list[SheetNotice] | None = None) -> Iterator[Resident | RowError]:
    """All rows of all files; an ID number seen before is rejected, naming its first row."""
    first_seen: dict[str, Location] = {}
    for path in paths:
        for outcome in read_roster(path, ctx, limits, notices):
            if isinstance(outcome, Resident):
                first = first_seen.get(outcome.id_number)
                if first is not None:
                    where = Location(outcome.where.file, outcome.where.sheet, outcome.where.row,
                                     HEADER_OF["id_number"])
                    yield RowError(where, outcome.masked_id,
                                   f"身份证号重复，首次出现在 {first.describe()}",
                                   f"duplicate ID number, first seen at {first.file} "
                                   f"{first.sheet} row {first.row}", outcome.name)
                    continue
                first_seen[outcome.id_number] = outcome.where
            yield outcome
