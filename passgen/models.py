"""Plain frozen values handed from one pipeline stage to the next."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any, TypeVar

from passgen.dates import Days
from passgen.text import visible

_T = TypeVar("_T")


def assemble(cls: type[_T], fields: dict[str, Any]) -> _T:
    """``cls(**fields)`` for a frozen dataclass, given every field by name, already checked.

    It skips the generated ``__init__``, which sets each field through ``object.__setattr__``:
    4 to 8 µs for Resident's 22 fields, as much again as all the rest of reading a roster
    row.  Only for classes without ``__post_init__`` or ``__slots__``, and callers name every
    field: tests compare what they build with ``cls(**fields)``.
    """
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def evolve(obj: _T, **changes: Any) -> _T:
    """``dataclasses.replace(obj, **changes)`` for the same kind of class as ``assemble``,
    with names the caller knows are fields: a tenth of its cost (the rules engine makes
    several per resident)."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    new.__dict__.update(changes)
    return new


class Colour(IntEnum):
    """Health-code colour; the integer is the PG1 claim value (claim -3)."""

    GREEN = 0
    YELLOW = 1
    RED = 2

    @property
    def word(self) -> str:
        return ("绿码", "黄码", "红码")[self]

    @property
    def english(self) -> str:
        return ("green", "yellow", "red")[self]

    @property
    def meaning(self) -> str:
        """What the colour means at a checkpoint, in the words of the source: the one
        vocabulary of the card, the posters, ``verify``, ``checkpoint`` and the phone page
        (DESIGN.md §4)."""
        return (
            "查验体温亮码通行",
            "检查体温、充分核验后方可通行",
            "待转码后方可通行",
        )[self]

    @property
    def meaning_en(self) -> str:
        """``meaning`` in English."""
        return (
            "check temperature, show the code, let through",
            "check temperature, verify fully, then let through",
            "may pass only once the code has converted: do not let through",
        )[self]

    @classmethod
    def from_word(cls, text: str) -> Colour | None:
        text = text.strip().lower()
        for c in cls:
            if text in (c.word, c.word[0], c.english, c.name.lower()):
                return c
        return None


class Category(IntEnum):
    """Resident category; the integer is the PG1 claim value (claim -4)."""

    ELDERLY = 0
    STUDENT = 1
    OTHER = 2

    @property
    def word(self) -> str:
        return ("老年人", "学生", "其他")[self]


@dataclass(frozen=True)
class Location:
    """Where a value came from: file, sheet, the row number as Excel shows it, column header."""

    file: str
    sheet: str
    row: int
    column: str = ""

    def describe(self) -> str:
        """Where, as a message says it: file and sheet names are data (a control character
        in one is shown as <U+XXXX>, never sent to a terminal)."""
        where = f"{visible(self.file)} · {visible(self.sheet)} · 第{self.row}行"
        return f"{where} · {self.column}" if self.column else where


@dataclass(frozen=True)
class RowError:
    """A row that cannot become a card, with a message a clerk can act on."""

    where: Location
    value: str
    zh: str
    en: str
    name: str = ""

    @property
    def message(self) -> str:
        value = f"「{self.value}」" if self.value else ""
        return f"{self.where.describe()}{value}: {self.zh} / {self.en}"


@dataclass(frozen=True)
class Resident:
    """One roster row, validated and normalised (DESIGN.md §3)."""

    name: str
    id_number: str
    category: Category
    community: str
    where: Location
    address: str = ""
    phone: str = ""
    guardian: str = ""
    guardian_phone: str = ""
    travel_regions: tuple[str, ...] = ()
    arrival_date: dt.date | None = None
    abroad_countries: tuple[str, ...] = ()
    entry_date: dt.date | None = None
    symptoms: tuple[str, ...] = ()
    case_status: str = "正常"
    status_date: dt.date | None = None
    severe_contact: bool = False
    lives_with_observed: bool = False
    certificate_until: dt.date | None = None
    override: str = ""
    previous_colour: Colour | None = None
    report_days: int = 0

    @property
    def masked_id(self) -> str:
        return mask_id(self.id_number)


def mask_id(id_number: str) -> str:
    """First 6 and last 4 characters kept, the rest ``*`` (PG1 claim -2)."""
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


@dataclass(frozen=True)
class ClauseMatch:
    """One rule clause that fired for a resident, with its source text."""

    clause_id: str
    colour: Colour
    source: str


class PreviousSource(StrEnum):
    """Where a resident's previous colour came from (DESIGN.md §4)."""

    ROSTER = "roster"  # the 上次颜色 cell
    LEDGER = "ledger"  # the office ledger's last card for the same ID number

    @property
    def word(self) -> str:
        return {"roster": "花名册“上次颜色”", "ledger": "登记册中上一张卡"}[self.value]


