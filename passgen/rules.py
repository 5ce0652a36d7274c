"""Shared colour rules: a versioned TOML file → :class:`Rules`; ``evaluate`` is pure.

The rules file is data an administrator edits (docs/rules.md); this module only knows the
condition kinds a clause may use.  The rules version is the first 4 bytes of the SHA-256 of
the file's bytes and is signed into every card.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from passgen.errors import RulesError
from passgen.models import Assessment, ClauseMatch, Colour, Location, Resident, RowError

FORMAT = "passgen-rules/1"
COLOURS = {"green": Colour.GREEN, "yellow": Colour.YELLOW, "red": Colour.RED}
_ARRIVED = ("high", "medium", "low", "severe")
_ABROAD = ("severe", "other")
# condition kind → validator of its value
_CONDITIONS: dict[str, Any] = {
    "arrived_from": lambda v: v in _ARRIVED,
    "abroad_from": lambda v: v in _ABROAD,
    "statuses": lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v),
    "status_within_days": lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
    "symptoms": lambda v: v is True,
    "severe_contact": lambda v: v is True,
    "lives_with_observed": lambda v: v is True,
    "override": lambda v: isinstance(v, str) and bool(v),
    "certificate_valid": lambda v: v is True,
    "no_recent_travel": lambda v: v is True,
    "otherwise": lambda v: v is True,
}
_TOP_KEYS = {"format", "name", "window_days", "areas", "vocabulary", "places", "clause",
             "conversions"}
_CLAUSE_KEYS = {"id", "colour", "source", "when", "beats", "note"}
_AREA_KEYS = {"high", "medium", "severe", "severe_countries"}
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


@dataclass(frozen=True)
class Clause:
    """One clause of the source: id, colour, source sentence and machine condition."""

    id: str
    colour: Colour
    source: str
    when: tuple[tuple[str, Any], ...]
    beats: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rules:
    """A validated rules file."""

    name: str
    version: bytes
    window_days: int
    high: frozenset[str]
    medium: frozenset[str]
    severe: frozenset[str]
    severe_countries: frozenset[str]
    symptoms: frozenset[str]
    countries: frozenset[str]
    places: Mapping[str, str]  # folded name or alias → province
    clauses: tuple[Clause, ...]
    conversions: Mapping[str, str]

    @property
    def version_hex(self) -> str:
        return self.version.hex()


def _line_of(text: str, needle: str) -> str:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return f"第{number}行 / line {number}: "
    return ""


def _fail(text: str, needle: str, zh: str, en: str) -> RulesError:
    where = _line_of(text, needle)
    return RulesError(f"规则文件 {where}{zh}", f"rules file {where}{en}")


def _fold(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().casefold()


def parse_rules(data: bytes) -> Rules:
    """Validate rules file bytes; unknown keys or clause references raise RulesError."""
    text = data.decode("utf-8", errors="replace")
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"规则文件格式错误：{exc}", f"rules file is not valid TOML: {exc}") from None
    for key in doc:
        if key not in _TOP_KEYS:
            raise _fail(text, key, f"未知的项“{key}”", f"unknown key {key!r}")
    if doc.get("format") != FORMAT:
        raise _fail(text, "format", f"format 必须是 {FORMAT}", f"format must be {FORMAT}")
    window = doc.get("window_days", 14)
    if not isinstance(window, int) or window <= 0:
        raise _fail(text, "window_days", "window_days 必须是正整数", "window_days must be > 0")

    places: dict[str, str] = {}
    provinces = doc.get("places", {}).get("provinces", {})
    for province, aliases in provinces.items():
        for alias in [province, *aliases]:
            places[_fold(alias)] = province
    areas = doc.get("areas", {})
    for key in areas:
        if key not in _AREA_KEYS:
            raise _fail(text, key, f"[areas] 中未知的项“{key}”", f"unknown key {key!r} in [areas]")
    for key in ("high", "medium", "severe"):
        for name in areas.get(key, []):
            if name not in provinces:
                raise _fail(text, name, f"[areas] {key} 中的“{name}”不在 [places.provinces] 中",
                            f"area {name!r} in [areas] {key} is not a known province")
    vocabulary = doc.get("vocabulary", {})
    countries = frozenset(vocabulary.get("countries", []))
    for name in areas.get("severe_countries", []):
        if name not in countries:
            raise _fail(text, name, f"“{name}”不在 [vocabulary] countries 中",
                        f"severe country {name!r} is not in [vocabulary] countries")

    clauses: list[Clause] = []
    for raw in doc.get("clause", []):
        cid = str(raw.get("id", ""))
        for key in raw:
            if key not in _CLAUSE_KEYS:
                raise _fail(text, key, f"条款 {cid} 中未知的项“{key}”",
                            f"unknown key {key!r} in clause {cid}")
        if not re.fullmatch(r"[RYG]\d+", cid) or any(c.id == cid for c in clauses):
            raise _fail(text, f'"{cid}"', f"条款编号“{cid}”无效或重复",
                        f"clause id {cid!r} is invalid or repeated")
        colour = COLOURS.get(raw.get("colour", ""))
        if colour is None or "RYG".index(cid[0]) != 2 - colour:
            raise _fail(text, f'"{cid}"', f"条款 {cid} 的颜色与编号不符",
                        f"clause {cid}: colour does not match its id")
        when = raw.get("when", {})
        if not when:
            raise _fail(text, f'"{cid}"', f"条款 {cid} 没有条件", f"clause {cid} has no condition")
        for kind, value in when.items():
            check = _CONDITIONS.get(kind)
            if check is None or not check(value):
                raise _fail(text, kind, f"条款 {cid} 的条件“{kind}”未知或取值无效",
                            f"clause {cid}: unknown condition or bad value {kind!r}")
        clauses.append(Clause(cid, colour, str(raw.get("source", "")),
                              tuple((k, tuple(v) if isinstance(v, list) else v)
                                    for k, v in when.items()),
                              tuple(raw.get("beats", []))))
    ids = {c.id for c in clauses}
    for c in clauses:
        for ref in c.beats:
            if ref not in ids:
                raise _fail(text, "beats", f"条款 {c.id} 引用了不存在的条款 {ref}",
                            f"clause {c.id} refers to unknown clause {ref}")
    conversions = doc.get("conversions", {})
    for key in conversions:
        if key not in ("T1", "T2"):
            raise _fail(text, key, f"未知的转码规则“{key}”", f"unknown conversion {key!r}")
    return Rules(
        name=str(doc.get("name", "")),
        version=hashlib.sha256(data).digest()[:4],
        window_days=window,
        high=frozenset(areas.get("high", [])),
        medium=frozenset(areas.get("medium", [])),
        severe=frozenset(areas.get("severe", [])),
        severe_countries=frozenset(areas.get("severe_countries", [])),
        symptoms=frozenset(vocabulary.get("symptoms", [])),
        countries=countries,
        places=places,
        clauses=tuple(clauses),
        conversions=dict(conversions),
    )


def default_rules_bytes() -> bytes:
    return (resources.files("passgen.rulesets") / "default.toml").read_bytes()


def load_rules(path: Path | None = None) -> Rules:
    """The rules file at ``path``, or the default rules shipped with passgen."""
    if path is None:
        return parse_rules(default_rules_bytes())
    try:
        return parse_rules(path.read_bytes())
    except OSError as exc:
        raise RulesError(f"无法读取规则文件 {path}", f"cannot read rules file {path}: {exc}") from None


def resolve_region(rules: Rules, name: str) -> str | None:
    """The province a region name belongs to (武汉, 武汉市, 湖北省武汉市 → 湖北), or None."""
    folded = _fold(name)
    if folded in rules.places:
        return rules.places[folded]
    for suffix in _SUFFIXES:
        if folded.endswith(suffix) and folded[: -len(suffix)] in rules.places:
            return rules.places[folded[: -len(suffix)]]
    # 湖北省武汉市: the longest known name the text starts with
    best = ""
    for alias in rules.places:
        if folded.startswith(alias) and len(alias) > len(best):
            best = alias
    return rules.places[best] if len(best) >= 2 else None


def _within(as_of: dt.date, day: dt.date | None, days: int) -> bool:
    return day is not None and 0 <= (as_of - day).days < days


@dataclass(frozen=True)
class _Facts:
    levels: frozenset[str]  # arrival levels within the window: high/medium/low/severe
    abroad: frozenset[str]  # severe/other within the window
    recent_travel: bool


def _facts(resident: Resident, as_of: dt.date, rules: Rules,
           provinces: tuple[str, ...]) -> _Facts:
    levels: set[str] = set()
    if _within(as_of, resident.arrival_date, rules.window_days):
        for p in provinces:
            levels.add("high" if p in rules.high else "medium" if p in rules.medium else "low")
            if p in rules.severe:
                levels.add("severe")
    abroad: set[str] = set()
    if _within(as_of, resident.entry_date, rules.window_days):
        for c in resident.abroad_countries:
            abroad.add("severe" if c in rules.severe_countries else "other")
    return _Facts(frozenset(levels), frozenset(abroad), bool(levels or abroad))


def _holds(kind: str, value: Any, resident: Resident, as_of: dt.date, facts: _Facts) -> bool:
    if kind == "arrived_from":
        return value in facts.levels
    if kind == "abroad_from":
        return value in facts.abroad
    if kind == "statuses":
        return resident.case_status in value
    if kind == "status_within_days":
        return _within(as_of, resident.status_date, value)
    if kind == "symptoms":
        return bool(resident.symptoms)
    if kind == "severe_contact":
        return resident.severe_contact
    if kind == "lives_with_observed":
        return resident.lives_with_observed
    if kind == "override":
        return resident.override == value
    if kind == "certificate_valid":
        return resident.certificate_until is not None and resident.certificate_until >= as_of
    if kind == "no_recent_travel":
        return not facts.recent_travel
    raise AssertionError(kind)  # parse_rules admits only known kinds


def _problem(resident: Resident, column: str, value: str, zh: str, en: str) -> RowError:
    w = resident.where
    return RowError(Location(w.file, w.sheet, w.row, column), value, zh, en)


def evaluate(resident: Resident, as_of: dt.date, rules: Rules) -> Assessment | RowError:
    """The colour of ``resident`` on ``as_of`` with every clause that fired.

    A region, country or symptom the rules do not know makes a RowError: never a guess.
    """
    provinces: list[str] = []
    for region in resident.travel_regions:
        province = resolve_region(rules, region)
        if province is None:
            return _problem(resident, "14天内旅居地区", region, "无法识别的地区名称",
                            "unknown region name")
        provinces.append(province)
    for country in resident.abroad_countries:
        if country not in rules.countries:
            return _problem(resident, "14天内境外旅居国家", country, "无法识别的国家名称",
                            "unknown country name")
    for symptom in resident.symptoms:
        if symptom not in rules.symptoms:
            return _problem(resident, "症状", symptom,
                            "无法识别的症状，可填：" + "、".join(sorted(rules.symptoms)),
                            "unknown symptom")
    facts = _facts(resident, as_of, rules, tuple(provinces))

    fired = [c for c in rules.clauses
             if not any(k == "otherwise" for k, _ in c.when)
             and all(_holds(k, v, resident, as_of, facts) for k, v in c.when)]
    beaten = {ref for c in fired for ref in c.beats}
    fired = [c for c in fired if c.id not in beaten]
    current = max((c.colour for c in fired), default=Colour.GREEN)
    if current != Colour.GREEN:
        # green clauses explain a green result only; one that cancelled another stays listed
        fired = [c for c in fired if c.colour != Colour.GREEN or c.beats]
    elif not any(c.colour == Colour.GREEN for c in fired):
        fired += [c for c in rules.clauses if any(k == "otherwise" for k, _ in c.when)]

    colour, conversion = _convert(current, resident, rules)
    return Assessment(
        colour=colour,
        matched=tuple(ClauseMatch(c.id, c.colour, c.source) for c in fired),
        rules_version=rules.version,
        conversion=conversion,
    )


def _convert(current: Colour, resident: Resident, rules: Rules) -> tuple[Colour, str]:
    """T1/T2: one step better per window_days consecutive compliant report days, no more."""
    previous = resident.previous_colour
    if previous is None or previous == Colour.GREEN or current >= previous:
        return current, ""
    step = 1 if resident.report_days >= rules.window_days else 0
    floor = Colour(previous - step)
    conversion = "T2" if previous == Colour.RED else "T1"
    return max(current, floor), conversion
