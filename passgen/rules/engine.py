"""The rules engine: a resident and the as-of date → colour, every reason, the conversion.

Pure functions of a :class:`Resident`, a date and validated :class:`Rules`.  A region, country
or symptom the rules do not know makes a RowError: never a guess.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from passgen.models import (
    Assessment,
    ClauseMatch,
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
    as_of: dt.date
    fired: tuple[Clause, ...]
    cancelled: tuple[Clause, ...]
    before_conversion: Colour
    assessment: Assessment


def _steps(days: int, rules: Rules) -> int:
    """Conversions earned by ``days`` consecutive compliant report days (T1, T2)."""
    return max(days, 0) // rules.window_days


def _effective(report_days: int, began: dt.date | None, as_of: dt.date) -> int:
    """Report days that count towards a conversion: only those inside the episode, which
    began on ``began`` (DESIGN.md §4: min(streak, days since the episode began)); with the
    day unknown, the streak alone."""
    return report_days if began is None else min(report_days, (as_of - began).days)


def episode_start(previous: Previous, resident: Resident, as_of: dt.date,
                  rules: Rules) -> dt.date | None:
    """The day the previous colour's episode began: the earliest of the first card of that
    run and the dates of the facts behind it (an arrival, an entry, a discharge, a release
    from isolation) as the roster gives them.  A fact dated after the run began is a new
    event, not this episode's.  For a 上次颜色 from the roster (no card, no clauses), the
    dated facts of the row that could give that colour."""
    if previous.issued is not None:
        clauses = [rules.by_id[i] for i in previous.clauses if i in rules.by_id]
    else:
        clauses = [c for c in rules.clauses if c.colour >= previous.colour]
    days = [d for c in clauses if c.kind == "event" and c.event_date
            for d in (getattr(resident, c.event_date),)
            if d is not None and d <= (previous.issued or as_of)]
    candidates = days + ([previous.issued] if previous.issued is not None else [])
    return min(candidates, default=None)


def history(fired: list[Clause], resident: Resident, as_of: dt.date, rules: Rules,
            previous: Previous | None) -> Colour:
    """The colour once the resident's history is counted (DESIGN.md §4).

    Colours improve only through conversions: one step per ``window_days`` report days
    that fall inside the episode (``_effective``).  The previous colour (if any) converts
    from the start of its episode (``episode_start``); every red or yellow event that fires
    converts from its own day; an ongoing state holds its colour whatever the report days.
    A first card is the same computation without a previous colour: the facts give the
    episode, the streak converts it.
    """
    report = resident.report_days
    colour = Colour.GREEN
    if previous is not None:
        began = episode_start(previous, resident, as_of, rules)
        steps = _steps(_effective(report, began, as_of), rules)
        colour = Colour(max(previous.colour - steps, Colour.GREEN))
    for c in fired:
        if c.colour == Colour.GREEN:
            continue
        if c.kind == "state":
            colour = max(colour, c.colour)
            continue
        day: dt.date | None = getattr(resident, c.event_date) if c.event_date else None
        earned = _steps(_effective(report, day, as_of), rules) if day else 0
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


HELD = "上次颜色"  # the reason of a colour held by a 上次颜色 whose clauses nobody knows


def _held(colour: Colour, previous: Colour) -> ClauseMatch:
    step = "T2" if colour == Colour.RED else "T1"
    done = "" if previous == colour else f"，已转为{colour.word}"
    return ClauseMatch(HELD, colour, f"上次颜色为{previous.word}{done}，尚未满足转码条件（{step}："
                                     "连续14天申报符合条件后转好一级）")


def _run(resident: Resident, as_of: dt.date, rules: Rules,
         previous: Previous | None) -> Explanation | RowError:
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
    colour = history(fired, resident, as_of, rules, previous)
    before = max(current, previous.colour if previous is not None else Colour.GREEN)
    conversions = _conversions(before, colour)
    reasons: list[ClauseMatch] = [c.match for c in fired if c.colour != Colour.GREEN]
    if previous is not None and (conversions or colour > current):
        # a converted or held colour is explained by the earlier colour's clauses
        known = rules.by_id
        reasons += [known[i].match for i in previous.clauses if i in known
                    and known[i].colour != Colour.GREEN and known[i].match not in reasons]
        if colour > current and not any(r.colour >= colour for r in reasons):
            reasons.append(_held(colour, previous.colour))  # 依据条款 is never empty
    if colour == Colour.GREEN and not conversions:
        # green clauses explain a green result only, one that cancelled another among them
        reasons = [c.match for c in fired if c.colour == Colour.GREEN] or \
            [c.match for c in rules.fallbacks]
    assessment = Assessment(colour, tuple(reasons), rules.version, conversions, previous)
    return Explanation(facts, as_of, tuple(fired), cancelled, current, assessment)


def explain(resident: Resident, as_of: dt.date, rules: Rules,
            last_card: Previous | None = None) -> Explanation | RowError:
    """Evaluate with every reason kept: facts, clauses fired and cancelled, conversions.
    ``last_card``: the office ledger's last card for this ID on or before ``as_of``."""
    previous = previous_of(resident, last_card)
    if isinstance(previous, RowError):
        return previous
    return _run(resident, as_of, rules, previous)


def evaluate(resident: Resident, as_of: dt.date, rules: Rules,
             last_card: Previous | None = None) -> Assessment | RowError:
    """The colour of ``resident`` on ``as_of`` with every reason for it.  The previous colour
    is the office ledger's last card for the same ID number issued on or before ``as_of``
    (``last_card``, looked up by the caller), with the roster's 上次颜色 beside it
    (``previous_of``); without either it is a first card.

    A region, country or symptom the rules do not know makes a RowError: never a guess.
    """
    result = explain(resident, as_of, rules, last_card)
    return result if isinstance(result, RowError) else result.assessment


def previous_of(resident: Resident, ledger: Previous | None = None) -> Previous | RowError | None:
    """The previous colour (DESIGN.md §4): the ledger is the record.  上次颜色 counts alone
    only where the ledger has no card for the ID (another office's card, or one from before
    passgen); where both exist, a worse 上次颜色 is taken (a card the ledger has not seen),
    and a better one rejects the row, naming both: colours improve only by conversion."""
    problem = better_than_ledger(resident, ledger)
    if problem is not None:
        return problem
    roster = resident.previous_colour
    if ledger is None:
        return None if roster is None else Previous(roster, PreviousSource.ROSTER)
    if roster is not None and roster > ledger.colour:
        return Previous(roster, PreviousSource.ROSTER)
    return ledger


def better_than_ledger(resident: Resident, ledger: Previous | None) -> RowError | None:
    """The rejection of a 上次颜色 better than the ledger's last card (see ``previous_of``)."""
    roster = resident.previous_colour
    if ledger is None or roster is None or roster >= ledger.colour:
        return None
    return _problem(resident, "上次颜色", roster.word,
                    f"上次颜色填的是{roster.word}，但登记册中此人上一张卡（{ledger.issued}）是"
                    f"{ledger.colour.word}：颜色只能按转码规则转好。请清空“上次颜色”，或核实后改正",
                    f"上次颜色 says {roster.english} but the ledger's last card for this ID "
                    f"({ledger.issued}) is {ledger.colour.english}: colours improve only by "
                    "conversion; clear the cell, or check and correct it")


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
