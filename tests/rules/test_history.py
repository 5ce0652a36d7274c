"""Colour as a history (issue #16, DESIGN.md §4): conversions one step per 14 compliant report
days from the previous card (roster or ledger), ongoing states block them, events clear with
them, no invented dates, unambiguous statuses, validity never outlasting the colour."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from helpers import AS_OF, fixed_key, make_id, row, write_roster
from hypothesis import given, settings
from hypothesis import strategies as st

from passgen.intake.roster import RowContext, read_rosters
from passgen.jobs.cards import PrintOptions, check_rosters, run_cards
from passgen.jobs.ledger import Ledger
from passgen.models import (
    Category,
    Colour,
    Location,
    PreviousSource,
    Record,
    Resident,
    RowError,
    legacy,
)
from passgen.printing.layout import load_template
from passgen.rules import default_rules_bytes, evaluate, load_rules, parse_rules
from passgen.rules.engine import valid_through
from passgen.rules.views import show

RULES = load_rules()
# the default file lists no medium-risk area (the source names none): 温州 for these tests
WITH_MEDIUM = parse_rules(default_rules_bytes().replace(b"[[abroad]]", """[[area]]
level = "medium"
places = ["浙江省温州市"]
source = "test medium area"

[[abroad]]""".encode(), 1))
R, Y, G = Colour.RED, Colour.YELLOW, Colour.GREEN
BASE = Resident(name="张三", id_number=make_id(dt.date(1950, 6, 15)), category=Category.ELDERLY,
                community="桂花社区", where=Location("r.xlsx", "花名册", 2))


def colour(when: dt.date = AS_OF, last_card: Record | None = None, **changes: object) -> Colour:
    result = evaluate(dataclasses.replace(BASE, **changes), when, RULES, last_card)
    assert not isinstance(result, RowError), result.message
    return result.colour


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def kept(on: dt.date, last_card: Record | None = None, **changes: object) -> Record:
    """The record a card issued ``on`` keeps (its facts), for the next evaluation."""
    result = evaluate(dataclasses.replace(BASE, **changes), on, RULES, last_card)
    assert not isinstance(result, RowError) and result.kept is not None, result
    return result.kept


# --- finding 1: red never turns green in one step -----------------------------------------

def test_a_red_card_then_14_and_28_days_later_with_the_ledger(tmp_path: Path) -> None:
    """The acceptance scenario: a Wuhan arrival gets a red card; the same resident, 上次颜色
    blank, 14 days later with 14 report days is yellow, 28 days later with 28 is green; with
    0 report days they stay red.  The previous colour comes from the office ledger."""
    key = fixed_key()
    ledger = tmp_path / "ledger.sqlite"
    start = AS_OF - days(28)
    arrival = row(**{"14天内旅居地区": "湖北省武汉市", "来南日期": start - days(1)})

    def batch(on: dt.date, report_days: int | None, name: str) -> tuple[Colour, str]:
        cells = {**arrival, **({"连续申报天数": report_days} if report_days is not None else {})}
        roster = write_roster(tmp_path / f"{name}.xlsx", [cells])
        outcomes: list[object] = []
        run_cards([roster], key, tmp_path / name, RULES, PrintOptions(load_template()), on,
                  ledger=ledger, on_outcome=outcomes.append)
        [outcome] = outcomes
        card = outcome.card  # type: ignore[attr-defined]
        return card.claims.colour, "、".join(card.assessment.clause_ids) + " " + outcome.note  # type: ignore[attr-defined]

    assert batch(start, None, "first")[0] == R
    # 0 report days: still red (checked without issuing, so the ledger keeps day 0's card)
    checked: list[object] = []
    check_rosters([write_roster(tmp_path / "zero.xlsx", [{**arrival, "连续申报天数": 0}])],
                  tmp_path / "check", RULES, start + days(14), ledger=ledger,
                  on_outcome=checked.append, key=fixed_key())
    assert [o.assessment.colour for o in checked] == [R]  # type: ignore[attr-defined]
    yellow, why = batch(start + days(14), 14, "yellow")
    assert yellow == Y and "T2" in why and "G1" not in why and "登记册" in why
    green, why = batch(start + days(28), 28, "green")
    assert green == G and "T1" in why and "G1" not in why
    with Ledger(ledger) as opened:
        assert [c.colour for c in opened.cards()] == [R, Y, G]


def test_conversion_days_count_from_the_previous_card() -> None:
    """A yellow card of day 14 does not turn green 6 days later because the resident has
    reported for 20 days: 14 of them earned the yellow already."""
    wuhan = {"travel_regions": ("武汉",), "arrival_date": AS_OF - days(20)}
    card = kept(AS_OF - days(6), report_days=14, **wuhan)
    assert card.colour == Y
    assert colour(last_card=card, report_days=20, **wuhan) == Y
    assert colour(AS_OF + days(8), last_card=card, report_days=28, **wuhan) == G


def test_the_ledger_is_the_record_beside_the_roster_previous_colour() -> None:
    """Issue #26 finding 2: a better 上次颜色 than the ledger's card rejects the row naming
    both (it used to win); a worse one is taken (a card the ledger has not seen)."""
    ledger = legacy(AS_OF - days(1), R, AS_OF - days(1))
    better = evaluate(dataclasses.replace(BASE, previous_colour=Y, report_days=0), AS_OF, RULES,
                      ledger)
    assert isinstance(better, RowError) and better.where.column == "上次颜色"
    assert "黄码" in better.zh and "红码" in better.zh and str(AS_OF - days(1)) in better.zh
    worse = evaluate(dataclasses.replace(BASE, previous_colour=R, report_days=0), AS_OF, RULES,
                     legacy(AS_OF - days(1), Y, AS_OF - days(1)))
    assert not isinstance(worse, RowError)
    assert worse.colour == R and worse.previous is not None
    assert worse.previous.source is PreviousSource.ROSTER
    same = evaluate(dataclasses.replace(BASE, previous_colour=R), AS_OF, RULES, ledger)
    assert not isinstance(same, RowError) and same.previous is not None
    assert same.previous.source is PreviousSource.LEDGER and same.colour == R


def test_a_first_card_is_as_if_a_code_was_held_since_the_event() -> None:
    """#34 finding 3: an entry from Italy 20 days ago opened a red episode that day, window
    lapsed or not; only report days convert it."""
    assert colour(travel_regions=("武汉",), arrival_date=AS_OF - days(20)) == R
    italy = {"abroad_countries": ("意大利",), "entry_date": AS_OF - days(20)}
    assert colour(**italy) == R
    assert colour(**italy, report_days=20) == Y
    assert colour(**italy, report_days=13) == R


# --- findings 1 and 3: events clear with conversions, ongoing states block them ------------

def test_events_clear_with_conversions_states_block_them() -> None:
    roster_red = {"previous_colour": R}
    wuhan = {"travel_regions": ("武汉",), "arrival_date": AS_OF - days(30)}
    assert colour(**roster_red, **wuhan, report_days=14) == Y
    assert colour(**roster_red, **wuhan, report_days=28) == G
    for state in ({"case_status": "确诊"}, {"case_status": "疑似"},
                  {"case_status": "无症状感染者集中隔离"}, {"case_status": "密切接触者隔离"},
                  {"lives_with_observed": True}, {"severe_contact": True},
                  {"override": "高风险"}):
        assert colour(**roster_red, **state, report_days=60) == R, state
    discharged = {"case_status": "治愈出院", "status_date": AS_OF - days(10)}
    assert colour(**roster_red, **discharged, report_days=10) == R  # within 14: no steps yet


def test_a_new_event_after_the_last_card_counts_in_full() -> None:
    green_card = kept(AS_OF - days(30))
    arrival = {"travel_regions": ("武汉",), "arrival_date": AS_OF - days(2)}
    assert colour(last_card=green_card, report_days=30, **arrival) == R


@settings(max_examples=300, deadline=None)
@given(previous=st.sampled_from(list(Colour)), report=st.integers(0, 80),
       issued_ago=st.one_of(st.none(), st.integers(0, 80)),
       arrival=st.one_of(st.none(), st.tuples(st.sampled_from(["武汉", "温州", "成都"]),
                                              st.integers(-3, 60))),
       entry=st.one_of(st.none(), st.tuples(st.sampled_from(["意大利", "泰国"]),
                                            st.integers(-3, 60))),
       status=st.sampled_from(["正常", "确诊", "无症状感染者解除隔离", "治愈出院",
                               "治愈出院居家观察", "密切接触者隔离"]),
       status_ago=st.integers(0, 40), symptoms=st.booleans(), certificate=st.booleans())
def test_never_more_than_one_step_per_14_report_days(
        previous: Colour, report: int, issued_ago: int | None,
        arrival: tuple[str, int] | None, entry: tuple[str, int] | None, status: str,
        status_ago: int, symptoms: bool, certificate: bool) -> None:
    changes: dict[str, object] = {"report_days": report, "case_status": status,
                                  "symptoms": ("发热",) if symptoms else ()}
    if status != "正常":
        changes["status_date"] = AS_OF - days(status_ago)
    if arrival:
        changes.update(travel_regions=(arrival[0],), arrival_date=AS_OF - days(arrival[1]))
    if entry:
        changes.update(abroad_countries=(entry[0],), entry_date=AS_OF - days(entry[1]))
    if certificate:
        changes["certificate_until"] = AS_OF + days(3)
    card = None if issued_ago is None else legacy(AS_OF - days(issued_ago), previous,
                                                   AS_OF - days(issued_ago))
    as_roster = colour(previous_colour=previous, **changes)
    assert as_roster >= previous - report // 14
    if card is not None:
        assert colour(last_card=card, **changes) >= previous - report // 14


# --- finding 2: no invented dates ------------------------------------------------------------

def test_korea_entry_before_an_invented_date_is_red() -> None:
    """The severe-country list had a from-date the source does not give (2020-02-24): an
    entry from Korea on 2020-02-22 was yellow on 2020-03-05."""
    assert colour(dt.date(2020, 3, 5), abroad_countries=("韩国",),
                  entry_date=dt.date(2020, 2, 22)) == R
    assert colour(dt.date(2020, 1, 20), travel_regions=("武汉",),
                  arrival_date=dt.date(2020, 1, 19)) == R  # Hubei had a from-date too


def test_rules_show_marks_every_date_with_its_source() -> None:
    text = show(RULES)
    assert "不限日期：原文未给出日期" in text and "2020-01-23" not in text


# --- finding 4: 居家观察 is ambiguous -----------------------------------------------------

def test_bare_home_observation_rejects_the_row(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "r.xlsx", [
        row(人员状态="居家观察", 状态日期=AS_OF - days(5)),
        row(姓名="李四", 身份证号=make_id(dt.date(1951, 1, 1)), 人员状态="治愈出院居家观察",
            状态日期=AS_OF - days(5)),
        row(姓名="王五", 身份证号=make_id(dt.date(1952, 1, 1)), 人员状态="密切接触者隔离",
            状态日期=AS_OF - days(5))])
    bare, discharged, contact = read_rosters([roster], RowContext(AS_OF))
    assert isinstance(bare, RowError) and bare.where.column == "人员状态"
    assert "治愈出院居家观察" in bare.zh and "密切接触者隔离" in bare.zh
    assert not isinstance(discharged, RowError) and not isinstance(contact, RowError)
    assert colour(case_status=discharged.case_status, status_date=discharged.status_date) == R
    assert colour(case_status=contact.case_status, status_date=contact.status_date) == R
    assert colour(AS_OF + days(20), case_status=contact.case_status,
                  status_date=contact.status_date) == R  # still under observation


# --- finding 5: a green card does not outlive its reason -----------------------------------

def test_g3_green_ends_with_its_certificate() -> None:
    """A G3 green was signed for 7 days even when the certificate ended the next day."""
    resident = dataclasses.replace(BASE, travel_regions=("温州",), arrival_date=AS_OF - days(3),
                                   certificate_until=AS_OF + days(1))
    assessment = evaluate(resident, AS_OF, WITH_MEDIUM)
    assert not isinstance(assessment, RowError) and assessment.colour == G
    validity = valid_through(resident, assessment, AS_OF, 7, WITH_MEDIUM)
    assert validity.last_day == AS_OF + days(1) and validity.capped_by == ("Y1",)
    assert "Y1" in validity.reason
    long = dataclasses.replace(resident, certificate_until=AS_OF + days(30))
    long_assessment = evaluate(long, AS_OF, WITH_MEDIUM)
    assert not isinstance(long_assessment, RowError) and long_assessment.colour == G
    assert valid_through(long, long_assessment, AS_OF, 7, WITH_MEDIUM).last_day == \
        AS_OF + days(7)


# --- finding 6: words from the source -------------------------------------------------------

def test_yellow_words_and_posters_follow_the_source() -> None:
    from passgen.check.gate import ACTIONS

    assert Colour.YELLOW.meaning == "检查体温、充分核验后方可通行"
    assert ACTIONS[Colour.YELLOW] == "检查体温、充分核验后方可通行"  # one vocabulary (#26)
    repo = Path(__file__).parent.parent.parent
    posters = "".join((repo / "templates" / f"poster-{k}.toml").read_text(encoding="utf-8")
                      for k in ("campaign", "checkpoint"))
    assert "并行使用" in posters and "同样" not in posters and "两分钟" not in posters


def test_weekly_cards_do_not_restart_the_count(tmp_path: Path) -> None:
    """A card re-issued every week keeps its colour's start day: red from day 0 turns yellow
    on day 14 and green on day 28, not never."""
    key = fixed_key()
    ledger = tmp_path / "ledger.sqlite"
    start = AS_OF - days(28)
    seen = []
    for offset in (0, 7, 14, 21, 28):
        cells = row(**{"14天内旅居地区": "武汉", "来南日期": start, "连续申报天数": offset})
        roster = write_roster(tmp_path / f"r{offset}.xlsx", [cells])
        outcomes: list[object] = []
        run_cards([roster], key, tmp_path / f"out{offset}", RULES,
                  PrintOptions(load_template()), start + days(offset), ledger=ledger,
                  on_outcome=outcomes.append)
        seen.append(outcomes[0].card.claims.colour)  # type: ignore[attr-defined]
    assert seen == [R, R, Y, Y, G]


def test_a_card_ends_before_a_known_future_arrival() -> None:
    """An arrival from Wuhan entered for three days from now: the green card is valid only
    until the day before; the clauses that make it red are named."""
    resident = dataclasses.replace(BASE, travel_regions=("武汉",), arrival_date=AS_OF + days(3))
    assessment = evaluate(resident, AS_OF, RULES)
    assert not isinstance(assessment, RowError) and assessment.colour == G
    validity = valid_through(resident, assessment, AS_OF, 7, RULES)
    assert validity.last_day == AS_OF + days(2) and set(validity.capped_by) == {"R1", "R5"}
    calm = dataclasses.replace(BASE, travel_regions=("成都",), arrival_date=AS_OF - days(3))
    calm_assessment = evaluate(calm, AS_OF, RULES)
    assert not isinstance(calm_assessment, RowError)
    assert valid_through(calm, calm_assessment, AS_OF, 7, RULES).last_day == AS_OF + days(7)


def test_an_event_the_last_card_did_not_list_counts_in_full() -> None:
    """A green card issued after an arrival the roster did not mention then does not clear
    that arrival: the event opens its episode on its own day."""
    green_after = kept(AS_OF - days(5), report_days=0)
    wuhan = {"travel_regions": ("武汉",), "arrival_date": AS_OF - days(10)}
    assert colour(last_card=green_after, report_days=5, **wuhan) == R
    # issue #26 finding 4: the episode began at the arrival, 14 days ago, not with the card
    # 10 days ago: 14 report days inside it convert red to yellow
    earlier = {**wuhan, "arrival_date": AS_OF - days(14)}
    red_for_it = kept(AS_OF - days(10), report_days=4, **earlier)
    assert red_for_it.colour == R
    assert colour(last_card=red_for_it, report_days=14, **earlier) == Y
    assert colour(last_card=red_for_it, report_days=9, **earlier) == R
