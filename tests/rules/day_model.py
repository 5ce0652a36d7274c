"""A day-by-day model of DESIGN.md §4, written apart from the engine: the oracle of
``test_oracle.py``.  It imports nothing from passgen: its clause table is the source's sentences
for the places, countries and statuses the property draws (with 温州 as a medium-risk area),
and it walks a resident's days one at a time, as the rules read.

What it models, from the rosters of successive batches (each a dict of facts, below):

- Events open an episode on their own day at the colour their clauses give that day (R1, R5,
  Y1 for arrivals; R9, Y4 for entries; R8, Y3, R3 for a discharge or a release), even where the
  window has since lapsed; Y1 cancelled by a valid health certificate opens the day after the
  certificate ends.  An opening during an episode adds its clauses and restarts the count.
- States (R2, R4, R6, R7, R10, Y2, Y5) open an episode on the day they begin (状态日期, else the
  first batch that lists them), hold their colour and stop every step while listed, and end on
  the date of the first batch that no longer lists them.
- A compliant day is one a batch's streak covers (the streak ends on its date), outside the
  days of a symptoms state (its first listing to its end, both included).
- A step (red → yellow → green) falls on the first day on which no state holds, the day is
  14 or more days after the last step or opening, and the streak that day is 14 or more.
- The colour is the worse of what the steps leave and what holds that day: a state, or a
  14-day window not yet over (R3, R5, R8, R9, Y3, Y4).
- While the last card is red or yellow a fact a roster leaves out is carried; a green
  resident's events are the roster's.  上次颜色 on a first card is a colour held since the day
  before its streak began.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

GREEN, YELLOW, RED = 0, 1, 2
WINDOW = 14
DAY = dt.timedelta(days=1)

PLACES = {"武汉": {"high", "severe"}, "温州": {"medium"}, "成都": {"low"}}
COUNTRIES = {"韩国": "severe", "泰国": "other"}
STATUS_STATES = {"确诊": "R2", "疑似": "R2", "无症状感染者集中隔离": "R2", "密切接触者隔离": "R4"}
STATUS_EVENTS = {"治愈出院": ("R8",), "治愈出院居家观察": ("R8", "Y3"),
                 "无症状感染者解除隔离": ("R3",)}
COLOUR = {"R1": RED, "R2": RED, "R3": RED, "R4": RED, "R5": RED, "R6": RED, "R7": RED,
          "R8": RED, "R9": RED, "R10": RED, "Y1": YELLOW, "Y2": YELLOW, "Y3": YELLOW,
          "Y4": YELLOW, "Y5": YELLOW, "上次颜色": None}
HELD = "上次颜色"


@dataclass(frozen=True)
class Roster:
    """One roster row as a clerk fills it: events with their days, states listed today."""

    arrival: tuple[str, dt.date] | None = None
    entry: tuple[str, dt.date] | None = None
    status: tuple[str, dt.date] | None = None  # a state or an event of 人员状态
    symptoms: bool = False
    severe_contact: bool = False
    lives_with_observed: bool = False
    override: str = ""
    certificate: dt.date | None = None
    previous: int | None = None  # 上次颜色
    streak: int = 0


@dataclass(frozen=True)
class Verdict:
    colour: int
    conversions: tuple[str, ...]
    clauses: frozenset[str]  # the red and yellow clauses (and 上次颜色) given as reasons


@dataclass
class _Span:
    clause: str
    start: dt.date
    end: dt.date | None = None


@dataclass
class _Episode:
    clauses: set[str]
    steps: list[tuple[dt.date, str]] = field(default_factory=list)


def _states_listed(r: Roster) -> dict[str, dt.date | None]:
    """State clause → its 状态日期 where a status dates it."""
    out: dict[str, dt.date | None] = {}
    if r.status and r.status[0] in STATUS_STATES:
        out[STATUS_STATES[r.status[0]]] = r.status[1]
    for flag, clause in ((r.severe_contact, "R6"), (r.lives_with_observed, "R7"),
                         (r.symptoms, "Y2"), (r.override == "高风险", "R10"),
                         (r.override == "中风险", "Y5")):
        if flag:
            out[clause] = None
    return out


class Model:
    """One resident's batches, in order; ``issue`` gives the verdict of each card."""

    def __init__(self) -> None:
        self.days: list[dt.date] = []
        self.spans: list[_Span] = []
        self.compliant: set[dt.date] = set()
        self.held: list[tuple[dt.date, int]] = []
        self.facts = Roster()
        self.last: int | None = None

    def issue(self, on: dt.date, roster: Roster) -> Verdict:
        keep = self.last is not None and self.last > GREEN
        kept = self.facts
        status = roster.status if roster.status and roster.status[0] in STATUS_EVENTS else None
        if keep:
            status = status or (kept.status if kept.status and kept.status[0] in STATUS_EVENTS
                                else None)
        facts = Roster(arrival=roster.arrival or (kept.arrival if keep else None),
                       entry=roster.entry or (kept.entry if keep else None), status=status,
                       certificate=roster.certificate or (kept.certificate if keep else None))
        self.facts = facts
        listed = _states_listed(roster)
        for span in self.spans:
            if span.end is None and span.clause not in listed:
                span.end = on
        for clause, dated in listed.items():
            if not any(s.clause == clause and s.end is None for s in self.spans):
                self.spans.append(_Span(clause, dated or on))
        for n in range(roster.streak):
            self.compliant.add(on - n * DAY)
        if roster.previous is not None and roster.previous > (self.last or GREEN):
            since = on - roster.streak * DAY
            self.held.append((since if not self.days else max(since, self.days[-1]),
                              roster.previous))
        self.days.append(on)
        verdict = self._walk(on)
        self.last = verdict.colour
        return verdict

    # --- the walk -----------------------------------------------------------------------
    def _openings(self) -> list[tuple[dt.date, int, tuple[str, ...], bool]]:
        f = self.facts
        out = []
        if f.arrival:
            place, day = f.arrival
            levels = PLACES[place]
            fired = [c for c, holds in (("R1", "high" in levels), ("R5", "severe" in levels))
                     if holds]
            cert = f.certificate
            if "medium" in levels:
                if cert is None or cert < day:
                    fired.append("Y1")
                else:
                    out.append((cert + DAY, YELLOW, ("Y1",), True))
            if fired:
                out.append((day, max(COLOUR[c] for c in fired), tuple(fired), True))
        if f.entry:
            country, day = f.entry
            clause = "R9" if COUNTRIES[country] == "severe" else "Y4"
            out.append((day, COLOUR[clause], (clause,), True))
        if f.status:
            clauses = STATUS_EVENTS[f.status[0]]
            out.append((f.status[1], max(COLOUR[c] for c in clauses), clauses, True))
        for s in self.spans:
            out.append((s.start, COLOUR[s.clause], (s.clause,), True))
        for day, colour in self.held:
            out.append((day, colour, (HELD,), False))
        return out

    def _windows(self, day: dt.date) -> set[str]:
        f = self.facts
        out = set()

        def within(start: dt.date) -> bool:
            return 0 <= (day - start).days < WINDOW

        if f.arrival and "severe" in PLACES[f.arrival[0]] and within(f.arrival[1]):
            out.add("R5")
        if f.entry and within(f.entry[1]):
            out.add("R9" if COUNTRIES[f.entry[0]] == "severe" else "Y4")
        if f.status and within(f.status[1]):
            out.update(STATUS_EVENTS[f.status[0]])
        return out

    def _streak(self, day: dt.date, sick: list[tuple[dt.date, dt.date]]) -> int:
        n = 0
        while day - n * DAY in self.compliant and not any(
                a <= day - n * DAY <= b for a, b in sick):
            n += 1
        return n

    def _walk(self, today: dt.date) -> Verdict:
        openings = [o for o in self._openings() if o[0] <= today]
        sick = [(s.start, s.end or today) for s in self.spans if s.clause == "Y2"]
        first = min([o[0] for o in openings], default=today)
        colour, counting, episode = GREEN, None, None
        day = first
        while day <= today:
            for _, c, clauses, restarts in sorted((o for o in openings if o[0] == day),
                                                      key=lambda o: not o[3]):
                if not restarts and c <= colour:
                    continue
                if colour == GREEN or episode is None:
                    episode = _Episode(set(clauses))
                else:
                    episode.clauses |= set(clauses)
                colour, counting = max(colour, c), day
            holding = any(s.start <= day and (s.end is None or day < s.end) for s in self.spans)
            if not holding and colour > GREEN and counting is not None and episode is not None \
                    and (day - counting).days >= WINDOW and self._streak(day, sick) >= WINDOW:
                colour -= 1
                counting = day
                episode.steps.append((day, "T1" if colour == GREEN else "T2"))
            day += DAY
        holding = {s.clause for s in self.spans
                   if s.start <= today and (s.end is None or today < s.end)}
        now = holding | self._windows(today)
        result = max([colour, *(COLOUR[c] for c in now)])
        recent = episode is not None and (colour > GREEN or bool(episode.steps) and (
            today - episode.steps[-1][0]).days < WINDOW)
        if result == GREEN and not recent:
            return Verdict(GREEN, (), frozenset())
        ids = set(now)
        if recent and episode is not None:
            ids |= episode.clauses
        named = {c for c in ids if c != HELD}
        if HELD in ids and (result > GREEN or not named):
            named.add(HELD)
        steps = tuple(s for _, s in episode.steps) if recent and episode is not None else ()
        return Verdict(result, steps, frozenset(named))
