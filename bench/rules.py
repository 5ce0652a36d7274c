"""Benchmark: residents evaluated per second by the shared rules (a pure function).

    .venv/bin/python bench/rules.py [N]

Generates N residents (default 200,000) with a realistic mix of facts, evaluates them with
the default rules five times and prints the median rate.  Target (issue #4): ≥ 100,000/s.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import statistics
import sys
import time

from passgen.models import Category, Colour, Location, Resident
from passgen.rules import evaluate, load_rules

AS_OF = dt.date(2020, 3, 25)


def residents(n: int) -> list[Resident]:
    rng = random.Random(1)
    base = Resident(name="张三", id_number="11010519491231002X", category=Category.ELDERLY,
                    community="桂花社区", where=Location("bench.xlsx", "Sheet1", 2))
    out = []
    for i in range(n):
        changes: dict[str, object] = {"where": Location("bench.xlsx", "Sheet1", i + 2)}
        roll = rng.random()
        if roll < 0.10:
            changes.update(travel_regions=(rng.choice(["武汉", "成都", "湖北省孝感市", "北京"]),),
                           arrival_date=AS_OF - dt.timedelta(days=rng.randint(0, 30)))
        elif roll < 0.13:
            changes.update(symptoms=("发热",))
        elif roll < 0.15:
            changes.update(case_status="居家观察",
                           status_date=AS_OF - dt.timedelta(days=rng.randint(0, 30)))
        elif roll < 0.17:
            changes.update(abroad_countries=(rng.choice(["日本", "泰国"]),),
                           entry_date=AS_OF - dt.timedelta(days=rng.randint(0, 30)))
        if rng.random() < 0.05:
            changes.update(previous_colour=Colour.RED, report_days=rng.randint(0, 20))
        out.append(dataclasses.replace(base, **changes))
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    rules = load_rules()
    people = residents(n)
    rates = []
    for _ in range(5):
        start = time.perf_counter()
        for person in people:
            evaluate(person, AS_OF, rules)
        rates.append(n / (time.perf_counter() - start))
    print(f"residents: {n}")
    print(f"evaluate: median {statistics.median(rates):,.0f} residents/s "
          f"(runs: {', '.join(f'{r:,.0f}' for r in rates)})")


if __name__ == "__main__":
    main()
