"""Ctrl-C and SIGTERM in a real ``passgen cards --jobs 2`` batch (issue #17): it ends at once,
workers included, with one Chinese-first line, exit status 130, no traceback, and nothing
half-written.  Each signal is sent when the batch's own output shows it reached a point (its
lock file, its first and second volume being written), never after a guessed sleep."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import AS_OF, HEADERS, alive, children_of, fixed_key, make_id, passgen_env, row

from passgen.errors import ExitStatus
from passgen.passes import keys

POINTS = {
    "reading": lambda out: (out / ".pg-batch.lock").exists(),  # the lock: the batch began
    "first volume": lambda out: len(list(out.glob(".pg-*.part"))) >= 1,
    "second volume": lambda out: len(list(out.glob(".pg-*.part"))) >= 2,
}


def roster(path: Path, count: int) -> Path:
    import csv
    import datetime as dt

    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADERS)
        for i in range(count):
            r = row(姓名="王" + "甲乙丙丁戊己"[i % 6], 身份证号=make_id(
                dt.date(1940, 1, 1) + dt.timedelta(days=i % 9000), i // 9000))
            out.writerow([r.get(h, "") or "" for h in HEADERS])
    return path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("standin", [False, True], ids=["fork", "spawn"])
@pytest.mark.parametrize("point, sig", [("reading", signal.SIGINT),
                                        ("first volume", signal.SIGINT),
                                        ("second volume", signal.SIGINT),
                                        ("first volume", signal.SIGTERM)])
def test_an_interrupted_batch_stops_cleanly(tmp_path: Path, point: str, sig: int,
                                            standin: bool) -> None:
    """Under fork (Linux) and under the stand-in's spawn (Windows, macOS), where Ctrl-C also
    reaches worker processes still starting up (issue #39 finding 8)."""
    key = tmp_path / "office.pem"
    keys.save(fixed_key(), key, b"correct horse battery")
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "passgen", "cards", str(roster(tmp_path / "r.csv", 4000)),
         "--key", str(key), "--out", str(out), "--as-of", AS_OF.isoformat(), "--jobs", "2",
         "--sheets-per-volume", "20", "--ledger", str(tmp_path / "l.sqlite")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=passgen_env(standin, extra={"PASSGEN_KEY_PASSPHRASE": "correct horse battery"}),
        start_new_session=True,  # its own process group, as a terminal's job
        # as a terminal starts a command: Ctrl-C not ignored, even when pytest itself was
        # started in the background with it ignored (a shell's `&` does that)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    reached = POINTS[point]
    deadline = time.monotonic() + 120
    while not reached(out) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the batch ended before the point was reached"
    family = children_of(proc.pid)
    sent = time.monotonic()
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)  # Ctrl-C: the terminal signals the whole group
    else:
        proc.send_signal(sig)  # SIGTERM: to the main process, as kill(1) or a service does
    _, err = proc.communicate(timeout=60)
    stopped = time.monotonic() - sent
    text = err.decode("cp936" if standin else "utf-8", "replace")  # a Chinese Windows pipe
    assert proc.returncode == ExitStatus.INTERRUPTED, text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    lines = [line for line in text.splitlines() if "中断" in line]
    assert len(lines) == 1 and lines[0].startswith("已中断") and "interrupted" in lines[0]
    assert "没有制成任何卡片" in lines[0]
    assert stopped < 10, f"{stopped:.1f} s"  # the figure (under 2 s) is in the closing note
    deadline = time.monotonic() + 10
    while any(alive(p) for p in family) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(alive(p) for p in family)
    assert not out.exists(), sorted(p.name for p in out.iterdir())  # not even its folder (#30)
    print(f"{point} {signal.Signals(sig).name}: stopped in {stopped:.2f} s")
