"""Shared colour rules: a versioned TOML file → :class:`Rules`; ``evaluate`` is pure.

The rules file is data an administrator edits (docs/rules.md); this module only knows the
condition kinds a clause may use.  The rules version is the first 4 bytes of the SHA-256 of
the file's bytes and is signed into every card; the file pins the place table it uses by its
SHA-256, so the version covers that table too.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from passgen.errors import RulesError
from passgen.models import Assessment, ClauseMatch, Colour, Location, Resident, RowError
from passgen.rules.places import Gazetteer, parent_codes

FORMAT = "passgen-rules/1"
COLOURS = {"green": Colour.GREEN, "yellow": Colour.YELLOW, "red": Colour.RED}
AREA_LEVELS = ("high", "medium", "severe")
ABROAD_LEVELS = ("severe",)
_TOP_KEYS = {"format", "name", "window_days", "places", "vocabulary", "area", "abroad",
             "clause", "conversions"}
_CLAUSE_KEYS = {"id", "colour", "source", "when", "beats", "note"}
_AREA_KEYS = {"level", "places", "from", "until", "source", "note"}
_ABROAD_KEYS = {"level", "countries", "from", "until", "source", "note"}


@dataclass(frozen=True)
class Facts:
    """What the rules see of a resident on the as-of date, computed once per evaluation."""

    arrived: frozenset[str]  # area levels of regions left within the window: high/medium/low/severe
    abroad: frozenset[str]  # severe/other for countries left within the window
    regions: tuple[str, ...]  # resolved division codes of the travel regions

    @property
    def recent_travel(self) -> bool:
        return bool(self.arrived or self.abroad)


Predicate = Callable[[Resident, dt.date, Facts], bool]
_NO_FACTS = Facts(frozenset(), frozenset(), ())


def _within(as_of: dt.date, day: dt.date | None, days: int) -> bool:
    """"Within N days" / "未满N天": 0 <= (as-of − day) < N."""
    return day is not None and 0 <= (as_of - day).days < days


def _compile(kind: str, value: Any) -> Predicate | None:
    """The predicate of one condition, or None if the kind or value is not allowed."""
    if kind == "arrived_from" and value in ("high", "medium", "low", "severe"):
        return lambda r, d, f: value in f.arrived
    if kind == "abroad_from" and value in ("severe", "other"):
        return lambda r, d, f: value in f.abroad
    if kind == "statuses" and isinstance(value, list) and value \
            and all(isinstance(s, str) for s in value):
        statuses = frozenset(value)
        return lambda r, d, f: r.case_status in statuses
    if kind == "status_within_days" and isinstance(value, int) and not isinstance(value, bool) \
            and value > 0:
        return lambda r, d, f: _within(d, r.status_date, value)
    if value is not True:
        return None
    flags: dict[str, Predicate] = {
        "symptoms": lambda r, d, f: bool(r.symptoms),
        "severe_contact": lambda r, d, f: r.severe_contact,
        "lives_with_observed": lambda r, d, f: r.lives_with_observed,
        "certificate_valid": lambda r, d, f: r.certificate_until is not None
        and r.certificate_until >= d,
        "no_recent_travel": lambda r, d, f: not f.recent_travel,
        "otherwise": lambda r, d, f: True,
    }
    return flags.get(kind)


def _all_of(tests: list[Predicate]) -> Predicate:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda r, d, f: first(r, d, f) and second(r, d, f)
    return lambda r, d, f: all(t(r, d, f) for t in tests)


def _compile_override(value: Any) -> Predicate | None:
    if isinstance(value, str) and value:
        return lambda r, d, f: r.override == value
    return None


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

    @functools.cached_property
    def match(self) -> ClauseMatch:
        return ClauseMatch(self.id, self.colour, self.source)


@dataclass(frozen=True)
class Dated:
    """A list in the rules file that applies from/until dates (both inclusive, both optional)."""

    level: str
    start: dt.date | None
    end: dt.date | None
    source: str

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
    fallbacks: tuple[Clause, ...] = ()  # green clauses for when nothing else fired

    @property
    def version_hex(self) -> str:
        return self.version.hex()


class _Source:
    """The rules text, for error messages that name the line."""

    def __init__(self, text: str, origin: str) -> None:
        self.lines = text.splitlines()
        self.origin = origin

    def table_start(self, header: str, index: int) -> int:
        """Line index where the ``index``-th ``[[header]]`` table begins."""
        seen = -1
        for number, line in enumerate(self.lines):
            if line.strip() == f"[[{header}]]":
                seen += 1
                if seen == index:
                    return number
        return 0

    def line_of(self, needle: str, after: str | int = "") -> int:
        start = after if isinstance(after, int) else 0
        if isinstance(after, str) and after:
            for number, line in enumerate(self.lines):
                if after in line and not line.lstrip().startswith("#"):
                    start = number
                    break
        for number in range(start, len(self.lines)):
            line = self.lines[number]
            if needle in line and not line.lstrip().startswith("#"):
                return number + 1
        return 0

    def fail(self, needle: str, zh: str, en: str, after: str | int = "") -> RulesError:
        n = self.line_of(needle, after)
        where_zh = f"第{n}行：" if n else ""
        where_en = f"line {n}: " if n else ""
        return RulesError(f"规则文件 {self.origin} {where_zh}{zh}",
                          f"rules file {self.origin} {where_en}{en}")


def _date(src: _Source, value: Any, key: str, after: int) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise src.fail(f"{key} =", f"{key} 必须是日期，如 2020-01-23", f"{key} must be a date like 2020-01-23",
                   after)


def _keys(src: _Source, table: Mapping[str, Any], allowed: set[str], where: str,
          after: str | int = "") -> None:
    for key in table:
        if key not in allowed:
            raise src.fail(key, f"{where}中未知的项“{key}”", f"unknown key {key!r} in {where}",
                           after)


def _load_places(src: _Source, spec: Any, base: Path | None) -> Gazetteer:
    if not isinstance(spec, Mapping) or set(spec) != {"file", "sha256"}:
        raise src.fail("[places]", "[places] 需要 file 和 sha256 两项",
                       "[places] needs exactly file and sha256")
    name = str(spec["file"])
    data: bytes | None = None
    if base is not None and (base / name).is_file():
        data = (base / name).read_bytes()
    else:
        bundled = resources.files("passgen.rulesets") / name
        if "/" not in name and bundled.is_file():
            data = bundled.read_bytes()
    if data is None:
        raise src.fail("file", f"找不到地名表 {name}", f"place table {name} not found")
    if hashlib.sha256(data).hexdigest() != spec["sha256"]:
        raise src.fail("sha256", f"地名表 {name} 的 SHA-256 与规则文件中记录的不符",
                       f"place table {name} does not match the sha256 in the rules file")
    return Gazetteer.parse(data.decode("utf-8"))


def parse_rules(data: bytes, origin: str = "default.toml", base: Path | None = None) -> Rules:
    """Validate rules file bytes; unknown keys or clause references raise RulesError."""
    src = _Source(data.decode("utf-8", errors="replace"), origin)
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"规则文件 {origin} 格式错误：{exc}",
                         f"rules file {origin} is not valid TOML: {exc}") from None
    _keys(src, doc, _TOP_KEYS, "规则文件")
    if doc.get("format") != FORMAT:
        raise src.fail("format", f"format 必须是 {FORMAT}", f"format must be {FORMAT}")
    window = doc.get("window_days", 14)
    if not isinstance(window, int) or isinstance(window, bool) or window <= 0:
        raise src.fail("window_days", "window_days 必须是正整数", "window_days must be > 0")
    places = _load_places(src, doc.get("places"), base)

    vocabulary = doc.get("vocabulary", {})
    _keys(src, vocabulary, {"symptoms", "countries"}, "[vocabulary]")
    countries = frozenset(vocabulary.get("countries", []))

    areas: list[Area] = []
    for index, raw in enumerate(doc.get("area", [])):
        at = src.table_start("area", index)
        _keys(src, raw, _AREA_KEYS, "[[area]]", at)
        level = raw.get("level")
        if level not in AREA_LEVELS:
            raise src.fail("level", f"[[area]] level 只能是 {'/'.join(AREA_LEVELS)}",
                           f"[[area]] level must be one of {AREA_LEVELS}", at)
        codes = []
        for name in raw.get("places", []):
            found = places.resolve(name)
            if not found.code:
                raise src.fail(f'"{name}"', f"地区“{name}”无法唯一识别（{found.problem}）",
                               f"area place {name!r} is {found.problem}", at)
            codes.append(found.code)
        areas.append(Area(level, _date(src, raw.get("from"), "from", at),
                          _date(src, raw.get("until"), "until", at), str(raw.get("source", "")),
                          tuple(codes), tuple(raw.get("places", []))))
    abroad: list[AbroadList] = []
    for index, raw in enumerate(doc.get("abroad", [])):
        at = src.table_start("abroad", index)
        _keys(src, raw, _ABROAD_KEYS, "[[abroad]]", at)
        if raw.get("level") not in ABROAD_LEVELS:
            raise src.fail("level", "[[abroad]] level 只能是 severe",
                           "[[abroad]] level must be severe", at)
        for name in raw.get("countries", []):
            if name not in countries:
                raise src.fail(f'"{name}"', f"“{name}”不在 [vocabulary] countries 中",
                               f"country {name!r} is not in [vocabulary] countries", at)
        abroad.append(AbroadList(raw["level"], _date(src, raw.get("from"), "from", at),
                                 _date(src, raw.get("until"), "until", at),
                                 str(raw.get("source", "")),
                                 frozenset(raw.get("countries", []))))

    clauses: list[Clause] = []
    for index, raw in enumerate(doc.get("clause", [])):
        cid = str(raw.get("id", ""))
        anchor = src.table_start("clause", index)
        _keys(src, raw, _CLAUSE_KEYS, f"条款 {cid} / clause {cid}", anchor)
        if not re.fullmatch(r"[RYG]\d+", cid) or any(c.id == cid for c in clauses):
            raise src.fail("id", f"条款编号“{cid}”无效或重复",
                           f"clause id {cid!r} is invalid or repeated", anchor)
        colour = COLOURS.get(raw.get("colour", ""))
        if colour is None or "GYR".index(cid[0]) != colour:
            raise src.fail("colour", f"条款 {cid} 的颜色与编号不符",
                           f"clause {cid}: colour does not match its id", anchor)
        when = raw.get("when", {})
        if not isinstance(when, Mapping) or not when:
            raise src.fail("when", f"条款 {cid} 没有条件", f"clause {cid} has no condition", anchor)
        tests: list[Predicate] = []
        for kind, value in when.items():
            test = _compile_override(value) if kind == "override" else _compile(kind, value)
            if test is None:
                raise src.fail(kind, f"条款 {cid} 的条件“{kind}”未知或取值无效",
                               f"clause {cid}: unknown condition or bad value {kind!r}", anchor)
            tests.append(test)
        if "status_within_days" in when and "statuses" not in when:
            raise src.fail("status_within_days", f"条款 {cid}: status_within_days 需要 statuses",
                           f"clause {cid}: status_within_days needs statuses", anchor)
        clauses.append(Clause(
            cid, colour, str(raw.get("source", "")),
            tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in when.items()),
            tuple(raw.get("beats", [])), str(raw.get("note", "")),
            _all_of(tests), "otherwise" in when))
    ids = {c.id for c in clauses}
    for c in clauses:
        for ref in c.beats:
            if ref not in ids:
                raise src.fail("beats", f"条款 {c.id} 引用了不存在的条款 {ref}",
                               f"clause {c.id} refers to unknown clause {ref}",
                               src.table_start("clause", clauses.index(c)))
    if not any(c.is_fallback and c.colour == Colour.GREEN for c in clauses):
        raise src.fail("", "缺少兜底的绿码条款（when = { otherwise = true }）",
                       "a green fallback clause (when = { otherwise = true }) is required")
    conversions = doc.get("conversions", {})
    _keys(src, conversions, {"T1", "T2"}, "[conversions]")
    return Rules(
        name=str(doc.get("name", "")),
        version=hashlib.sha256(data).digest()[:4],
        window_days=window,
        places=places,
        areas=tuple(areas),
        abroad=tuple(abroad),
        symptoms=frozenset(vocabulary.get("symptoms", [])),
        countries=countries,
        clauses=tuple(clauses),
        conversions=dict(conversions),
        triggers=tuple(c for c in clauses if not c.is_fallback),
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


def _problem(resident: Resident, column: str, value: str, zh: str, en: str) -> RowError:
    w = resident.where
    return RowError(Location(w.file, w.sheet, w.row, column), value, zh, en, resident.name)


def facts_of(resident: Resident, as_of: dt.date, rules: Rules) -> Facts | RowError:
    """Resolve places, countries and symptoms; anything the rules do not know is a RowError."""
    if not (resident.travel_regions or resident.abroad_countries or resident.symptoms):
        return _NO_FACTS
    codes: list[str] = []
    for region in resident.travel_regions:
        found = rules.places.resolve(region)
        if found.problem == "ambiguous":
            where = "、".join(rules.places.full_name(c) for c in found.candidates[:6])
            return _problem(resident, "14天内旅居地区", region,
                            f"地区名称有歧义，可能是：{where}。请写明省市，如“江苏省南京市鼓楼区”",
                            "ambiguous region name: write the province and city too")
        if not found.code:
            return _problem(resident, "14天内旅居地区", region, "无法识别的地区名称",
                            "unknown region name")
        codes.append(found.code)
    for country in resident.abroad_countries:
        if country not in rules.countries:
            return _problem(resident, "14天内境外旅居国家", country, "无法识别的国家名称",
                            "unknown country name")
    for symptom in resident.symptoms:
        if symptom not in rules.symptoms:
            return _problem(resident, "症状", symptom,
                            "无法识别的症状，可填：" + "、".join(sorted(rules.symptoms)),
                            "unknown symptom")
    arrived: set[str] = set()
    arrival = resident.arrival_date
    if arrival is not None and _within(as_of, arrival, rules.window_days):
        for code in codes:
            chain = set(parent_codes(code))
            levels = {a.level for a in rules.areas if a.active(arrival) and chain & set(a.codes)}
            arrived |= levels
            if not levels & {"high", "medium"}:
                arrived.add("low")
    abroad: set[str] = set()
    entry = resident.entry_date
    if entry is not None and _within(as_of, entry, rules.window_days):
        for country in resident.abroad_countries:
            severe = any(a.active(entry) and country in a.countries for a in rules.abroad)
            abroad.add("severe" if severe else "other")
    return Facts(frozenset(arrived), frozenset(abroad), tuple(codes))


@dataclass(frozen=True)
class Explanation:
    """Everything behind one colour: facts, clauses that fired, cancelled ones, conversion."""

    facts: Facts
    fired: tuple[Clause, ...]
    cancelled: tuple[Clause, ...]
    before_conversion: Colour
    assessment: Assessment


def _run(resident: Resident, as_of: dt.date, rules: Rules
         ) -> tuple[Facts, list[Clause], tuple[Clause, ...], Colour, Assessment] | RowError:
    facts = facts_of(resident, as_of, rules)
    if isinstance(facts, RowError):
        return facts
    fired = [c for c in rules.triggers if c.test(resident, as_of, facts)]
    cancelled: tuple[Clause, ...] = ()
    if any(c.beats for c in fired):
        beaten = {ref for c in fired for ref in c.beats}
        cancelled = tuple(c for c in fired if c.id in beaten)
        fired = [c for c in fired if c.id not in beaten]
    current = max([c.colour for c in fired], default=Colour.GREEN)
    if current != Colour.GREEN:
        # green clauses explain a green result only; one that cancelled another stays listed
        fired = [c for c in fired if c.colour != Colour.GREEN or c.beats]
    elif not fired:
        fired = list(rules.fallbacks)
    colour, conversion = convert(current, resident, rules)
    assessment = Assessment(colour, tuple([c.match for c in fired]), rules.version, conversion)
    return facts, fired, cancelled, current, assessment


def explain(resident: Resident, as_of: dt.date, rules: Rules) -> Explanation | RowError:
    """Evaluate with every reason kept: facts, clauses fired and cancelled, conversion."""
    result = _run(resident, as_of, rules)
    if isinstance(result, RowError):
        return result
    facts, fired, cancelled, current, assessment = result
    return Explanation(facts, tuple(fired), cancelled, current, assessment)


def evaluate(resident: Resident, as_of: dt.date, rules: Rules) -> Assessment | RowError:
    """The colour of ``resident`` on ``as_of`` with every clause that fired.

    A region, country or symptom the rules do not know makes a RowError: never a guess.
    """
    result = _run(resident, as_of, rules)
    return result if isinstance(result, RowError) else result[4]


def convert(current: Colour, resident: Resident, rules: Rules) -> tuple[Colour, str]:
    """T1/T2: at most one step better than the previous card per window_days consecutive
    compliant report days; a current trigger always applies (the result is never below it)."""
    previous = resident.previous_colour
    if previous is None or previous == Colour.GREEN or current >= previous:
        return current, ""
    step = 1 if resident.report_days >= rules.window_days else 0
    conversion = "T2" if previous == Colour.RED else "T1"
    return max(current, Colour(previous - step)), conversion
