"""Shared colour rules: a versioned TOML file → :class:`Rules` (DESIGN.md §4).

The rules file is data an administrator edits (docs/rules.md); this module only knows the
condition kinds a clause may use (``passgen.rules.conditions``).  The rules version is the
first 4 bytes of the SHA-256 of the file's bytes and is signed into every card; the file pins
the place table it uses by its SHA-256, so the version covers that table too.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from passgen.errors import RulesError
from passgen.models import ClauseMatch, Colour
from passgen.rules.conditions import (
    EVENT_DATES,
    WINDOWS,
    Predicate,
    all_of,
    compile_condition,
    compile_override,
)
from passgen.rules.places import Gazetteer
from passgen.schema import Document, Spec, date, free_table, integer, table, tables, text, texts
from passgen.text import visible

FORMAT = "passgen-rules/1"
MAX_PLACES_BYTES = 16 << 20  # the bundled table is 63 KB
COLOURS = {"green": Colour.GREEN, "yellow": Colour.YELLOW, "red": Colour.RED}
AREA_LEVELS = ("high", "medium", "severe")
ABROAD_LEVELS = ("severe",)
_DATED = {"from": date(), "until": date(), "dates_reason": text(default=""),
          "source": text(default=""), "note": text(default="")}
KINDS = ("state", "event")  # see Clause.kind
# conditions that only hold for a resident with an arrival or an entry from abroad
TRAVEL_CONDITIONS = frozenset({"arrived_from", "abroad_from", "arrival_within_days",
                               "entry_within_days"})
RULES_SCHEMA: dict[str, Spec] = {
    "format": text(True, choices=(FORMAT,)),
    "name": text(default=""),
    "window_days": integer(default=14),
    "places": table({"file": text(True), "sha256": text(True)}, required=True),
    "vocabulary": table({"symptoms": texts(), "countries": texts()}),
    "area": tables({"level": text(True, choices=AREA_LEVELS), "places": texts(), **_DATED}),
    "abroad": tables({"level": text(True, choices=ABROAD_LEVELS), "countries": texts(),
                      **_DATED}),
    "clause": tables({"id": text(True), "colour": text(True, choices=tuple(COLOURS)),
                      "source": text(default=""), "when": free_table(required=True),
                      "kind": text(choices=KINDS), "beats": texts(), "note": text(default="")}),
    "conversions": table({"T1": text(), "T2": text()}),
}


@dataclass(frozen=True)
class Clause:
    """One clause of the source: id, colour, source sentence and machine condition."""

    id: str
    colour: Colour
    source: str
    when: tuple[tuple[str, Any], ...]
    beats: tuple[str, ...] = ()
    note: str = ""
    test: Predicate = field(default=lambda r, d, f: False, compare=False, repr=False)
    is_fallback: bool = False
    # "state": an ongoing state (a case, isolation, living with an observed person, a manual
    # classification, symptoms): it holds the colour while the roster says so and blocks any
    # conversion.  "event": something that happened on a day (an arrival, an entry from
    # abroad, a discharge, a release): conversions clear it like the colour it gave.
    kind: str = "state"
    event_date: str = ""  # for an event: the Resident field that dates it

    @functools.cached_property
    def match(self) -> ClauseMatch:
        return ClauseMatch(self.id, self.colour, self.source)

    @functools.cached_property
    def windowed(self) -> bool:
        """Whether a condition bounds it in days (14天内, 未满14天): R1 and Y1 have none."""
        return any(k in WINDOWS for k, _ in self.when)


@dataclass(frozen=True)
class Dated:
    """A list in the rules file that applies from/until dates (both inclusive, both optional;
    an administrator sets them with ``dates_reason``)."""

    level: str
    start: dt.date | None
    end: dt.date | None
    source: str
    dates_reason: str = ""

    def active(self, day: dt.date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Area(Dated):
    """Places at a risk level (high, medium, severe)."""

    codes: tuple[str, ...] = ()
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class AbroadList(Dated):
    """Countries abroad counted as 疫情较重 (severe)."""

    countries: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rules:
    """A validated rules file."""

    name: str
    version: bytes
    window_days: int
    places: Gazetteer
    areas: tuple[Area, ...]
    abroad: tuple[AbroadList, ...]
    symptoms: frozenset[str]
    countries: frozenset[str]
    clauses: tuple[Clause, ...]
    conversions: Mapping[str, str]

    triggers: tuple[Clause, ...] = ()  # clauses that test facts, in file order
    # the triggers that can fire without an arrival or an entry (most residents have none):
    # a quick path that skips the travel clauses, which cannot fire then
    home_triggers: tuple[Clause, ...] = ()
    fallbacks: tuple[Clause, ...] = ()  # green clauses for when nothing else fired

    @functools.cached_property
    def by_id(self) -> dict[str, Clause]:
        return {c.id: c for c in self.clauses}

    @functools.cached_property
    def order(self) -> dict[str, int]:
        """Each clause id's place in the file: lists of clauses follow it."""
        return {c.id: i for i, c in enumerate(self.clauses)}

    @functools.cached_property
    def event_statuses(self) -> frozenset[str]:
        """The 人员状态 values that date an event (a discharge, a release), not a state."""
        return frozenset(s for c in self.clauses if c.kind == "event" for k, v in c.when
                         if k == "statuses" for s in v)

    @functools.cached_property
    def symptom_clauses(self) -> frozenset[str]:
        """State clauses that hold on days with symptoms: never compliant report days."""
        return frozenset(c.id for c in self.clauses if any(k == "symptoms" for k, _ in c.when))

    @property
    def version_hex(self) -> str:
        return self.version.hex()


