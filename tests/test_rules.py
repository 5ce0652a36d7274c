import dataclasses
import datetime as dt

import pytest
from helpers import AS_OF, make_id

from passgen.errors import RulesError
from passgen.models import Category, Colour, Location, Resident, RowError
from passgen.rules import default_rules_bytes, evaluate, load_rules, parse_rules, resolve_region

RULES = load_rules()
BASE = Resident(name="张三", id_number=make_id(dt.date(1950, 6, 15)), category=Category.ELDERLY,
                community="桂花社区", where=Location("r.xlsx", "花名册", 2))


def ago(days: int) -> dt.date:
    return AS_OF - dt.timedelta(days=days)


def assess(**changes: object) -> tuple[Colour, tuple[str, ...]]:
    result = evaluate(dataclasses.replace(BASE, **changes), AS_OF, RULES)
    assert not isinstance(result, RowError), result
    return result.colour, result.clause_ids


@pytest.mark.parametrize("changes, colour, clauses", [
    ({}, Colour.GREEN, ("G1",)),
    ({"symptoms": ("发热",)}, Colour.YELLOW, ("Y2",)),
    ({"travel_regions": ("湖北省武汉市",), "arrival_date": ago(3)}, Colour.RED, ("R1", "R5")),
    ({"travel_regions": ("武汉",), "arrival_date": ago(13)}, Colour.RED, ("R1", "R5")),
    ({"travel_regions": ("武汉",), "arrival_date": ago(14)}, Colour.GREEN, ("G1",)),
    ({"travel_regions": ("成都",), "arrival_date": ago(3)}, Colour.GREEN, ("G2",)),
    ({"case_status": "确诊"}, Colour.RED, ("R2",)),
    ({"case_status": "疑似"}, Colour.RED, ("R2",)),
    ({"case_status": "无症状感染者解除隔离", "status_date": ago(13)}, Colour.RED, ("R3",)),
    ({"case_status": "无症状感染者解除隔离", "status_date": ago(14)}, Colour.GREEN, ("G1",)),
    ({"case_status": "治愈出院", "status_date": ago(5)}, Colour.RED, ("R8",)),
    ({"case_status": "居家观察", "status_date": ago(5)}, Colour.YELLOW, ("Y3",)),
    ({"abroad_countries": ("意大利",), "entry_date": ago(5)}, Colour.RED, ("R9",)),
    ({"abroad_countries": ("泰国",), "entry_date": ago(5)}, Colour.YELLOW, ("Y4",)),
    ({"override": "高风险"}, Colour.RED, ("R10",)),
    ({"override": "中风险"}, Colour.YELLOW, ("Y5",)),
    ({"previous_colour": Colour.RED, "report_days": 14}, Colour.YELLOW, ("G1", "T2")),
    ({"previous_colour": Colour.RED, "report_days": 13}, Colour.RED, ("G1", "T2")),
    ({"previous_colour": Colour.YELLOW, "report_days": 14}, Colour.GREEN, ("G1", "T1")),
    ({"previous_colour": Colour.YELLOW, "report_days": 3}, Colour.YELLOW, ("G1", "T1")),
    ({"previous_colour": Colour.RED, "report_days": 30, "symptoms": ("咳嗽",)},
     Colour.YELLOW, ("Y2", "T2")),
])
def test_skeleton_clauses(changes: dict[str, object], colour: Colour,
                          clauses: tuple[str, ...]) -> None:
    assert assess(**changes) == (colour, clauses)


def test_every_matching_clause_is_listed() -> None:
    colour, ids = assess(symptoms=("发热",), case_status="确诊")
    assert colour == Colour.RED and ids == ("R2", "Y2")


def test_regions_resolve_at_province_and_city_level() -> None:
    for name in ("湖北", "湖北省", "武汉", "武汉市", "湖北省武汉市"):
        assert resolve_region(RULES, name) == "湖北", name
    assert resolve_region(RULES, "火星市") is None


@pytest.mark.parametrize("changes, column", [
    ({"travel_regions": ("火星",), "arrival_date": ago(1)}, "14天内旅居地区"),
    ({"abroad_countries": ("亚特兰蒂斯",), "entry_date": ago(1)}, "14天内境外旅居国家"),
    ({"symptoms": ("头疼脑热",)}, "症状"),
])
def test_unknown_values_reject_the_row(changes: dict[str, object], column: str) -> None:
    result = evaluate(dataclasses.replace(BASE, **changes), AS_OF, RULES)
    assert isinstance(result, RowError) and result.where.column == column


def test_version_is_sha256_prefix_of_the_file() -> None:
    import hashlib

    assert RULES.version == hashlib.sha256(default_rules_bytes()).digest()[:4]
    edited = default_rules_bytes() + b"\n# a comment\n"
    assert parse_rules(edited).version != RULES.version


@pytest.mark.parametrize("edit, needle", [
    (lambda t: t + '\nsurprise = 1\n', "surprise"),
    (lambda t: t.replace('when = { symptoms = true }', 'when = { symptomz = true }'), "symptomz"),
    (lambda t: t.replace('beats = ["Y1"]', 'beats = ["Y9"]'), "Y9"),
    (lambda t: t.replace('id = "R2"\ncolour = "red"', 'id = "R2"\ncolour = "green"'), "R2"),
    (lambda t: t.replace('format = "passgen-rules/1"', 'format = "x"'), "format"),
])
def test_invalid_rules_are_refused_with_line(edit, needle: str) -> None:  # type: ignore[no-untyped-def]
    text = edit(default_rules_bytes().decode())
    with pytest.raises(RulesError) as info:
        parse_rules(text.encode())
    assert needle in info.value.en or "line" in info.value.en
    assert "line" in info.value.en
