"""Benchmark: a city-sized ledger.  Records N issued cards (default 1,000,000) in batches of
10,000, then exports the revocation list after revoking 1 % of them.

    .venv/bin/python bench/ledger.py [N]

Prints the insert rate, the ledger's size on disk, the time of a look-up by serial and by
pseudonym, and the export time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import sys
import tempfile
import time
from pathlib import Path

from passgen.dates import day_start
from passgen.jobs.ledger import Filters, Ledger
from passgen.models import Assessment, Card, Category, Claims, Colour, Location, Resident
from passgen.passes import keys, revocation

AS_OF = dt.date(2020, 3, 25)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    key = keys.generate("NC-XM-01", dt.date(2020, 1, 1), dt.date(2020, 12, 31),
                        hashlib.sha256(b"bench").digest())
    folder = Path(tempfile.mkdtemp())
    path = folder / "ledger.sqlite"
    resident = Resident("张三", "11010519491231002X", Category.ELDERLY, "桂花社区",
                        Location("bench.xlsx", "Sheet1", 2))
    assessment = Assessment(Colour.GREEN, (), b"\0\1\2\3")
    claims = Claims("NC-XM-01", day_start(AS_OF) + 8 * 86400, day_start(AS_OF), b"", "张三",
                    "110105********002X", Colour.GREEN, Category.ELDERLY, b"\0\1\2\3")
    per_batch = 10_000
    start = time.perf_counter()
    with Ledger(path) as ledger:
        for b in range(0, n, per_batch):
            cards = []
            for i in range(b, min(n, b + per_batch)):
                who = dataclasses.replace(resident, id_number=f"{i:018d}",
                                          where=Location("bench.xlsx", "Sheet1", i + 2))
                cards.append(Card(who, assessment,
                                  dataclasses.replace(claims, serial=i.to_bytes(8, "big")), ""))
            ledger.begin_batch(f"batch-{b}", "NC-XM-01", key.entry.kid, cards, [], folder,
                               day_start(AS_OF))
            ledger.complete_batch(f"batch-{b}")
        inserted = time.perf_counter() - start
        size = sum(p.stat().st_size for p in folder.glob("ledger.sqlite*"))
        t = time.perf_counter()
        for i in range(0, n, max(1, n // 1000)):
            ledger.cards(Filters(serial=i.to_bytes(8, "big")))
        by_serial = (time.perf_counter() - t) / 1000 * 1e6
        t = time.perf_counter()
        for i in range(0, n, max(1, n // 1000)):
            ledger.cards(Filters(pseudonym=ledger.pseudonym(f"{i:018d}")))
        by_pseudonym = (time.perf_counter() - t) / 1000 * 1e6
        revoke = [i.to_bytes(8, "big") for i in range(0, n, 100)]
        ledger.revoke(revoke, "bench", day_start(AS_OF))
        t = time.perf_counter()
        serials = ledger.revoked_serials("NC-XM-01", day_start(AS_OF) + 3600)
        text = revocation.build(key, serials, day_start(AS_OF) + 3600)
        exported = time.perf_counter() - t
    print(f"cards: {n:,} in {inserted:.1f} s ({n / inserted:,.0f}/s)")
    print(f"ledger size: {size / 1e6:.0f} MB ({size / n:.0f} bytes per card)")
    print(f"look-up by serial: {by_serial:.0f} µs, by pseudonym: {by_pseudonym:.0f} µs")
    print(f"revocation list: {len(serials):,} serials, {len(text) / 1e6:.1f} MB, "
          f"exported in {exported:.2f} s")


if __name__ == "__main__":
    main()
