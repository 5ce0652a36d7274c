"""The oracle (issue #34, DESIGN.md §4): random histories of residents through ``cards``
batches on random dates with a real ledger, every card's colour, conversions and red or
yellow clauses compared with the day-by-day model in ``day_model.py``, which is written apart
from the engine and imports nothing from it.

``make test`` runs a fixed seed and a count that fits CI; for a longer hunt:

    PASSGEN_ORACLE_EXAMPLES=2000 PASSGEN_ORACLE_SEED=7 .venv/bin/pytest tests/rules/test_oracle.py
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any

from day_model import GREEN, RED, YELLOW, Model, Roster, Verdict
from helpers import fixed_key, make_id, row, write_roster
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from passgen.jobs.cards import PrintOptions, run_cards
from passgen.jobs.report import RowOutcome
from passgen.models import Colour
from passgen.printing.layout import load_template
from passgen.rules import default_rules_bytes, parse_rules

# the default rules and 温州 as a medium-risk area (the source lists none), so Y1 and G3 occur
RULES = parse_rules(default_rules_bytes().replace(b"[[abroad]]", """[[area]]
level = "medium"
places = ["浙江省温州市"]
source = "test medium area"

[[abroad]]""".encode(), 1))
START = dt.date(2020, 3, 1)
EXAMPLES = int(os.environ.get("PASSGEN_ORACLE_EXAMPLES", "30"))
SEED = int(os.environ.get("PASSGEN_ORACLE_SEED", "20200301"))
STATES = {"case": ("确诊", ("治愈出院", "治愈出院居家观察")),
          "carrier": ("无症状感染者集中隔离", ("无症状感染者解除隔离",)),
          "contact": ("密切接触者隔离", ())}
EVENTS = ("治愈出院", "治愈出院居家观察", "无症状感染者解除隔离")
FLAGS = ("severe_contact", "lives_with_observed", "symptoms", "high", "medium")


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


@dataclass(frozen=True)
class Life:
    """What happens to one resident, by day offsets from START; rosters are read off it."""

    arrival: tuple[str, int] | None
    entry: tuple[str, int] | None
    status: tuple[str, str, int, int] | None  # (story, follow-up, start, length)
    flags: tuple[tuple[str, int, int], ...]  # (flag, start, length)
    certificate: int | None
    missed: frozenset[int]
    previous: int | None  # 上次颜色 on the first roster

    def listed(self, flag: str, t: int) -> bool:
        return any(f == flag and s <= t < s + n for f, s, n in self.flags)

    def compliant(self, t: int) -> bool:
        return t not in self.missed and not self.listed("symptoms", t) and t > -30

    def roster(self, t: int, first: bool, omit_before: int | None) -> Roster:
        """The roster row on day ``t``; events dated before ``omit_before`` left out (a
        clerk who cleared the cells of old events)."""
        def keep(when: int) -> bool:
            return when <= t and (omit_before is None or when >= omit_before)

        status = None
        if self.status is not None:
            story, follow, start, length = self.status
            if story in STATES:
                if start <= t < start + length:
                    status = (STATES[story][0], day(start))
                elif follow and keep(start + length):
                    status = (follow, day(start + length))
            elif keep(start):
                status = (story, day(start))
        streak = 0
        while self.compliant(t - streak):
            streak += 1
        override = "高风险" if self.listed("high", t) else "中风险" if self.listed("medium", t) \
            else ""
        return Roster(
            arrival=(self.arrival[0], day(self.arrival[1]))
            if self.arrival and keep(self.arrival[1]) else None,
            entry=(self.entry[0], day(self.entry[1])) if self.entry and keep(self.entry[1])
            else None,
            status=status, symptoms=self.listed("symptoms", t),
            severe_contact=self.listed("severe_contact", t),
            lives_with_observed=self.listed("lives_with_observed", t), override=override,
            certificate=None if self.certificate is None else day(self.certificate),
            previous=self.previous if first else None, streak=streak)


def cells(r: Roster) -> dict[str, Any]:
    """The roster row as a clerk types it."""
    out: dict[str, Any] = {"连续申报天数": r.streak}
    if r.arrival:
        out.update({"14天内旅居地区": r.arrival[0], "来南日期": r.arrival[1]})
    if r.entry:
        out.update({"14天内境外旅居国家": r.entry[0], "入境日期": r.entry[1]})
    if r.status:
        out.update({"人员状态": r.status[0], "状态日期": r.status[1]})
    if r.symptoms:
        out["症状"] = "发热"
    out["14天内接触疫情较重地区人员"] = "是" if r.severe_contact else "否"
    out["与观察人员同住"] = "是" if r.lives_with_observed else "否"
    if r.override:
        out["人工认定"] = r.override
    if r.certificate:
        out["健康证明有效期至"] = r.certificate
    if r.previous is not None:
        out["上次颜色"] = Colour(r.previous).word
    return out


def _status(draw: Any) -> tuple[str, str, int, int] | None:
    story = draw(st.sampled_from([None, *STATES, *EVENTS]))
    if story is None:
        return None
    start = draw(st.integers(0, 40))
    if story in EVENTS:
        return story, "", start, 0
    follow = draw(st.sampled_from(("", *STATES[story][1])))
    return story, follow, start, draw(st.integers(1, 30))


@st.composite
def lives(draw: Any) -> Life:
    return Life(
        arrival=draw(st.none() | st.tuples(st.sampled_from(["武汉", "温州", "成都"]),
                                           st.integers(0, 40))),
        entry=draw(st.none() | st.tuples(st.sampled_from(["韩国", "泰国"]), st.integers(0, 40))),
        status=_status(draw),
        flags=tuple(draw(st.lists(st.tuples(st.sampled_from(FLAGS), st.integers(0, 40),
                                            st.integers(1, 25)),
                                  max_size=2, unique_by=lambda f: f[0]))),
        certificate=draw(st.none() | st.integers(-5, 60)),
        missed=frozenset(draw(st.sets(st.integers(-30, 90), max_size=5))),
        previous=draw(st.none() | st.sampled_from([YELLOW, RED])))


@st.composite
def histories(draw: Any) -> tuple[list[Life], list[int], list[bool]]:
    people = draw(st.lists(lives(), min_size=1, max_size=3))
    first = draw(st.integers(0, 45))
    gaps = draw(st.lists(st.integers(0, 21), min_size=0, max_size=3))
    days = [first]
    for gap in gaps:
        days.append(days[-1] + gap)
    omit = draw(st.lists(st.booleans(), min_size=len(days), max_size=len(days)))
    return people, days, omit


def verdict_of(outcome: RowOutcome) -> Verdict:
    assert outcome.card is not None, outcome.error and outcome.error.message
    a = outcome.card.assessment
    named = frozenset(m.clause_id for m in a.matched if m.colour > Colour.GREEN
                      or m.clause_id == "上次颜色")
    return Verdict(int(a.colour), a.conversions, named)


@seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(history=histories())
def test_every_card_agrees_with_the_day_by_day_model(
        tmp_path_factory: Any, history: tuple[list[Life], list[int], list[bool]]) -> None:
    people, days, omit = history
    folder = tmp_path_factory.mktemp("oracle")
    ledger, key = folder / "ledger.sqlite", fixed_key()
    models = [Model() for _ in people]
    ids = [make_id(dt.date(1950, 1, 1), seq) for seq in range(len(people))]
    for k, t in enumerate(days):
        omit_before = days[k - 1] if k and omit[k] else None
        rosters = [life.roster(t, k == 0, omit_before) for life in people]
        path = write_roster(folder / f"r{k}.xlsx", [
            row(**cells(r), 身份证号=ids[i], 姓名=f"居民{i}") for i, r in enumerate(rosters)])
        outcomes: list[RowOutcome] = []
        run_cards([path], key, folder / f"out{k}", RULES, PrintOptions(load_template()),
                  day(t), ledger=ledger, on_outcome=outcomes.append)
        for i, (outcome, model, roster) in enumerate(zip(outcomes, models, rosters,
                                                         strict=True)):
            expected = model.issue(day(t), roster)
            got = verdict_of(outcome)
            assert got == expected, (f"resident {i}, batch {k} on {day(t)}: engine {got} "
                                     f"model {expected}; life {people[i]}; days {days}")


def test_the_model_says_what_docs_rules_md_says() -> None:
    """The model on its own, against the day-by-day table of docs/rules.md: a Wuhan arrival
    on day 0 with a card every week and a report every day."""
    model = Model()
    seen = []
    for n in (0, 7, 14, 21, 28):
        v = model.issue(day(n), Roster(arrival=("武汉", day(0)), streak=n))
        seen.append((v.colour, v.conversions))
    assert seen == [(RED, ()), (RED, ()), (YELLOW, ("T2",)), (YELLOW, ("T2",)),
                    (GREEN, ("T2", "T1"))]


def test_the_model_counts_conversion_days_once() -> None:
    """#34 finding 1 in the model alone: Korea 03-04, cards weekly: red, yellow, yellow, and
    green only on 04-01, 14 report days after the step to yellow."""
    model = Model()
    korea = ("韩国", day(3))
    seen = [model.issue(day(n), Roster(entry=korea, streak=n - 3)) for n in (10, 17, 24, 31)]
    assert [(v.colour, v.conversions) for v in seen] == [
        (RED, ()), (YELLOW, ("T2",)), (YELLOW, ("T2",)), (GREEN, ("T2", "T1"))]
    assert all(v.clauses == {"R9"} for v in seen)
