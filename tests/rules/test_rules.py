"""The shared colour rules: every clause fires and has a near miss, day boundaries,
conversions, overlap resolutions, and properties of the evaluation."""

import dataclasses
import datetime as dt
import hashlib
import random
import re
from pathlib import Path

import pytest
from helpers import AS_OF, make_id
from hypothesis import given, settings
from hypothesis import strategies as st

from passgen.errors import RulesError
from passgen.models import Category, Colour, Location, Resident, RowError
from passgen.rules import (
    Rules,
    default_rules_bytes,
    evaluate,
    explain,
    load_rules,
    parse_rules,
)

DEFAULT = load_rules()
MEDIUM_AREA = '''
[[area]]
level = "medium"
places = ["浙江省温州市"]
from = 2020-02-01
until = 2020-04-30
dates_reason = "a test area with dates"
source = "test medium area"
'''
# the default rules plus a medium-risk area, so Y1 and G3 can fire
WITH_MEDIUM = parse_rules(default_rules_bytes().replace(b"[[abroad]]",
                                                         MEDIUM_AREA.encode() + b"\n[[abroad]]", 1))
BASE = Resident(name="张三", id_number=make_id(dt.date(1950, 6, 15)), category=Category.ELDERLY,
                community="桂花社区", where=Location("r.xlsx", "花名册", 2))
R, Y, G = Colour.RED, Colour.YELLOW, Colour.GREEN


def ago(days: int) -> dt.date:
    return AS_OF - dt.timedelta(days=days)


def assess(rules: Rules = WITH_MEDIUM, **changes: object) -> tuple[Colour, tuple[str, ...]]:
    result = evaluate(dataclasses.replace(BASE, **changes), AS_OF, rules)
    assert not isinstance(result, RowError), result.message
    return result.colour, result.clause_ids


def arrived(region: str, days: int) -> dict[str, object]:
    return {"travel_regions": (region,), "arrival_date": ago(days)}


def entered(country: str, days: int) -> dict[str, object]:
    return {"abroad_countries": (country,), "entry_date": ago(days)}


def status(name: str, days: int) -> dict[str, object]:
    return {"case_status": name, "status_date": ago(days)}


# clause → (changes that fire it, expected result, a near miss, the near miss's result)
CLAUSES = {
    "R1": (arrived("湖北省武汉市", 3), (R, ("R1", "R5")), arrived("湖南省长沙市", 3), (G, ("G2",))),
    # a near miss of a dated clause is a first card after its window: it opened a red or
    # yellow episode on its day, and only report days convert it (DESIGN.md §4, #34)
    "R2": (status("确诊", 1), (R, ("R2",)), {**status("治愈出院", 30), "report_days": 30},
           (G, ("R8", "T2", "T1"))),
    "R3": (status("无症状感染者解除隔离", 13), (R, ("R3",)),
           {**status("无症状感染者解除隔离", 14), "report_days": 14}, (Y, ("R3", "T2"))),
    "R4": (status("密切接触者隔离", 2), (R, ("R4",)), {}, (G, ("G1",))),
    "R5": (arrived("孝感", 10), (R, ("R1", "R5")), arrived("孝感", 20), (R, ("R1", "R5"))),
    "R6": ({"severe_contact": True}, (R, ("R6",)), {"severe_contact": False}, (G, ("G1",))),
    "R7": ({"lives_with_observed": True}, (R, ("R7",)), {}, (G, ("G1",))),
    "R8": (status("治愈出院", 13), (R, ("R8",)), {**status("治愈出院", 14), "report_days": 14},
           (Y, ("R8", "T2"))),
    "R9": (entered("意大利", 5), (R, ("R9",)), {**entered("意大利", 14), "report_days": 14},
           (Y, ("R9", "T2"))),
    "R10": ({"override": "高风险"}, (R, ("R10",)), {"override": "中风险"}, (Y, ("Y5",))),
    "Y1": (arrived("温州", 3), (Y, ("Y1",)), arrived("杭州", 3), (G, ("G2",))),
    "Y2": ({"symptoms": ("发热", "干咳")}, (Y, ("Y2",)), {"symptoms": ()}, (G, ("G1",))),
    "Y3": (status("治愈出院居家观察", 13), (R, ("R8", "Y3")),
           {**status("治愈出院居家观察", 14), "report_days": 14}, (Y, ("R8", "Y3", "T2"))),
    "Y4": (entered("泰国", 13), (Y, ("Y4",)), {**entered("泰国", 15), "report_days": 15},
           (G, ("Y4", "T1"))),
    "Y5": ({"override": "中风险"}, (Y, ("Y5",)), {"override": ""}, (G, ("G1",))),
    "G1": ({}, (G, ("G1",)), arrived("成都", 1), (G, ("G2",))),
    "G2": (arrived("南京市鼓楼区", 2), (G, ("G2",)), arrived("南京市鼓楼区", 14), (G, ("G1",))),
    "G3": ({**arrived("温州", 3), "certificate_until": AS_OF}, (G, ("G3",)),
           {**arrived("温州", 3), "certificate_until": ago(1)}, (Y, ("Y1",))),
    "G4": ({"travel_regions": ("成都",), "arrival_date": ago(30)}, (G, ("G1",)),
           {}, (G, ("G1",))),
}


