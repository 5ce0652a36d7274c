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
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from passgen.errors import RulesError
from passgen.models import ClauseMatch, Colour
from passgen.rules.conditions import Predicate, all_of, compile_condition, compile_override
from passgen.rules.places import Gazetteer

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
            test = compile_override(value) if kind == "override" else compile_condition(kind, value)
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
            all_of(tests), "otherwise" in when))
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


def rules_of(rules: Rules | Path | None) -> Rules:
    """``rules`` as they are, or loaded from a path, or the shared default rules."""
    return rules if isinstance(rules, Rules) else load_rules(rules)
