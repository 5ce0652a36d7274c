"""The condition kinds a rules clause may use, compiled to predicates over a resident, the
as-of date and the :class:`Facts` derived once per evaluation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from passgen.models import Resident


@dataclass(frozen=True)
class Facts:
    """What the rules see of a resident on the as-of date, computed once per evaluation."""

    # area levels of the regions left (high/medium/low/severe), by an arrival on or before the
    # as-of date, however long ago: a clause adds its own window (arrival_within_days)
    arrived: frozenset[str]
    abroad: frozenset[str]  # severe/other for the countries left, by an entry on or before
    regions: tuple[str, ...]  # resolved division codes of the travel regions
    recent_travel: bool = False  # an arrival or entry within the rules' window


Predicate = Callable[[Resident, dt.date, Facts], bool]
NO_FACTS = Facts(frozenset(), frozenset(), ())
# the conditions that date a clause's event, and the resident field holding the date
EVENT_DATES = {"arrived_from": "arrival_date", "abroad_from": "entry_date",
               "statuses": "status_date"}


# "within N days" conditions and the date each counts from
WINDOWS = {"status_within_days": "status_date", "arrival_within_days": "arrival_date",
           "entry_within_days": "entry_date"}


def within(as_of: dt.date, day: dt.date | None, days: int) -> bool:
    """"Within N days" / "未满N天": 0 <= (as-of − day) < N."""
    return day is not None and 0 <= (as_of - day).days < days


def compile_condition(kind: str, value: Any) -> Predicate | None:
    """The predicate of one condition, or None if the kind or value is not allowed."""
    if kind == "arrived_from" and value in ("high", "medium", "low", "severe"):
        return lambda r, d, f: value in f.arrived
    if kind == "abroad_from" and value in ("severe", "other"):
        return lambda r, d, f: value in f.abroad
    if kind == "statuses" and isinstance(value, list) and value \
            and all(isinstance(s, str) for s in value):
        statuses = frozenset(value)
        return lambda r, d, f: r.case_status in statuses
    if kind in WINDOWS and isinstance(value, int) and not isinstance(value, bool) and value > 0:
        field = WINDOWS[kind]
        return lambda r, d, f: within(d, getattr(r, field), value)
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


def all_of(tests: list[Predicate]) -> Predicate:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda r, d, f: first(r, d, f) and second(r, d, f)
    return lambda r, d, f: all(t(r, d, f) for t in tests)


def compile_override(value: Any) -> Predicate | None:
    if isinstance(value, str) and value:
        return lambda r, d, f: r.override == value
    return None
