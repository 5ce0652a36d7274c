"""A batch killed anywhere (issue #29): `passgen cards --jobs 2` is killed at random points,
`passgen ledger recover` runs, and the cards and the ledger must still agree exactly: every
serial in a final PDF is in the ledger, every card in the ledger is in a final PDF, and no
temporary volume (which may hold valid cards) is left anywhere.

The points are drawn from a seeded generator: a fixed seed and a few kills in every run,
more with PASSGEN_KILL_RUNS=N (and another sequence with PASSGEN_KILL_SEED=S).  A kill lands
on an event the test sees (the k-th change in the output folder or line of output, k drawn),
then a drawn number of polls later: any moment must be safe, so the draw is the test.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import threading
from pathlib import Path

import pytest
from helpers import PASSGEN_SCRIPT, make_id, passgen_env, row, run_passgen, write_roster
from test_ledger import serials_printed

from passgen.jobs.ledger import Ledger

SEED = int(os.environ.get("PASSGEN_KILL_SEED", "29"))
RUNS = int(os.environ.get("PASSGEN_KILL_RUNS", "4"))
PASSPHRASE = {"PASSGEN_KEY_PASSPHRASE": "kill-loop-passphrase"}
pytestmark = pytest.mark.skipif(os.name != "posix", reason="kills a process group")


def watch(proc: subprocess.Popen[bytes], out: Path, kill_at: int, then: int,
          group: bool = True) -> int:
    """Count events (a line on stderr, a change in ``out``'s listing) until the ``kill_at``-th,
    wait ``then`` more polls, and SIGKILL the batch's whole process group, as a power cut
    would (or, ``group`` False, the batch's own process alone: its workers and report
    process must end with it); returns how many events were seen (all of them if the batch
    ended first)."""
    lines = [0]

    def read() -> None:
        assert proc.stderr is not None
        for _ in proc.stderr:
            lines[0] += 1

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen, events, last = -1, 0, (frozenset(), 0)
    while proc.poll() is None:
        now = (frozenset(os.listdir(out)) if out.exists() else frozenset(), lines[0])
        if now != last:
            events, last = events + 1, now
        if events >= kill_at:
            if then <= 0:
                if group:
                    os.killpg(proc.pid, signal.SIGKILL)
                else:
                    proc.send_signal(signal.SIGKILL)
                break
            then -= 1
        seen = events
        threading.Event().wait(0.003)  # one poll
    proc.wait()
    reader.join(timeout=30)
    return max(seen, events)


def test_a_batch_killed_at_random_points_is_always_made_whole_by_recovery(
        tmp_path: Path) -> None:
    draw = random.Random(SEED)
    ran = run_passgen(["keys", "generate", "--out", "office.pem", "--issuer", "NC-XM-01",
                       "--not-before", "2020-01-01", "--not-after", "2020-12-31"],
                      tmp_path, False, extra=PASSPHRASE)
    assert ran.status == 0, ran.err
    ledger = tmp_path / "ledger.sqlite"
    env = passgen_env(False, extra=PASSPHRASE)
    events = 0
    for run in range(RUNS + 1):  # run 0 is not killed: it counts the events of a batch
        people = [row(姓名=f"王{run}号{i}", 身份证号=make_id(dt.date(1940, 1, 1) + dt.timedelta(
            days=100 * run + i), i)) for i in range(40)]
        roster = write_roster(tmp_path / f"roster{run}.xlsx", people)
        out = tmp_path / f"out{run}"
        proc = subprocess.Popen(
            [str(PASSGEN_SCRIPT), "cards", str(roster), "--key", "office.pem", "--out",
             str(out), "--as-of", "2020-03-25", "--ledger", str(ledger), "--jobs", "2",
             "--sheets-per-volume", "1"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True)
        if run == 0:
            events = watch(proc, out, kill_at=1 << 30, then=0)
            assert proc.returncode == 0 and events > 2
            continue
        watch(proc, out, kill_at=draw.randint(1, events), then=draw.randint(0, 30),
              group=draw.random() < 0.5)
        recovered = run_passgen(["ledger", "recover", "--ledger", str(ledger)], tmp_path,
                                False, extra=PASSPHRASE)
        assert recovered.status == 0 and "Traceback" not in recovered.err, recovered.err
        check_whole(tmp_path, ledger, f"run {run}, seed {SEED}")
    final = run_passgen(["cards", str(tmp_path / "roster1.xlsx"), "--key", "office.pem",
                         "--out", str(tmp_path / "after"), "--as-of", "2020-03-25", "--ledger",
                         str(ledger)], tmp_path, False, extra=PASSPHRASE)
    assert final.status == 0, final.err  # the ledger goes on being used
    check_whole(tmp_path, ledger, "after the loop")


def check_whole(tmp_path: Path, ledger: Path, when: str) -> None:
    printed: set[bytes] = set()
    for folder in tmp_path.iterdir():
        if folder.is_dir():
            printed |= serials_printed(folder)
    with Ledger(ledger) as opened:
        recorded = {c.serial for c in opened.cards()}
        statuses = {s for (s,) in opened.db.execute("SELECT status FROM batches")}
    assert printed == recorded, (when, len(printed - recorded), len(recorded - printed))
    assert statuses <= {"complete", "abandoned"}, (when, statuses)
    left = [p for p in tmp_path.rglob("*.part")]
    assert not left, (when, left)
