"""Fuzz the verifier by hand with many more examples than CI runs.

    .venv/bin/python bench/fuzz_verify.py [EXAMPLES_PER_STRATEGY]

Runs the three hypothesis strategies of tests/check/test_verify.py (arbitrary text, arbitrary
bytes in PG1 + Base45, mutations of a valid pass) with EXAMPLES_PER_STRATEGY examples each
(default 40,000: 120,000 in all) and prints how many ran.  An exception or a forged pass
that verifies stops it with a traceback.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).parent.parent / "tests" / "check"))

from helpers import fixed_key  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from test_verify import FUZZ_STRATEGIES, fuzz_check  # noqa: E402

from passgen.passes import keys  # noqa: E402


def main() -> None:
    per = int(sys.argv[1]) if len(sys.argv) > 1 else 40_000
    trust = keys.TrustList((fixed_key().entry,))
    total = 0
    began = time.perf_counter()
    for name, strategy in FUZZ_STRATEGIES.items():
        count = 0

        def body(text: str) -> None:
            nonlocal count
            count += 1
            fuzz_check(trust, text)

        start = time.perf_counter()
        settings(max_examples=per, deadline=None, database=None,
                 suppress_health_check=list(HealthCheck))(given(strategy)(body))()
        total += count
        print(f"{name}: {count:,} examples, {time.perf_counter() - start:.1f} s, no failure")
    print(f"total: {total:,} examples in {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
