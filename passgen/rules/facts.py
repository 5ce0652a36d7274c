"""What the rules see of a resident on a day: places, countries and symptoms resolved, and
the clauses whose conditions hold (before any history is counted)."""

from __future__ import annotations

import datetime as dt

from passgen.models import Location, Resident, RowError
from passgen.rules.conditions import NO_FACTS, Facts, within
from passgen.rules.load import Clause, Rules
from passgen.rules.places import parent_codes


def row_problem(resident: Resident, column: str, value: str, zh: str, en: str) -> RowError:
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
            return row_problem(resident, "14天内旅居地区", region,
                            f"地区名称有歧义，可能是：{where}。请写明省市，如“江苏省南京市鼓楼区”",
                            "ambiguous region name: write the province and city too")
        if not found.code:
            return row_problem(resident, "14天内旅居地区", region, "无法识别的地区名称",
                            "unknown region name")
        codes.append(found.code)
    for country in resident.abroad_countries:
        if country not in rules.countries:
            return row_problem(resident, "14天内境外旅居国家", country, "无法识别的国家名称",
                            "unknown country name")
    for symptom in resident.symptoms:
        if symptom not in rules.symptoms:
            return row_problem(resident, "症状", symptom,
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


def fired_on(resident: Resident, day: dt.date, rules: Rules
           ) -> tuple[list[Clause], tuple[Clause, ...], Facts] | RowError:
    """The clauses whose conditions hold for ``resident`` on ``day``, those cancelled."""
    facts = facts_of(resident, day, rules)
    if isinstance(facts, RowError):
        return facts
    travelled = facts.arrived or facts.abroad or resident.arrival_date or resident.entry_date
    fired = [c for c in (rules.triggers if travelled else rules.home_triggers)
             if c.test(resident, day, facts)]
    cancelled: tuple[Clause, ...] = ()
    if any(c.beats for c in fired):
        beaten = {ref for c in fired for ref in c.beats}
        cancelled = tuple(c for c in fired if c.id in beaten)
        fired = [c for c in fired if c.id not in beaten]
    return fired, cancelled, facts
