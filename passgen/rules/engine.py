"""The rules engine: a resident and the as-of date → colour, every reason, the conversion.

Pure functions of a :class:`Resident`, a date and validated :class:`Rules`.  A region, country
or symptom the rules do not know makes a RowError: never a guess.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from passgen.models import Assessment, Colour, Location, Resident, RowError
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
    if arrival is not None and within(as_of, arrival, rules.window_days):
        for code in codes:
            chain = set(parent_codes(code))
            levels = {a.level for a in rules.areas if a.active(arrival) and chain & set(a.codes)}
            arrived |= levels
            if not levels & {"high", "medium"}:
                arrived.add("low")
    abroad: set[str] = set()
    entry = resident.entry_date
    if entry is not None and within(as_of, entry, rules.window_days):
        for country in resident.abroad_countries:
            severe = any(a.active(entry) and country in a.countries for a in rules.abroad)
            abroad.add("severe" if severe else "other")
    return Facts(frozenset(arrived), frozenset(abroad), tuple(codes))


@dataclass(frozen=True)
class Explanation:
    """Everything behind one colour: facts, clauses that fired, cancelled ones, conversion."""

    facts: Facts
    fired: tuple[Clause, ...]
    cancelled: tuple[Clause, ...]
    before_conversion: Colour
    assessment: Assessment


def _run(resident: Resident, as_of: dt.date, rules: Rules) -> Explanation | RowError:
    facts = facts_of(resident, as_of, rules)
    if isinstance(facts, RowError):
        return facts
    fired = [c for c in rules.triggers if c.test(resident, as_of, facts)]
    cancelled: tuple[Clause, ...] = ()
    if any(c.beats for c in fired):
        beaten = {ref for c in fired for ref in c.beats}
        cancelled = tuple(c for c in fired if c.id in beaten)
        fired = [c for c in fired if c.id not in beaten]
    current = max([c.colour for c in fired], default=Colour.GREEN)
    if current != Colour.GREEN:
        # green clauses explain a green result only; one that cancelled another stays listed
        fired = [c for c in fired if c.colour != Colour.GREEN or c.beats]
    elif not fired:
        fired = list(rules.fallbacks)
    colour, conversion = convert(current, resident, rules)
    assessment = Assessment(colour, tuple([c.match for c in fired]), rules.version, conversion)
    return Explanation(facts, tuple(fired), cancelled, current, assessment)


def explain(resident: Resident, as_of: dt.date, rules: Rules) -> Explanation | RowError:
    """Evaluate with every reason kept: facts, clauses fired and cancelled, conversion."""
    return _run(resident, as_of, rules)


def evaluate(resident: Resident, as_of: dt.date, rules: Rules) -> Assessment | RowError:
    """The colour of ``resident`` on ``as_of`` with every clause that fired.

    A region, country or symptom the rules do not know makes a RowError: never a guess.
    """
    result = _run(resident, as_of, rules)
    return result if isinstance(result, RowError) else result.assessment


def convert(current: Colour, resident: Resident, rules: Rules) -> tuple[Colour, str]:
    """T1/T2: at most one step better than the previous card per window_days consecutive
    compliant report days; a current trigger always applies (the result is never below it)."""
    previous = resident.previous_colour
    if previous is None or previous == Colour.GREEN or current >= previous:
        return current, ""
    step = 1 if resident.report_days >= rules.window_days else 0
    conversion = "T2" if previous == Colour.RED else "T1"
    return max(current, Colour(previous - step)), conversion