def test_every_clause_of_the_default_rules_is_tested() -> None:
    assert {c.id for c in DEFAULT.clauses} == set(CLAUSES)


@pytest.mark.parametrize("clause", sorted(CLAUSES))
def test_clause_fires_and_near_miss_does_not(clause: str) -> None:
    fire, expected, miss, miss_expected = CLAUSES[clause]
    assert assess(**fire) == expected
    assert assess(**miss) == miss_expected


def test_g4_is_the_fallback_when_no_other_green_clause_fires() -> None:
    # G1 fires for everyone without recent travel, so G4 is only seen alone when G1 is
    # narrowed: here G1 (renamed G9) also needs symptoms, which this resident does not have
    text = default_rules_bytes().decode().replace('id = "G1"', 'id = "G9"')
    rules = parse_rules(text.replace('when = { no_recent_travel = true }',
                                     'when = { no_recent_travel = true, symptoms = true }')
                        .encode())
    assert assess(rules) == (G, ("G4",))


@pytest.mark.parametrize("days, colour", [(0, R), (13, R), (14, Y), (15, Y)])
@pytest.mark.parametrize("changes", [
    lambda d: entered("伊朗", d), lambda d: status("无症状感染者解除隔离", d),
    lambda d: status("治愈出院", d), lambda d: status("治愈出院居家观察", d),
])
def test_day_boundaries_red(changes, days: int, colour: Colour) -> None:  # type: ignore[no-untyped-def]
    """Clauses whose source sentence says 14天内/未满14天, on a first card whose resident
    reported every day since: the window lapses on day 14, the step falls due the same day
    (one step: red → yellow); without report days it stays red (#34 finding 3)."""
    assert assess(**changes(days), report_days=days)[0] == colour
    assert assess(**changes(days))[0] == R


@pytest.mark.parametrize("days, colour", [(0, Y), (13, Y), (14, G), (15, G)])
def test_day_boundaries_yellow(days: int, colour: Colour) -> None:
    assert assess(**entered("泰国", days), report_days=days)[0] == colour
    assert assess(**entered("泰国", days))[0] == Y


@pytest.mark.parametrize("days", [0, 13, 14, 15, 20, 40])
def test_arrivals_from_listed_areas_have_no_window(days: int) -> None:
    """R1 (湖北全省/高风险地区的来南人员) and Y1 (中风险地区的来南人员) carry no 14-day limit in
    the source: the colour stays until a conversion (finding 1)."""
    assert assess(**arrived("武汉", days))[0] == R
    assert assess(**arrived("温州", days))[0] == Y


def test_future_dates_do_not_count_as_within_the_window() -> None:
    assert assess(**arrived("武汉", -1))[0] == G


