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
    Previous,
    PreviousSource,
    Record,
    Resident,
    RowError,
    evolve,
)
from passgen.rules.carry import carry, report_window, state_spans
from passgen.rules.conditions import Facts
from passgen.rules.course import (
    HELD,
    QUIET,
    Course,
    event_views,
    openings_until,
    replay,
    windows_on,
)
from passgen.rules.facts import facts_of, fired_on, row_problem
from passgen.rules.load import Clause, Rules

NOTHING = Course(Colour.GREEN, None, None)
__all__ = ["HELD", "Explanation", "evaluate", "explain", "facts_of", "valid_through"]


@dataclass(frozen=True)
class Explanation:
    """Everything behind one colour: today's facts and clauses (fired and cancelled), the
    history replayed (episodes and steps) and the assessment."""

    facts: Facts
    as_of: dt.date
    fired: tuple[Clause, ...]
    cancelled: tuple[Clause, ...]
    assessment: Assessment
    course: Course


# --- the history: kept facts merged with the roster, then replayed (DESIGN.md §4) ------------

def _run(resident: Resident, as_of: dt.date, rules: Rules,
         last: Record | None) -> Explanation | RowError:
    """The roster row merged with the last card's record, then decided (``_decide``)."""
    r = resident
    if last is None and r.previous_colour is None and r.arrival_date is None \
            and r.entry_date is None and r.case_status not in rules.event_statuses:
        quick = _quiet_life(resident, as_of, rules)  # most residents
        if quick is not None:
            return quick
    carried = carry(resident, as_of, rules, last)
    if isinstance(carried, RowError):
        return carried
    merged, record = carried
    today = fired_on(merged, as_of, rules)
    if isinstance(today, RowError):
        return today
    fired, cancelled, facts = today
    spans = state_spans(merged, as_of, fired, rules, last)
    if isinstance(spans, RowError):
        return spans
    record = evolve(record, states=spans)
    decided = _decide(resident, record, as_of, rules)
    if isinstance(decided, RowError):
        return decided
    colour, course, open_now = decided
    reasons, conversions = _reasons(colour, course, open_now, fired, as_of, rules)
    previous = None if last is None else Previous(last.colour, PreviousSource.LEDGER, last.day)
    if resident.previous_colour is not None and (last is None
                                                 or resident.previous_colour > last.colour):
        previous = Previous(resident.previous_colour, PreviousSource.ROSTER)
    assessment = Assessment(colour, reasons, rules.version, conversions, previous,
                            evolve(record, colour=colour))
    return Explanation(facts, as_of, tuple(fired), cancelled, assessment, course)


def _quiet_life(resident: Resident, as_of: dt.date, rules: Rules) -> Explanation | RowError | None:
    """A first card with no dated event, no colour from elsewhere and no red or yellow clause:
    green with nothing to replay (None when it is not so simple)."""
    today = fired_on(resident, as_of, rules)
    if isinstance(today, RowError):
        return today
    fired, cancelled, facts = today
    if any(c.colour > Colour.GREEN for c in fired):
        return None
    streak = resident.report_days
    window = report_window(as_of, streak)
    record = Record(as_of, Colour.GREEN, streak, reported=(window,) if window else ())
    reasons = tuple(c.match for c in fired) or tuple(c.match for c in rules.fallbacks)
    return Explanation(facts, as_of, tuple(fired), cancelled,
                       Assessment(Colour.GREEN, reasons, rules.version, (), None, record),
                       NOTHING)


def _decide(resident: Resident, record: Record, day: dt.date,
            rules: Rules) -> tuple[Colour, Course, list[Clause]] | RowError:
    """The colour on ``day`` of a resident whose facts are ``record``: the worse of what the
    steps leave and what holds that day (a state, a window not yet over); with the history
    replayed and the clauses that hold.  A day after the record's is one on which no report
    day is known yet (``valid_through``)."""
    if not (record.arrival or record.entry or record.status or record.states or record.held):
        return Colour.GREEN, NOTHING, []  # most residents: nothing ever happened
    views = event_views(evolve(resident, **QUIET), record)
    openings = openings_until(views, record, day, rules)
    if isinstance(openings, RowError):
        return openings
    course = replay(openings, record.states, record.reported, day, rules)
    windows = windows_on(views, day, rules)
    if isinstance(windows, RowError):
        return windows
    open_now = windows + [rules.by_id[c] for c in course.holding]
    return max([course.colour, *(c.colour for c in open_now)]), course, open_now


