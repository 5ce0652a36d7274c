"""Region names → administrative divisions (GB/T 2260), for the rules' area lists.

``湖北``, ``湖北省``, ``武汉``, ``武汉市`` and ``湖北省武汉市`` all resolve; a name that exists
in two provinces (``鼓楼区``) is ambiguous and an unknown one is unknown: both reject the row.
The table is generated data (``passgen/rulesets/make_places.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from passgen.intake.headers import fold

_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "地区", "林区",
             "省", "市", "区", "县", "盟", "旗")
_ETHNIC_AUTONOMOUS = re.compile(r"^(.{2,}?)(?:[\u4e00-\u9fff]{1,5}族)+自治[州县旗]$")
_PLACEHOLDERS = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})


def place_key(text: str) -> str:
    """A place name as the index holds it: folded as roster values are, without spaces."""
    return fold(text).replace(" ", "")


def short_names(name: str) -> set[str]:
    """The official name and the forms people write without the unit word."""
    names = {name}
    m = _ETHNIC_AUTONOMOUS.match(name)
    if m:
        names.update({m[1], m[1] + name[-1]})  # 恩施, 恩施州
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            names.add(name[: -len(suffix)])
            break
    return names


def parent_codes(code: str) -> tuple[str, ...]:
    """The code itself, then its prefecture and province codes (most specific first)."""
    out = [code]
    if not code.endswith("00"):
        out.append(code[:4] + "00")
    if not code.endswith("0000"):
        out.append(code[:2] + "0000")
    return tuple(dict.fromkeys(out))


def _within(code: str, parent: str) -> bool:
    return code != parent and parent in parent_codes(code)


@dataclass(frozen=True)
class Resolution:
    """A resolved region (``code``) or the reason it is not: "unknown" or "ambiguous"."""

    code: str = ""
    problem: str = ""
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gazetteer:
    names: dict[str, str]  # code → official name
    index: dict[str, tuple[str, ...]]  # folded name or short name → codes
    _cache: dict[str, Resolution] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, text: str) -> Gazetteer:
        names: dict[str, str] = {}
        index: dict[str, list[str]] = {}
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            code, name = line.split("\t")
            if not (len(code) == 6 and code.isascii() and code.isdigit() and name):
                raise ValueError(f"line {number}: {code!r} is not a 6-digit code with a name")
            names[code] = name
            if name in _PLACEHOLDERS:
                continue
            for alias in short_names(name):
                index.setdefault(place_key(alias), []).append(code)
        return cls(names, {k: tuple(v) for k, v in index.items()})

    def full_name(self, code: str) -> str:
        parts = [self.names.get(c, "") for c in reversed(parent_codes(code))]
        return "".join(dict.fromkeys(p for p in parts if p and p not in _PLACEHOLDERS))

    def _narrow(self, codes: tuple[str, ...]) -> Resolution:
        unique = tuple(dict.fromkeys(codes))
        if not unique:
            return Resolution(problem="unknown")
        # nested candidates (吉林 = 吉林省 ⊃ 吉林市) are one chain: take the most specific,
        # which belongs to every area list that any of the others belongs to
        deepest = max(unique, key=lambda c: len(parent_codes(c)))
        if all(c == deepest or _within(deepest, c) for c in unique):
            return Resolution(deepest)
        return Resolution(problem="ambiguous", candidates=unique)

    def _resolve(self, text: str, parents: tuple[str, ...]) -> tuple[str, ...]:
        def inside(codes: tuple[str, ...]) -> tuple[str, ...]:
            if not parents:
                return codes
            return tuple(c for c in codes if any(_within(c, p) for p in parents))

        exact = inside(self.index.get(text, ()))
        if exact:
            return exact
        # 湖北省武汉市: the longest known prefix, then the rest inside it
        for cut in range(len(text) - 1, 1, -1):
            head = inside(self.index.get(text[:cut], ()))
            if head:
                rest = self._resolve(text[cut:], head)
                if rest:
                    return rest
        return ()

    def resolve(self, name: str) -> Resolution:
        key = place_key(name)
        found = self._cache.get(key)
        if found is None:
            found = self._narrow(self._resolve(key, ())) if len(key) >= 2 else Resolution(
                problem="unknown")
            self._cache[key] = found
        return found