@dataclass(frozen=True)
class Previous:
    """The colour of a resident's last card: conversions start from it."""

    colour: Colour
    source: PreviousSource
    issued: dt.date | None = None  # the day of that card (the ledger's)

    def describe(self) -> str:
        when = f"，自 {self.issued} 起" if self.issued else ""
        return f"上次颜色 {self.colour.word}（{self.source.word}{when}）"


@dataclass(frozen=True)
class Span:
    """A state (a state clause that held) from ``start`` until the day before ``end``: the
    as-of date of the first batch whose roster no longer listed it (None: it still holds)."""

    clause: str
    start: dt.date
    end: dt.date | None = None

    def holds(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class Record:
    """What a card was decided on: the events a roster recorded (each with its day), the
    states with the days they held, the compliant report days the office was told of, a
    colour held from elsewhere (上次颜色, or a card from before facts were kept), and the
    card's own day, colour and streak."""

    day: dt.date
    colour: Colour
    streak: int = 0  # 连续申报天数 on ``day``; -1: not known (a card from before records)
    arrival: dt.date | None = None
    regions: tuple[str, ...] = ()
    entry: dt.date | None = None
    countries: tuple[str, ...] = ()
    status: str = ""  # a 人员状态 that is an event (a discharge, a release), with its day
    status_date: dt.date | None = None
    certificate: dt.date | None = None
    states: tuple[Span, ...] = ()
    reported: tuple[Days, ...] = ()  # compliant report days, sorted, disjoint
    held: tuple[tuple[dt.date, Colour], ...] = ()  # colours known from elsewhere, by day
    serial: bytes = field(default=b"", compare=False)  # the card's, to name it in messages

    @property
    def legacy(self) -> bool:
        """A card from before the ledger kept facts: only its colour and days are known."""
        return self.streak < 0

    def to_json(self) -> bytes:
        def day(d: dt.date | None) -> str | None:
            return None if d is None else d.isoformat()

        data = {"v": 1, "day": day(self.day), "colour": int(self.colour), "streak": self.streak,
                "arrival": day(self.arrival), "regions": list(self.regions),
                "entry": day(self.entry), "countries": list(self.countries),
                "status": self.status, "status_date": day(self.status_date),
                "certificate": day(self.certificate),
                "states": [[s.clause, day(s.start), day(s.end)] for s in self.states],
                "reported": [[day(a), day(b)] for a, b in self.reported],
                "held": [[day(d), int(c)] for d, c in self.held]}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes, serial: bytes = b"") -> Record:
        """The record ``to_json`` wrote; ValueError (or KeyError, TypeError) if it is not."""
        d = json.loads(raw)
        if d.get("v") != 1:
            raise ValueError("unknown record version")

        def day(text: str | None) -> dt.date | None:
            return None if text is None else dt.date.fromisoformat(text)

        def must(text: str) -> dt.date:
            return dt.date.fromisoformat(text)

        return cls(must(d["day"]), Colour(d["colour"]), int(d["streak"]), day(d["arrival"]),
                   tuple(map(str, d["regions"])), day(d["entry"]),
                   tuple(map(str, d["countries"])), str(d["status"]), day(d["status_date"]),
                   day(d["certificate"]),
                   tuple(Span(str(c), must(s), day(e)) for c, s, e in d["states"]),
                   tuple((must(a), must(b)) for a, b in d["reported"]),
                   tuple((must(a), Colour(c)) for a, c in d["held"]), serial)


def legacy(day: dt.date, colour: Colour, began: dt.date, serial: bytes = b"") -> Record:
    """A card the ledger recorded before it kept facts: its colour, held since the first
    card of its run (``began``), is all that is known of it."""
    return Record(day, colour, -1, held=((began, colour),) if colour else (), serial=serial)


@dataclass(frozen=True)
class Assessment:
    """The colour of one resident and every reason for it."""

    colour: Colour
    matched: tuple[ClauseMatch, ...]
    rules_version: bytes
    conversions: tuple[str, ...] = ()  # T2, T1: the steps taken in the running episode
    previous: Previous | None = None
    kept: Record | None = None  # the facts to keep with the card (DESIGN.md §4)

    @property
    def conversion(self) -> str:
        return "、".join(self.conversions)

    @property
    def clause_ids(self) -> tuple[str, ...]:
        return tuple(m.clause_id for m in self.matched) + self.conversions


@dataclass(frozen=True)
class Claims:
    """The signed content of a PG1 pass (DESIGN.md §5)."""

    issuer: str
    expires: int
    issued_at: int
    serial: bytes
    name: str
    masked_id: str
    colour: Colour
    category: Category
    rules_version: bytes


def short_serial(serial: bytes) -> str:
    """A card serial as printed on the card: ``C6D4-F6A1-2701-853B``."""
    h = serial.hex().upper()
    return "-".join(h[i:i + 4] for i in range(0, len(h), 4))


@dataclass(frozen=True)
class Card:
    """Everything needed to print one card."""

    resident: Resident
    assessment: Assessment
    claims: Claims
    payload: str
    issuance: int = 0  # the ledger's issuance number in its serial (0: no ledger)