def _load_places(doc: Document, spec: Mapping[str, str], base: Path | None) -> Gazetteer:
    name = spec["file"]
    if not re.fullmatch(r"[^/\\:]+\.tsv", name) or name.startswith("."):
        # the table lies beside the rules file: a path elsewhere made the sha256 check an
        # oracle for any file on the machine (issue #36)
        raise doc.fail(("places", "file"), f"地名表只能是规则文件所在文件夹里的 .tsv 文件名，不能是路径："
                       f"{visible(name)}", f"the place table must be a .tsv file name beside the "
                       f"rules file, not a path: {visible(name)}")
    data: bytes | None = None
    if base is not None and (base / name).is_file() and not (base / name).is_symlink():
        with (base / name).open("rb") as fh:
            data = fh.read(MAX_PLACES_BYTES + 1)
    else:
        bundled = resources.files("passgen.rulesets") / name
        if bundled.is_file():
            data = bundled.read_bytes()
    if data is None:
        raise doc.fail(("places", "file"), f"找不到地名表 {name}", f"place table {name} not found")
    if hashlib.sha256(data).hexdigest() != spec["sha256"]:
        raise doc.fail(("places", "sha256"), f"地名表 {name} 的 SHA-256 与规则文件中记录的不符",
                       f"place table {name} does not match the sha256 in the rules file")
    try:
        return Gazetteer.parse(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, IndexError, KeyError) as exc:
        raise doc.fail(("places", "file"), f"地名表 {name} 的格式不对（{visible(str(exc)[:80])}）",
                       f"place table {name} is malformed ({visible(str(exc)[:80])})") from None


def _check_dates(doc: Document, where: tuple[str, int], raw: dict[str, Any]) -> None:
    """A list's dates are an administrator's decision, never a default: each needs its reason."""
    if (raw["from"] is not None or raw["until"] is not None) and not raw["dates_reason"]:
        key = "from" if raw["from"] is not None else "until"
        raise doc.fail((*where, key), "设了日期就要写明依据（dates_reason = \"…\"）",
                       "a date needs its reason (dates_reason = \"...\")")


def _areas(doc: Document, raw: tuple[dict[str, Any], ...], places: Gazetteer) -> list[Area]:
    areas = []
    for index, a in enumerate(raw):
        codes = []
        for name in a["places"]:
            found = places.resolve(name)
            if not found.code:
                raise doc.fail(("area", index, "places"),
                               f"地区“{name}”无法唯一识别（{found.problem}）",
                               f"area place {name!r} is {found.problem}", value=name)
            codes.append(found.code)
        _check_dates(doc, ("area", index), a)
        areas.append(Area(a["level"], a["from"], a["until"], a["source"], a["dates_reason"],
                          tuple(codes), a["places"]))
    return areas


def _abroad(doc: Document, raw: tuple[dict[str, Any], ...],
            countries: frozenset[str]) -> list[AbroadList]:
    lists = []
    for index, a in enumerate(raw):
        for name in a["countries"]:
            if name not in countries:
                raise doc.fail(("abroad", index, "countries"),
                               f"“{name}”不在 [vocabulary] countries 中",
                               f"country {name!r} is not in [vocabulary] countries", value=name)
        _check_dates(doc, ("abroad", index), a)
        lists.append(AbroadList(a["level"], a["from"], a["until"], a["source"],
                                a["dates_reason"], frozenset(a["countries"])))
    return lists


