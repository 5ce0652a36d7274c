"""Benchmark: how quickly passgen starts (issue #30: `passgen --help` <= 0.25 s, `passgen
verify -` of one payload <= 0.35 s on the development machine).

    .venv/bin/python bench/startup.py [RUNS]

Runs the installed console script RUNS times (default 9) for each, alternating, and prints
the median and the fastest wall time, beside `python -c "import click"` for scale.
"""

from __future__ import annotations

import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PASSGEN = str(Path(sys.executable).with_name("passgen"))


def timed(args: list[str], stdin: str = "") -> float:
    start = time.perf_counter()
    subprocess.run(args, input=stdin, text=True, capture_output=True, check=False)
    return time.perf_counter() - start


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    from passgen.dates import SHANGHAI
    from passgen.models import Assessment, Category, Colour, Location, Resident
    from passgen.passes import keys
    from passgen.passes.issue import issue

    key = keys.generate("NC-XM-01", dt.date(2020, 1, 1), dt.date(2020, 12, 31), bytes(32))
    resident = Resident(name="张三", id_number="511302195006151233", category=Category.ELDERLY,
                        community="桂花社区", where=Location("r.xlsx", "花名册", 2))
    payload = issue(resident, Assessment(Colour.GREEN, (), b"1234"), key,
                    dt.datetime(2020, 3, 25, tzinfo=SHANGHAI).date()).payload
    with tempfile.TemporaryDirectory() as tmp:
        trust = Path(tmp) / "trust.json"
        keys.write_trust([key.entry], trust)
        cases = {
            "python -c 'import click'": ([sys.executable, "-c", "import click"], ""),
            "passgen --help": ([PASSGEN, "--help"], ""),
            "passgen verify - (1 payload)": ([PASSGEN, "verify", "-", "--trust", str(trust),
                                              "--at", "2020-03-26"], payload + "\n"),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(runs):
            for name, (args, stdin) in cases.items():
                times[name].append(timed(args, stdin))
    for name, seen in times.items():
        print(f"{name:<32} median {statistics.median(seen):.3f} s   fastest {min(seen):.3f} s")


if __name__ == "__main__":
    main()
