"""A city's revocation lists, built the way offices build them (issue #37): each of 500 offices
re-issues its 250 carded residents every week for 8 weeks through a real ledger
(``Ledger.begin_batch``, which decides which earlier card a re-issue revokes), residents'
colours change week to week, a few cards are lost and revoked by hand; each office's list is
then its ledger's revoked, unexpired cards, signed as ``revocations export`` signs it.

    .venv/bin/python bench/city.py          # the list sizes alone, under both rules

The weekly model (assumptions, not measurements: the seed article gives no rates): a green
resident turns yellow with p = 1 % and red with p = 0.5 %; yellow turns green with p = 50 %
(converted after 14 days) or red with p = 5 %; red turns yellow with p = 30 %; a card is lost
with p = 0.2 %.  A green card is valid 14 days, yellow and red 7.  Under the rule before #37
every re-issue revoked each earlier unexpired card of the resident: that count is printed
beside the lists' for comparison.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from passgen.dates import day_start
from passgen.jobs.ledger import Ledger
from passgen.jobs.ledger_records import CardRecord
from passgen.models import Category, Claims, Colour, Location
from passgen.passes import keys, revocation

OFFICES, RESIDENTS, WEEKS = 500, 250, 8
FIRST = dt.date(2020, 2, 5)  # the 8th batch on 2020-03-25, the demo's day
VALID_DAYS = {Colour.GREEN: 14, Colour.YELLOW: 7, Colour.RED: 7}
NEXT = {  # this week's colour → (next week's colour, probability), the rest stays
    Colour.GREEN: ((Colour.YELLOW, 0.01), (Colour.RED, 0.005)),
    Colour.YELLOW: ((Colour.GREEN, 0.5), (Colour.RED, 0.05)),
    Colour.RED: ((Colour.YELLOW, 0.3),),
}
LOST = 0.002


def _next(colour: Colour, draw: random.Random) -> Colour:
    roll = draw.random()
    for after, p in NEXT[colour]:
        if roll < p:
            return after
        roll -= p
    return colour


def office_list(key: keys.SigningKey, folder: Path, draw: random.Random) -> tuple[str, int]:
    """One office's 8 weeks through its own ledger: its signed list (JSON text) at the end,
    and how many serials the rule before #37 would have listed."""
    issuer, kid = key.entry.issuer, key.entry.kid
    colours = [Colour.GREEN] * RESIDENTS
    cards: list[tuple[int, int, int]] = []  # (resident, expires, revoked by the old rule?)
    with Ledger(folder / f"{issuer}.sqlite", key) as ledger:
        for week in range(WEEKS):
            day = FIRST + dt.timedelta(weeks=week)
            now = day_start(day) + 9 * 3600
            records = []
            for who in range(RESIDENTS):
                colours[who] = _next(colours[who], draw) if week else colours[who]
                c = colours[who]
                claims = Claims(issuer, day_start(day + dt.timedelta(days=VALID_DAYS[c])),
                                day_start(day), draw.randbytes(8), "张三",
                                "110105********002X", c, Category.ELDERLY, b"\0\1\2\3")
                records.append(CardRecord(claims, f"{who:018d}", "桂花社区", "",
                                          Location("r.xlsx", "花名册", who + 2)))
                cards.append((who, claims.expires, 0))
            ledger.begin_batch(f"w{week}", issuer, kid, records, [], folder, now)
            ledger.complete_batch(f"w{week}")
            lost = [r.claims.serial for r in records if draw.random() < LOST]
            ledger.revoke(lost, "卡片遗失", now + 3600)
        end = day_start(FIRST + dt.timedelta(weeks=WEEKS - 1)) + 12 * 3600
        serials = ledger.revoked_serials(issuer, end)
    latest = {who: expires for who, expires, _ in cards[-RESIDENTS:]}
    old_rule = sum(1 for who, expires, _ in cards[:-RESIDENTS] if expires > end
                   and latest[who] != expires) + 0  # every earlier unexpired card
    return revocation.build(key, serials, end), old_rule


def city_lists(folder: Path, offices: int = OFFICES,
               extra: list[keys.TrustEntry] | None = None) -> tuple[Path, list[Path], dict[str, float]]:
    """The trust list (``extra`` first, then each office's key) and each office's signed list;
    with figures: serials listed now and under the old rule, and the lists' sizes."""
    import json

    draw = random.Random(37)
    entries = list(extra or [])
    paths, counts, old_counts = [], [], []
    for n in range(offices):
        key = keys.generate(f"CITY-{n:03d}", dt.date(2020, 1, 1), dt.date(2020, 12, 31),
                            draw.randbytes(32))
        entries.append(key.entry)
        text, old_rule = office_list(key, folder, draw)
        path = folder / f"revoked-{n:03d}.json"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
        counts.append(json.loads(text)["count"])
        old_counts.append(old_rule)
    trust = folder / "city-trust.json"
    trust.write_text(json.dumps({"format": keys.TRUST_FORMAT,
                                 "keys": [e.to_json() for e in entries]}), encoding="utf-8")
    figures = {"serials": sum(counts), "old_rule": sum(old_counts),
               "median": statistics.median(counts), "max": max(counts),
               "kb": sum(p.stat().st_size for p in paths) / 1024}
    return trust, paths, figures


def describe(figures: dict[str, float], offices: int = OFFICES) -> str:
    return (f"{offices} offices × {RESIDENTS} residents × {WEEKS} weekly batches: "
            f"{figures['serials']:,.0f} serials listed (median {figures['median']:g}, max "
            f"{figures['max']:g} an office; {figures['kb']:,.0f} KB of list files); the rule "
            f"before #37 would list {figures['old_rule']:,.0f}")


def main() -> int:
    offices = int(sys.argv[1]) if len(sys.argv) > 1 else OFFICES
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        _, _, figures = city_lists(Path(tmp), offices)
        print(describe(figures, offices))
        print(f"built in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
