"""The rules engine: a resident and the as-of date → colour, every reason, the conversion.

Pure functions of a :class:`Resident`, a date and validated :class:`Rules`.  A region, country
or symptom the rules do not know makes a RowError: never a guess.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from passgen.models import (
    Assessment,
    Colour,
    Location,
    Previous,
    PreviousSource,
    Resident,
    RowError,
)
from passgen.rules.conditions import NO_FACTS, Facts, within
from passgen.rules.load import Clause, Rules
from passgen.rules.places import parent_codes


def _problem(resident: Resident, column: str, value: str, zh: str, en: str) -> RowError:
    w = resident.where
    return RowError(Location(w.file, w.sheet, w.row, column), value, zh, en, resident.name)


def facts_of(resident: Resident, as_of: dt.date, rules: Rules) -> Facts | RowError:
    """Resolve places, countries and symptoms; anything the rules do not know is a RowError."""
    if not (resident.travel_regions or resident.abroad_countries or resident.symptoms):
        return NO_FACTS
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
    if arrival is not None and arrival <= as_of:  # an arrival still to come is not a fact yet
        for code in codes:
            chain = set(parent_codes(code))
            levels = {a.level for a in rules.areas if a.active(arrival) and chain & set(a.codes)}
            arrived |= levels
            if not levels & {"high", "medium"}:
                arrived.add("low")
    abroad: set[str] = set()
    entry = resident.entry_date
    if entry is not None and entry <= as_of:
        for country in resident.abroad_countries:
            severe = any(a.active(entry) and country in a.countries for a in rules.abroad)
            abroad.add("severe" if severe else "other")
    recent = (bool(codes) and within(as_of, arrival, rules.window_days)) or \
        (bool(resident.abroad_countries) and within(as_of, entry, rules.window_days))
    return Facts(frozenset(arrived), frozenset(abroad), tuple(codes), recent)


@dataclass(frozen=True)
class Explanation:
    """Everything behind one colour: facts, clauses that fired, cancelled ones, the colour
    the clauses alone give, and the assessment once the history (conversions) is counted."""

    facts: Facts
    fired: tuple[Clause, ...]
    cancelled: tuple[Clause, ...]
    before_conversion: Colour
    assessment: Assessment


def _steps(days: int, rules: Rules) -> int:
    """Conversions earned by ``days`` consecutive compliant report days (T1, T2)."""
    return max(days, 0) // rules.window_days


def history(fired: list[Clause], resident: Resident, as_of: dt.date, rules: Rules,
            previous: Previous | None) -> Colour:
    """The colour once the resident's history is counted (DESIGN.md §4).

    Without a previous colour (a first card) the clauses alone decide.  With one, colours
    improve only through conversions: one step per ``window_days`` consecutive compliant
    report days, counted from the day the previous colour began when the ledger knows it
    (the first card of that colour), else all the report days the roster gives.
    An ongoing state holds its colour whatever the report days.  An event the previous
    card already answered for (it happened before that colour began and the card lists its
    clause) is in the previous colour; any other event gives its colour less the steps
    earned since the event.
    """
    clauses = max((c.colour for c in fired), default=Colour.GREEN)
    if previous is None:
        return clauses
    report = resident.report_days
    since = report if previous.issued is None else min(report, (as_of - previous.issued).days)
    colour = Colour(max(previous.colour - _steps(since, rules), Colour.GREEN))
    for c in fired:
        if c.colour == Colour.GREEN:
            continue
        if c.kind == "state":
            colour = max(colour, c.colour)
            continue
        day: dt.date | None = getattr(resident, c.event_date)
        known = previous.issued is not None and day is not None and day <= previous.issued \
            and c.id in previous.clauses
        if not known:
            earned = _steps(min(report, (as_of - day).days), rules) if day else 0
            colour = max(colour, Colour(max(c.colour - earned, Colour.GREEN)))
    return colour


def _conversions(before: Colour, after: Colour) -> tuple[str, ...]:
    """The steps from ``before`` down to ``after``: T2 (red → yellow), T1 (yellow → green)."""
    steps = []
    if before == Colour.RED and after < Colour.RED:
        steps.append("T2")
    if before >= Colour.YELLOW and after == Colour.GREEN:
        steps.append("T1")
    return tuple(steps)


def _run(resident: Resident, as_of: dt.date, rules: Rules,
         last_card: Previous | None) -> Explanation | RowError:
    previous = previous_of(resident, last_card)
    facts = facts_of(resident, as_of, rules)
    if isinstance(facts, RowError):
        return facts
    travelled = facts.arrived or facts.abroad or resident.arrival_date or resident.entry_date
    fired = [c for c in (rules.triggers if travelled else rules.home_triggers)
             if c.test(resident, as_of, facts)]
    cancelled: tuple[Clause, ...] = ()
    if any(c.beats for c in fired):
        beaten = {ref for c in fired for ref in c.beats}
        cancelled = tuple(c for c in fired if c.id in beaten)
        fired = [c for c in fired if c.id not in beaten]
    current = max([c.colour for c in fired], default=Colour.GREEN)
    conversions: tuple[str, ...] = ()
    if previous is None:  # a first card: the clauses alone decide
        colour = current
    else:
        colour = history(fired, resident, as_of, rules, previous)
        conversions = _conversions(max(current, previous.colour), colour)
    # green clauses explain a green result only; one that cancelled another stays listed
    reasons = [c for c in fired if c.colour != Colour.GREEN or c.beats]
    if previous is not None and (conversions or colour > current):
        # a converted or held card is explained by the earlier colour's clauses, never G1
        known = rules.by_id
        reasons += [known[i] for i in previous.clauses
                    if i in known and known[i].colour != Colour.GREEN and known[i] not in reasons]
    elif colour == Colour.GREEN and not reasons:
        reasons = [c for c in fired if c.colour == Colour.GREEN] or list(rules.fallbacks)
    assessment = Assessment(colour, tuple(c.match for c in reasons), rules.version,
                            conversions, previous)
    return Explanation(facts, tuple(fired), cancelled, current, assessment)


def explain(resident: Resident, as_of: dt.date, rules: Rules,
            last_card: Previous | None = None) -> Explanation | RowError:
    """Evaluate with every reason kept: facts, clauses fired and cancelled, conversions."""
    return _run(resident, as_of, rules, last_card)


def evaluate(resident: Resident, as_of: dt.date, rules: Rules,
             last_card: Previous | None = None) -> Assessment | RowError:
    """The colour of ``resident`` on ``as_of`` with every reason for it.  The previous colour
    is the roster's 上次颜色, else ``last_card`` (the office ledger's last card for the same
    ID number, looked up by the caller), else there is none: a first card.

    A region, country or symptom the rules do not know makes a RowError: never a guess.
    """
    result = _run(resident, as_of, rules, last_card)
    return result if isinstance(result, RowError) else result.assessment


def previous_of(resident: Resident, ledger: Previous | None = None) -> Previous | None:
    """The previous colour: 上次颜色 when the roster gives it, else the ledger's last card
    for the same ID number (looked up by the caller), else none."""
    if resident.previous_colour is not None:
        return Previous(resident.previous_colour, PreviousSource.ROSTER)
    return ledger


@dataclass(frozen=True)
class Validity:
    """The last day a card may be valid, and what ends it early, if anything does."""

    last_day: dt.date
    capped_by: tuple[str, ...] = ()  # clause ids that make the colour worse the day after

    @property
    def reason(self) -> str:
        if not self.capped_by:
            return ""
        ids = "、".join(self.capped_by)
        return (f"有效期截至 {self.last_day}：次日起 {ids} 使颜色变差 / valid through "
                f"{self.last_day}: from the next day {', '.join(self.capped_by)} make it worse")


def valid_through(resident: Resident, assessment: Assessment, as_of: dt.date, days: int,
                  rules: Rules) -> Validity:
    """A card's validity never outlasts its colour: it ends before the first day on which
    the roster's facts give a worse colour (a G3 green ends with its health certificate).
    Only the days on which a dated fact or a window changes are evaluated."""
    last = as_of + dt.timedelta(days=days)
    for day in _change_days(resident, as_of, last, rules):
        later = _run(resident, day, rules, assessment.previous)
        if isinstance(later, RowError):
            break
        if later.assessment.colour > assessment.colour:
            worse = tuple(c.id for c in later.fired if c.colour > assessment.colour)
            return Validity(day - dt.timedelta(days=1), worse)
    return Validity(last)


def _change_days(resident: Resident, as_of: dt.date, last: dt.date,
                 rules: Rules) -> list[dt.date]:
    """The days in (as_of, last] on which a condition can change for this resident: a dated
    fact taking effect or a window over it ending, a certificate expiring.  The colour is
    the same between them, so only they need evaluating (most residents have none)."""
    windows = {0, rules.window_days} | {int(v) for c in rules.clauses for k, v in c.when
                                        if k.endswith("_within_days")}
    days = {d + dt.timedelta(days=n) for d in (resident.arrival_date, resident.entry_date,
                                               resident.status_date) if d for n in windows}
    if resident.certificate_until is not None:
        days.add(resident.certificate_until + dt.timedelta(days=1))
    return sorted(d for d in days if as_of < d <= last)