@pytest.mark.parametrize("previous, days, trigger, expected, conversion", [
    (R, 14, {}, Y, "T2"),      # red with 14 compliant days and no trigger → yellow
    (R, 13, {}, R, ""),        # fewer → red, waiting for conversion (待转码)
    (R, 27, {}, Y, "T2"),
    (R, 28, {}, G, "T2、T1"),  # one step per 14 days: 28 days reach green (finding 3)
    (R, 14, {"symptoms": ("发热",)}, R, ""),  # a day with symptoms is never compliant
    (R, 28, {"symptoms": ("发热",)}, Y, "T2"),  # an ongoing state holds its colour
    (R, 14, {"case_status": "确诊"}, R, ""),  # an ongoing red state blocks any conversion
    (R, 60, {"lives_with_observed": True}, R, ""),
    (R, 60, {"override": "高风险"}, R, ""),
    (R, 60, {"case_status": "密切接触者隔离"}, R, ""),
    (Y, 14, {}, G, "T1"),      # yellow with 14 days → green
    (Y, 13, {}, Y, ""),
    (Y, 14, {"symptoms": ("发热",)}, Y, ""),
    (Y, 30, {"override": "中风险"}, Y, ""),
    (G, 0, {}, G, ""),
    (G, 0, {"override": "高风险"}, R, ""),
])
def test_conversions(previous: Colour, days: int, trigger: dict[str, object], expected: Colour,
                     conversion: str) -> None:
    result = evaluate(dataclasses.replace(BASE, previous_colour=previous, report_days=days,
                                          **trigger), AS_OF, DEFAULT)
    assert not isinstance(result, RowError)
    assert result.colour == expected and result.conversion == conversion


def test_overlap_r8_y3() -> None:
    """A discharged patient in home observation is red for 14 days (finding 4)."""
    assert assess(**status("治愈出院", 6)) == (R, ("R8",))
    assert assess(**status("治愈出院居家观察", 6)) == (R, ("R8", "Y3"))
    note = next(c.note for c in DEFAULT.clauses if c.id == "R8")
    assert "Y3" in note


def test_overlap_certificate_beats_y1_only() -> None:
    cert = {"certificate_until": AS_OF + dt.timedelta(days=30)}
    assert assess(**arrived("温州", 3), **cert) == (G, ("G3",))
    # a green clause never explains a yellow result, even one that cancelled Y1 (#26)
    assert assess(**arrived("温州", 3), **cert, symptoms=("咳嗽",)) == (Y, ("Y2",))
    assert assess(**arrived("武汉", 3), **cert) == (R, ("R1", "R5"))
    assert assess(**cert, severe_contact=True) == (R, ("R6",))
    assert assess(**cert, override="中风险") == (Y, ("Y5",))
    explanation = explain(dataclasses.replace(BASE, **arrived("温州", 3), **cert), AS_OF,
                          WITH_MEDIUM)
    assert not isinstance(explanation, RowError)
    assert [c.id for c in explanation.cancelled] == ["Y1"]


def test_every_matching_clause_is_listed() -> None:
    assert assess(symptoms=("发热",), case_status="确诊") == (R, ("R2", "Y2"))


def test_area_effective_dates_use_the_arrival_date() -> None:
    assert assess(**arrived("温州", 3)) == (Y, ("Y1",))
    high = 'places = ["湖北省"]\nsource = "湖北全省"'
    text = default_rules_bytes().decode()
    assert high in text
    late = text.replace(high, high + '\nfrom = 2020-03-24\ndates_reason = "a test"', 1)
    rules = parse_rules(late.encode())
    assert assess(rules, **arrived("武汉", 3))[1] == ("R5",)  # high list starts after arrival


def test_place_names_at_every_level() -> None:
    for name in ("湖北", "湖北省", "武汉", "武汉市", "湖北省武汉市", "武汉市江岸区", "恩施州"):
        assert assess(**arrived(name, 2))[0] == R, name
    for name in ("四川省南充市顺庆区", "顺庆区", "成都", "北京市朝阳区"):
        assert assess(**arrived(name, 2)) == (G, ("G2",)), name