def _clauses(doc: Document, raw: tuple[dict[str, Any], ...]) -> list[Clause]:
    clauses: list[Clause] = []
    for index, c in enumerate(raw):
        cid = c["id"]
        if not re.fullmatch(r"[RYG]\d+", cid) or any(other.id == cid for other in clauses):
            raise doc.fail(("clause", index, "id"), f"条款编号“{cid}”无效或重复（应如 R1、Y2、G3）",
                           f"clause id {cid!r} is invalid or repeated (expected like R1, Y2, G3)")
        colour = COLOURS[c["colour"]]
        if "GYR".index(cid[0]) != colour:
            raise doc.fail(("clause", index, "colour"), f"条款 {cid} 的颜色与编号不符",
                           f"clause {cid}: colour does not match its id")
        when = c["when"]
        if not when:
            raise doc.fail(("clause", index, "when"), f"条款 {cid} 没有条件",
                           f"clause {cid} has no condition")
        tests: list[Predicate] = []
        for kind, value in when.items():
            test = compile_override(value) if kind == "override" \
                else compile_condition(kind, value)
            if test is None:
                raise doc.fail(("clause", index, "when", kind),
                               f"条款 {cid} 的条件“{kind}”未知或取值无效",
                               f"clause {cid}: unknown condition or bad value {kind!r}")
            tests.append(test)
        kind = c["kind"] or ("state" if colour == Colour.GREEN else "")
        if not kind:
            raise doc.fail(("clause", index, "id"),
                           f"条款 {cid} 需要 kind = \"state\" 或 \"event\"",
                           f"clause {cid} needs kind = \"state\" or \"event\"")
        dated = [EVENT_DATES[k] for k in when if k in EVENT_DATES]
        if kind == "event" and not dated:
            raise doc.fail(("clause", index, "kind"),
                           f"条款 {cid} 是事件，但条件中没有日期（来南、入境或人员状态）",
                           f"clause {cid} is an event but no condition dates it "
                           "(arrived_from, abroad_from or statuses)")
        if "status_within_days" in when and "statuses" not in when:
            raise doc.fail(("clause", index, "when", "status_within_days"),
                           f"条款 {cid}: status_within_days 需要 statuses",
                           f"clause {cid}: status_within_days needs statuses")
        clauses.append(Clause(
            cid, colour, c["source"],
            tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in when.items()),
            c["beats"], c["note"], all_of(tests), "otherwise" in when, kind,
            dated[0] if kind == "event" else ""))
    ids = {clause.id for clause in clauses}
    for index, clause in enumerate(clauses):
        for ref in clause.beats:
            if ref not in ids:
                raise doc.fail(("clause", index, "beats"),
                               f"条款 {clause.id} 引用了不存在的条款 {ref}",
                               f"clause {clause.id} refers to unknown clause {ref}")
    if not any(clause.is_fallback and clause.colour == Colour.GREEN for clause in clauses):
        raise doc.fail(("clause",), "缺少兜底的绿码条款（when = { otherwise = true }）",
                       "a green fallback clause (when = { otherwise = true }) is required")
    return clauses


def parse_rules(data: bytes, origin: str = "default.toml", base: Path | None = None) -> Rules:
    """Validate rules file bytes; every fault raises RulesError naming the line and key."""
    doc = Document(data, origin, RulesError, "规则文件", "rules file")
    v = doc.check(doc.parse(), RULES_SCHEMA)
    places = _load_places(doc, v["places"], base)
    countries = frozenset(v["vocabulary"]["countries"])
    clauses = _clauses(doc, v["clause"])
    return Rules(
        name=v["name"],
        version=hashlib.sha256(data).digest()[:4],
        window_days=v["window_days"],
        places=places,
        areas=tuple(_areas(doc, v["area"], places)),
        abroad=tuple(_abroad(doc, v["abroad"], countries)),
        symptoms=frozenset(v["vocabulary"]["symptoms"]),
        countries=countries,
        clauses=tuple(clauses),
        conversions={k: s for k, s in v["conversions"].items() if s is not None},
        triggers=tuple(c for c in clauses if not c.is_fallback),
        home_triggers=tuple(c for c in clauses if not c.is_fallback
                            and not any(k in TRAVEL_CONDITIONS for k, _ in c.when)),
        fallbacks=tuple(c for c in clauses if c.is_fallback and c.colour == Colour.GREEN),
    )


def default_rules_bytes() -> bytes:
    return (resources.files("passgen.rulesets") / "default.toml").read_bytes()


def load_rules(path: Path | None = None) -> Rules:
    """The rules file at ``path``, or the default rules shipped with passgen."""
    if path is None:
        return parse_rules(default_rules_bytes())
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RulesError(f"无法读取规则文件 {path}", f"cannot read rules file {path}: {exc}") \
            from None
    return parse_rules(data, path.name, path.parent)


def rules_of(rules: Rules | Path | None) -> Rules:
    """``rules`` as they are, or loaded from a path, or the shared default rules."""
    return rules if isinstance(rules, Rules) else load_rules(rules)