def _reasons(colour: Colour, course: Course, open_now: list[Clause], fired: list[Clause],
             day: dt.date, rules: Rules) -> tuple[tuple[ClauseMatch, ...], tuple[str, ...]]:
    """依据条款 and the conversions: for red or yellow, the clauses that hold today and those
    of the running episode, with its steps; for a green reached by a step less than
    ``window_days`` ago, that episode's clauses and steps; else the green clauses."""
    episode = course.episode
    recent = episode is not None and (course.colour > Colour.GREEN or (
        episode.steps and (day - episode.steps[-1].day).days < rules.window_days))
    if colour == Colour.GREEN and not recent:
        return tuple(c.match for c in fired if c.colour == Colour.GREEN) or \
            tuple(c.match for c in rules.fallbacks), ()
    ids = {c.id for c in open_now}
    if recent and episode is not None:
        ids |= set(episode.clauses)
    reasons = [c.match for c in rules.clauses if c.id in ids and c.colour > Colour.GREEN]
    if HELD in ids and (colour > Colour.GREEN or not reasons):
        reasons.append(ClauseMatch(HELD, colour, "别处（外单位或 passgen 之前）发的上一张卡的颜色，"
                                   "尚未满足转码条件（连续14天申报符合条件后转好一级）"))
    steps = tuple(s.clause for s in episode.steps) if recent and episode is not None else ()
    return tuple(reasons), steps


def explain(resident: Resident, as_of: dt.date, rules: Rules,
            last_card: Record | None = None) -> Explanation | RowError:
    """Evaluate with every reason kept: facts, clauses fired and cancelled, the history.
    ``last_card``: the facts kept with the office ledger's last card for this ID on or
    before ``as_of``."""
    problem = better_than_ledger(resident, last_card)
    if problem is not None:
        return problem
    return _run(resident, as_of, rules, last_card)


def evaluate(resident: Resident, as_of: dt.date, rules: Rules,
             last_card: Record | None = None) -> Assessment | RowError:
    """The colour of ``resident`` on ``as_of`` with every reason for it (DESIGN.md §4).
    ``last_card`` is the record the office ledger kept with the resident's last card on or
    before ``as_of`` (looked up by the caller); the roster's 上次颜色 counts beside it only
    when worse; without either it is a first card, computed as if the resident had held a
    code since each event the roster records.  The assessment carries the record to keep
    with the new card.

    A region, country or symptom the rules do not know makes a RowError: never a guess;
    so does a roster that changes a fact kept with a red or yellow card.
    """
    result = explain(resident, as_of, rules, last_card)
    return result if isinstance(result, RowError) else result.assessment


def better_than_ledger(resident: Resident, ledger: Record | None) -> RowError | None:
    """The rejection of a 上次颜色 better than the ledger's last card: colours improve only
    by conversion (DESIGN.md §4); a worse one is taken (a card the ledger has not seen)."""
    roster = resident.previous_colour
    if ledger is None or roster is None or roster >= ledger.colour:
        return None
    return row_problem(resident, "上次颜色", roster.word,
                    f"上次颜色填的是{roster.word}，但登记册中此人上一张卡（{ledger.day}）是"
                    f"{ledger.colour.word}：颜色只能按转码规则转好。请清空“上次颜色”，或核实后改正",
                    f"上次颜色 says {roster.english} but the ledger's last card for this ID "
                    f"({ledger.day}) is {ledger.colour.english}: colours improve only by "
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
    its facts (``assessment.kept``), with no report day known after ``as_of``, give a worse
    colour (a G3 green ends with its health certificate, a green card before a known later
    arrival).  Only the days on which a dated fact or a window changes are evaluated."""
    last = as_of + dt.timedelta(days=days)
    record = assessment.kept
    if record is None:
        return Validity(last)
    for day in _change_days(record, as_of, last, rules):
        decided = _decide(resident, record, day, rules)
        if isinstance(decided, RowError):
            break
        colour, course, open_now = decided
        if colour > assessment.colour:
            openings = openings_until(event_views(evolve(resident, **QUIET), record), record, day, rules)
            ids = {c.id for c in open_now if c.colour > assessment.colour}
            if not isinstance(openings, RowError):
                ids |= {i for o in openings if o.day > as_of and o.colour > assessment.colour
                        for i in o.clauses}
            return Validity(day - dt.timedelta(days=1),
                            tuple(c.id for c in rules.clauses if c.id in ids))
    return Validity(last)


def _change_days(record: Record, as_of: dt.date, last: dt.date,
                 rules: Rules) -> list[dt.date]:
    """The days in (as_of, last] on which a condition can change for these facts: a dated
    fact taking effect or a window over it ending, a certificate expiring.  The colour is
    the same between them, so only they need evaluating (most residents have none)."""
    windows = {0, rules.window_days} | {int(v) for c in rules.clauses for k, v in c.when
                                        if k.endswith("_within_days")}
    days = {d + dt.timedelta(days=n) for d in (record.arrival, record.entry,
                                               record.status_date) if d for n in windows}
    if record.certificate is not None:
        days.add(record.certificate + dt.timedelta(days=1))
    return sorted(d for d in days if as_of < d <= last)