@pytest.mark.parametrize("changes, column, words", [
    (arrived("火星", 1), "14天内旅居地区", "无法识别"),
    (arrived("鼓楼区", 1), "14天内旅居地区", "歧义"),
    (entered("亚特兰蒂斯", 1), "14天内境外旅居国家", "无法识别"),
    ({"symptoms": ("头疼脑热",)}, "症状", "无法识别"),
])
def test_unknown_or_ambiguous_values_reject_the_row(changes: dict[str, object], column: str,
                                                     words: str) -> None:
    result = evaluate(dataclasses.replace(BASE, **changes), AS_OF, DEFAULT)
    assert isinstance(result, RowError) and result.where.column == column and words in result.zh


def test_version_is_sha256_prefix_of_the_file() -> None:
    assert DEFAULT.version == hashlib.sha256(default_rules_bytes()).digest()[:4]
    assert parse_rules(default_rules_bytes() + b"\n# a comment\n").version != DEFAULT.version


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("old, new, needle", [
    ('window_days = 14', 'window_days = 14\nsurprise = 1', "surprise = 1"),
    ('when = { symptoms = true }', 'when = { symptomz = true }', "symptomz"),
    ('beats = ["Y1"]', 'beats = ["Y9"]', 'beats = ["Y9"]'),
    ('id = "R2"\ncolour = "red"', 'id = "R2"\ncolour = "green"', 'colour = "green"'),
    ('format = "passgen-rules/1"', 'format = "x"', 'format = "x"'),
    ('places = ["湖北省"]', 'places = ["鼓楼区"]', '"鼓楼区"'),
    ('countries = ["日本", "韩国", "意大利", "伊朗"]', 'countries = ["火星"]', '"火星"'),
    ('source = "湖北全省"', 'source = "湖北全省"\nfrom = "yesterday"', 'from = "yesterday"'),
    ('source = "湖北全省"', 'source = "湖北全省"\nfrom = 2020-01-23', 'from = 2020-01-23'),
    ('when = { arrived_from = "high" }\nkind = "event"',
     'when = { arrived_from = "high" }\nkind = "later"', 'kind = "later"'),
    ('when = { severe_contact = true }\nkind = "state"', 'when = { severe_contact = true }',
     'id = "R6"'),
    ('source = "当前与观察人员同住的人员"', 'source = "当前与观察人员同住的人员"\ncolor = "x"',
     'color = "x"'),
])
def test_invalid_rules_are_refused_naming_the_line(old: str, new: str, needle: str) -> None:
    text = default_rules_bytes().decode()
    assert old in text
    edited = text.replace(old, new, 1)
    with pytest.raises(RulesError) as info:
        parse_rules(edited.encode())
    assert f"line {_line(edited, needle)}:" in info.value.en


def test_place_table_is_pinned_by_hash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from importlib import resources

    table = (resources.files("passgen.rulesets") / "places-cn.tsv").read_bytes()
    (tmp_path / "places-cn.tsv").write_bytes(table + b"999999\t\xe7\x81\xab\xe6\x98\x9f\n")
    (tmp_path / "rules.toml").write_bytes(default_rules_bytes())
    with pytest.raises(RulesError, match="sha256"):
        load_rules(tmp_path / "rules.toml")


# --- properties ---------------------------------------------------------------------------

REGIONS = ["武汉", "温州", "成都", "南充", "北京市朝阳区", "孝感"]
COUNTRIES = ["日本", "意大利", "泰国", "美国"]
STATUSES = ["正常", "确诊", "疑似", "无症状感染者集中隔离", "无症状感染者解除隔离", "密切接触者隔离",
            "治愈出院", "治愈出院居家观察"]


