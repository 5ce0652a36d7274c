"""One declarative schema for passgen's TOML files: the rules, card layouts, poster layouts.

A schema is a mapping of key → :class:`Spec`.  ``Document.check`` validates a parsed file
against it: unknown keys, missing keys, wrong types, values out of range or not among the
allowed ones are refused with one message that names the file, the line, the key and what
was expected (Chinese first, then English), and defaults are filled in.  What a schema
cannot say (a clause id that must match its colour, a box that must fit on the card) the
loaders check themselves and report through ``Document.fail`` the same way.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from passgen.errors import PassgenError

Path_ = tuple[str | int, ...]  # a key path: ("clause", 3, "colour")

_KIND_WORDS = {
    "text": ("文字", "a string"),
    "number": ("数字", "a number"),
    "integer": ("整数", "an integer"),
    "bool": ("true 或 false", "true or false"),
    "date": ("日期，如 2020-01-23", "a date like 2020-01-23"),
    "texts": ("文字列表，如 [\"a\", \"b\"]", "a list of strings"),
    "table": ("表", "a table"),
    "tables": ("表的数组，如 [[x]]", "an array of tables"),
}


@dataclass(frozen=True)
class Spec:
    """What one key may hold."""

    kind: str  # one of _KIND_WORDS, or "any" (the loader checks it)
    required: bool = False
    default: Any = None
    minimum: float | None = None
    choices: tuple[Any, ...] | None = None
    fields: Mapping[str, Spec] | None = None  # for "table" and "tables"
    free: bool = False  # a "table" whose keys are the loader's to check
    optional: bool = False  # a "table" that may be absent (None), not filled with defaults


def text(required: bool = False, default: str | None = None,
         choices: tuple[str, ...] | None = None) -> Spec:
    return Spec("text", required, default, choices=choices)


def number(required: bool = False, default: float | None = None,
           minimum: float | None = 0.0) -> Spec:
    return Spec("number", required, default, minimum)


def integer(required: bool = False, default: int | None = None, minimum: int = 1) -> Spec:
    return Spec("integer", required, default, minimum)


def flag(default: bool) -> Spec:
    return Spec("bool", default=default)


def date() -> Spec:
    return Spec("date")


def texts(required: bool = False) -> Spec:
    return Spec("texts", required, default=())


def table(fields: Mapping[str, Spec], required: bool = False) -> Spec:
    """A table; absent, it is its fields' defaults."""
    return Spec("table", required, fields=fields)


def optional_table(fields: Mapping[str, Spec]) -> Spec:
    """A table that may be left out (then None)."""
    return Spec("table", fields=fields, optional=True)


def free_table(required: bool = False) -> Spec:
    return Spec("table", required, free=True)


def tables(fields: Mapping[str, Spec]) -> Spec:
    return Spec("tables", default=(), fields=fields)


def dotted(path: Path_) -> str:
    """``clause[3].colour``: a key path as the file's author reads it."""
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


