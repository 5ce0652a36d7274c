"""Benchmark: `passgen cards --jobs J` as a clerk starts it, on Linux (forked workers) and
under the Windows stand-in (tests/standin: spawned workers, no fcntl, output in cp936).

    .venv/bin/python bench/platforms.py [N] [--jobs J] [--runs R]

Generates a roster of N synthetic residents (default 5,000), saves a key, then runs the
installed console script R times (default 3) each way, alternating, and prints the median
wall time of each, their ratio, and whether every run's PDFs were byte-identical.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from cards import generate, key  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PASSGEN = Path(sys.executable).with_name("passgen")


def run(folder: Path, out: str, jobs: int, standin: bool) -> tuple[float, str]:
    env = {**os.environ, "PASSGEN_KEY_PASSPHRASE": "benchmark passphrase"}
    if standin:
        env["PASSGEN_STANDIN"] = "windows"
        env["PYTHONPATH"] = str(REPO / "tests" / "standin")
    start = time.perf_counter()
    done = subprocess.run([str(PASSGEN), "cards", "roster.xlsx", "--key", "office.pem", "--out",
                           out, "--as-of", "2020-03-25", "--jobs", str(jobs), "--ledger",
                           f"{out}.sqlite"], cwd=folder, env=env, capture_output=True)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 3):
        sys.exit(done.stderr.decode("cp936" if standin else "utf-8", "replace"))
    digest = hashlib.sha256()
    for pdf in sorted((folder / out).glob("cards-*.pdf")):
        digest.update(pdf.read_bytes())
    return seconds, digest.hexdigest()


def main() -> None:
    args = sys.argv[1:]
    n = int(args[0]) if args and args[0].isdigit() else 5000
    jobs = int(args[args.index("--jobs") + 1]) if "--jobs" in args else 2
    runs = int(args[args.index("--runs") + 1]) if "--runs" in args else 3
    from passgen.passes import keys

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generate(folder / "roster.xlsx", n)
        keys.save(key(), folder / "office.pem", b"benchmark passphrase")
        times: dict[bool, list[float]] = {False: [], True: []}
        digests = set()
        for i in range(runs):
            for standin in (False, True):
                seconds, digest = run(folder, f"out-{int(standin)}-{i}", jobs, standin)
                times[standin].append(seconds)
                digests.add(digest)
        linux, windows = (statistics.median(times[s]) for s in (False, True))
        print(f"{n} residents, --jobs {jobs}, median of {runs} runs each")
        print(f"  Linux (fork):            {linux:6.2f} s  {n / linux:7.0f} rows/s")
        print(f"  Windows stand-in (spawn): {windows:6.2f} s  {n / windows:7.0f} rows/s")
        print(f"  stand-in / Linux:        {windows / linux:6.2f}×")
        print(f"  PDFs byte-identical in every run: {len(digests) == 1}")


if __name__ == "__main__":
    main()
