"""A resident's history replayed (DESIGN.md §4): the episodes its events and states opened
and the steps (T2, T1) its report days earned, day after day up to the one asked for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from passgen.dates import Days, without
from passgen.models import Colour, Record, Resident, RowError, Span, evolve
from passgen.rules.facts import fired_on
from passgen.rules.load import Clause, Rules

HELD = "上次颜色"  # the reason of a colour held from elsewhere (上次颜色, or an old card)
_ONE = dt.timedelta(days=1)
QUIET: dict[str, Any] = {
    "travel_regions": (), "arrival_date": None, "abroad_countries": (), "entry_date": None,
    "symptoms": (), "case_status": "正常", "status_date": None, "severe_contact": False,
    "lives_with_observed": False, "certificate_until": None, "override": "",
    "previous_colour": None}


@dataclass(frozen=True)
class Opening:
    """The start of an episode, or a new event inside one: its day, the colour its clauses
    give on that day, and those clauses.  An event or a state restarts the count of report
    days towards the next step; a colour held from elsewhere (``restarts`` False) only
    raises the colour."""

    day: dt.date
    colour: Colour
    clauses: tuple[str, ...]
    restarts: bool = True


@dataclass(frozen=True)
class Step:
    """A conversion: one step better on ``day`` (T2 red → yellow, T1 yellow → green)."""

    day: dt.date
    to: Colour

    @property
    def clause(self) -> str:
        return "T1" if self.to == Colour.GREEN else "T2"


@dataclass(frozen=True)
class Episode:
    """A run of days on which the steps left a colour other than green: the clauses that
    opened it (and any that came while it lasted) and the steps taken in it."""

    opened: dt.date
    clauses: tuple[str, ...]
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class Course:
    """A resident's history replayed up to a day: the colour the steps leave, the episode
    now running (or the last one, ended by a step to green), the day the count towards the
    next step began, and the states that hold that day and keep any step from happening."""

    colour: Colour
    episode: Episode | None
    counting_from: dt.date | None
    holding: tuple[str, ...] = ()


def event_views(quiet: Resident, record: Record) -> list[Resident]:
    """One resident per dated event of the record, holding that event alone (and the health
    certificate, which G3 reads beside an arrival)."""
    views = []
    quiet = evolve(quiet, certificate_until=record.certificate)
    if record.arrival is not None:
        views.append(evolve(quiet, arrival_date=record.arrival, travel_regions=record.regions))
    if record.entry is not None:
        views.append(evolve(quiet, entry_date=record.entry, abroad_countries=record.countries))
    if record.status:
        views.append(evolve(quiet, case_status=record.status, status_date=record.status_date))
    return views


def event_day(view: Resident) -> dt.date:
    day = view.arrival_date or view.entry_date or view.status_date
    assert day is not None
    return day


def openings_until(views: list[Resident], record: Record, day: dt.date,
              rules: Rules) -> list[Opening] | RowError:
    """Every day on which an event or a state opened an episode (or raised one), up to
    ``day``: an event at the colour its clauses give on its own day, even where their window
    has since lapsed; a clause a health certificate cancelled, on the day after it ends."""
    out: list[Opening] = []
    for view in views:
        event = event_day(view)
        days = [event]
        if view.certificate_until is not None and view.certificate_until >= event:
            days.append(view.certificate_until + _ONE)
        seen: set[str] = set()
        for when in days:
            if when > day:
                break
            result = fired_on(view, when, rules)
            if isinstance(result, RowError):
                return result
            new = [c for c in result[0] if c.kind == "event" and c.colour > Colour.GREEN
                   and c.id not in seen]
            if new:
                seen.update(c.id for c in new)
                out.append(Opening(when, max(c.colour for c in new), tuple(c.id for c in new)))
    for span in record.states:
        if span.start <= day:
            out.append(Opening(span.start, rules.by_id[span.clause].colour, (span.clause,)))
    for when, colour in record.held:
        if when <= day:
            out.append(Opening(when, colour, (HELD,), restarts=False))
    return out


def next_step(runs: tuple[Days, ...], first: dt.date, last: dt.date,
               window: int) -> dt.date | None:
    """The first day in [first, last] that ends ``window`` consecutive compliant days."""
    need = dt.timedelta(days=window - 1)
    for a, b in runs:
        if b < first:
            continue
        if a > last:
            break
        day = max(first, a + need)
        if day <= min(b, last):
            return day
    return None


def replay(openings: list[Opening], spans: tuple[Span, ...], runs: tuple[Days, ...],
           day: dt.date, rules: Rules) -> Course:
    """The steps (DESIGN.md §4), day after day up to ``day``: an opening raises the colour
    and restarts the count; while no state holds, a step falls due on the first day that
    ends ``window_days`` compliant report days counted from the last step or opening; a
    state's days under symptoms are never compliant.  Only the days on which something
    happens are visited: between them the next step is found from the runs of report days."""
    window = rules.window_days
    runs = without(runs, tuple((s.start, s.end or day) for s in spans
                               if s.clause in rules.symptom_clauses))
    bounds = sorted({o.day for o in openings} | {s.start for s in spans}
                    | {s.end for s in spans if s.end is not None})
    bounds = [b for b in bounds if b <= day]
    colour, counting, episode = Colour.GREEN, None, None
    for i, bound in enumerate(bounds):
        for o in sorted((o for o in openings if o.day == bound), key=lambda o: not o.restarts):
            if not o.restarts and o.colour <= colour:
                continue  # a colour held from elsewhere that is no worse changes nothing
            if colour == Colour.GREEN or episode is None:
                episode = Episode(bound, o.clauses)
            else:
                episode = evolve(episode, clauses=tuple(dict.fromkeys(episode.clauses
                                                                       + o.clauses)))
            colour, counting = max(colour, o.colour), bound
        if any(s.holds(bound) for s in spans) or counting is None:
            continue
        end = bounds[i + 1] - _ONE if i + 1 < len(bounds) else day
        while colour > Colour.GREEN and episode is not None:
            due = next_step(runs, max(bound, counting + dt.timedelta(days=window)), end, window)
            if due is None:
                break
            colour, counting = Colour(colour - 1), due
            episode = evolve(episode, steps=(*episode.steps, Step(due, colour)))
    holding = tuple(s.clause for s in spans if s.holds(day))
    return Course(colour, episode, counting, holding)


def windows_on(views: list[Resident], day: dt.date, rules: Rules) -> list[Clause] | RowError:
    """The dated event clauses whose window (14天内, 未满14天) is not over on ``day``."""
    out = []
    for view in views:
        if event_day(view) > day:
            continue
        result = fired_on(view, day, rules)
        if isinstance(result, RowError):
            return result
        out += [c for c in result[0] if c.kind == "event" and c.colour > Colour.GREEN
                and c.windowed]
    return out