@dataclass
class Document:
    """A TOML file being loaded: its text for line numbers and the words for its kind."""

    data: bytes
    origin: str
    error: type[PassgenError]
    noun_zh: str  # 规则文件, 模板
    noun_en: str  # rules file, template
    lines: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.lines = self.data.decode("utf-8", errors="replace").splitlines()

    def parse(self) -> dict[str, Any]:
        try:
            return tomllib.loads(self.data.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise self.error(f"{self.noun_zh} {self.origin} 不是有效的TOML（{exc}）",
                             f"{self.noun_en} {self.origin} is not valid TOML ({exc})") from None

    # --- where a key is ---------------------------------------------------------------
    def line_of(self, path: Path_, value: str | None = None) -> int:
        """The line (from 1) where ``path`` is written, or 0; with ``value``, the first line
        from there that holds it quoted (an item of a list)."""
        pos, found = 0, False
        for i, part in enumerate(path):
            if isinstance(part, int):
                header = f"[[{dotted(tuple(p for p in path[:i] if isinstance(p, str)))}]]"
                starts = [n for n, line in enumerate(self.lines) if line.strip() == header]
                if part < len(starts):
                    pos, found = starts[part], True
                continue
            name = ".".join(p for p in path[:i + 1] if isinstance(p, str))
            key = re.compile(rf"^\s*{re.escape(part)}\s*=|[{{,]\s*{re.escape(part)}\s*=")
            for n in range(pos, len(self.lines)):
                line = self.lines[n]
                if line.lstrip().startswith("#"):
                    continue
                if line.strip() in (f"[{name}]", f"[[{name}]]") or key.search(line):
                    pos, found = n, True
                    break
        if value is not None:
            quoted = f'"{value}"'
            for n in range(pos, len(self.lines)):
                if quoted in self.lines[n] and not self.lines[n].lstrip().startswith("#"):
                    return n + 1
        return pos + 1 if found else 0

    def fail(self, path: Path_, zh: str, en: str, value: str | None = None) -> PassgenError:
        """The error for ``path``: file, line, key, then what is wrong."""
        n = self.line_of(path, value)
        key = f"{dotted(path)}：" if path else ""
        key_en = f"{dotted(path)}: " if path else ""
        return self.error(f"{self.noun_zh} {self.origin} " + (f"第{n}行：" if n else "：")
                          + key + zh,
                          f"{self.noun_en} {self.origin} " + (f"line {n}: " if n else ": ")
                          + key_en + en)

    # --- checking -----------------------------------------------------------------------
    def check(self, doc: Mapping[str, Any], schema: Mapping[str, Spec],
              path: Path_ = ()) -> dict[str, Any]:
        """``doc`` validated against ``schema``, defaults filled in (None where a key has
        no default and is not required)."""
        for key in doc:
            if key not in schema:
                allowed = "、".join(schema)
                raise self.fail(path + (key,), f"未知的项（可用：{allowed}）",
                                f"unknown key (allowed: {', '.join(schema)})")
        out: dict[str, Any] = {}
        for key, spec in schema.items():
            where = path + (key,)
            if key not in doc:
                if spec.required:
                    raise self.fail(path, f"缺少 {key}", f"{key} is missing")
                fill = spec.kind == "table" and spec.fields is not None and not spec.free \
                    and not spec.optional
                out[key] = self.check({}, spec.fields or {}, where) if fill else spec.default
                continue
            out[key] = self.value(doc[key], spec, where)
        return out

    def value(self, value: Any, spec: Spec, where: Path_) -> Any:
        kind = spec.kind
        zh, en = _KIND_WORDS.get(kind, ("", ""))
        ok = {
            "text": isinstance(value, str),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "bool": isinstance(value, bool),
            "date": isinstance(value, dt.date) and not isinstance(value, dt.datetime),
            "texts": isinstance(value, list) and all(isinstance(v, str) for v in value),
            "table": isinstance(value, dict),
            "tables": isinstance(value, list) and all(isinstance(v, dict) for v in value),
            "any": True,
        }[kind]
        if not ok:
            raise self.fail(where, f"应为{zh}，实为 {value!r}", f"expected {en}, got {value!r}")
        if spec.choices is not None and value not in spec.choices:
            allowed = "、".join(str(c) for c in spec.choices)
            raise self.fail(where, f"只能是 {allowed} 之一，实为 {value!r}",
                            f"expected one of {', '.join(str(c) for c in spec.choices)}, "
                            f"got {value!r}")
        if spec.minimum is not None and kind in ("number", "integer") and value < spec.minimum:
            raise self.fail(where, f"应不小于 {spec.minimum:g}，实为 {value!r}",
                            f"expected a number >= {spec.minimum:g}, got {value!r}")
        if kind == "number":
            return float(value)
        if kind == "texts":
            return tuple(value)
        if kind == "table" and spec.fields is not None and not spec.free:
            return self.check(value, spec.fields, where)
        if kind == "tables" and spec.fields is not None:
            return tuple(self.check(item, spec.fields, where + (i,))
                         for i, item in enumerate(value))
        return value