@st.composite
def residents(draw: st.DrawFn) -> Resident:
    regions = tuple(draw(st.lists(st.sampled_from(REGIONS), max_size=2, unique=True)))
    countries = tuple(draw(st.lists(st.sampled_from(COUNTRIES), max_size=2, unique=True)))
    case = draw(st.sampled_from(STATUSES))
    days = st.integers(0, 40)
    return dataclasses.replace(
        BASE,
        travel_regions=regions, arrival_date=ago(draw(days)) if regions else None,
        abroad_countries=countries, entry_date=ago(draw(days)) if countries else None,
        symptoms=tuple(draw(st.lists(st.sampled_from(["发热", "干咳"]), max_size=1))),
        case_status=case, status_date=ago(draw(days)) if case != "正常" else None,
        severe_contact=draw(st.booleans()), lives_with_observed=draw(st.booleans()),
        certificate_until=draw(st.one_of(st.none(), st.just(AS_OF))),
        override=draw(st.sampled_from(["", "中风险", "高风险"])),
        previous_colour=draw(st.one_of(st.none(), st.sampled_from(list(Colour)))),
        report_days=draw(st.integers(0, 30)),
    )


RISK_FACTS = [
    {"symptoms": ("发热",)}, {"severe_contact": True}, {"lives_with_observed": True},
    {"override": "高风险"}, {"case_status": "确诊", "status_date": ago(1)},
    {"travel_regions": ("武汉",), "arrival_date": ago(2)},
    {"abroad_countries": ("意大利",), "entry_date": ago(2)},
]


@given(st.text(min_size=1, max_size=4), st.sampled_from(list(Category)))
def test_no_risk_facts_and_no_history_is_green(name: str, category: Category) -> None:
    result = evaluate(dataclasses.replace(BASE, name=name, category=category), AS_OF, DEFAULT)
    assert not isinstance(result, RowError)
    assert result.colour == G and set(result.clause_ids) <= {"G1", "G4"}


@settings(max_examples=300)
@given(residents(), st.sampled_from(RISK_FACTS))
def test_adding_a_risk_fact_never_lowers_the_colour(resident: Resident,
                                                    fact: dict[str, object]) -> None:
    before = evaluate(resident, AS_OF, WITH_MEDIUM)
    after = evaluate(dataclasses.replace(resident, **fact), AS_OF, WITH_MEDIUM)
    assert not isinstance(before, RowError) and not isinstance(after, RowError)
    assert after.colour >= before.colour


@settings(max_examples=50)
@given(st.lists(residents(), min_size=2, max_size=20), st.randoms())
def test_evaluation_is_deterministic_and_order_independent(people: list[Resident],
                                                           rnd: random.Random) -> None:
    first = [evaluate(p, AS_OF, WITH_MEDIUM) for p in people]
    order = list(range(len(people)))
    rnd.shuffle(order)
    shuffled = {i: evaluate(people[i], AS_OF, WITH_MEDIUM) for i in order}
    assert [shuffled[i] for i in range(len(people))] == first
    again = parse_rules(default_rules_bytes().replace(
        b"[[abroad]]", MEDIUM_AREA.encode() + b"\n[[abroad]]", 1))
    assert [evaluate(p, AS_OF, again) for p in people] == first


@pytest.mark.parametrize("name", ["../places-cn.tsv", "/etc/passwd", "C:\\\\x.tsv", "sub/p.tsv",
                                  ".hidden.tsv", "places.txt"])
def test_a_place_table_is_a_file_beside_the_rules_not_a_path(tmp_path: Path, name: str) -> None:
    """Issue #36: a rules file's place table could be any path; its sha256 check then told
    whether any file on the machine had given contents."""
    text = default_rules_bytes().decode().replace('file = "places-cn.tsv"', f'file = "{name}"')
    (tmp_path / "rules.toml").write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as info:
        load_rules(tmp_path / "rules.toml")
    assert "不能是路径" in info.value.zh and "places.file" in info.value.en


def test_a_malformed_place_table_is_a_plain_error(tmp_path: Path) -> None:
    bad = "110000\t北京市\nnot a code\t某地\n".encode()
    (tmp_path / "mine.tsv").write_bytes(bad)
    text = default_rules_bytes().decode().replace('file = "places-cn.tsv"', 'file = "mine.tsv"')
    text = re.sub(r'sha256 = "[0-9a-f]{64}"', f'sha256 = "{hashlib.sha256(bad).hexdigest()}"',
                  text, count=1)
    (tmp_path / "rules.toml").write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as info:
        load_rules(tmp_path / "rules.toml")
    assert "格式不对" in info.value.zh and "6-digit" in info.value.en
