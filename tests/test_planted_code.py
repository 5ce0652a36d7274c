"""Issue #36 finding 1: code in the clerk's working folder never runs.  A sub-community's zip
of rosters may carry a ``passgen.py``, ``multiprocessing.py``, ``openpyxl.py`` or
``sitecustomize.py``: every process passgen starts (the sheet reader for a big workbook, the
QR workers, the report process) runs without the working folder on its import path, under
fork (Linux) and under spawn (the Windows stand-in)."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import pytest
from helpers import make_id, row, run_passgen, write_roster

pytestmark = pytest.mark.e2e
PASSPHRASE = {"PASSGEN_KEY_PASSPHRASE": "planted-code-test"}
PLANTED = ("passgen.py", "multiprocessing.py", "openpyxl.py", "sitecustomize.py",
           "python_calamine.py", "reportlab.py")


def plant(folder: Path, marks: Path) -> None:
    """Each planted module leaves a mark when imported (and steals nothing)."""
    for name in PLANTED:
        (folder / name).write_text(
            f"open({str(marks / (name + '.ran'))!r}, 'w').close()\n", encoding="utf-8")


def big_roster(path: Path) -> Path:
    """A workbook over 1 MB (read by the child process), 备注 full of incompressible text."""
    rows = [row(姓名=f"居民{n}", 身份证号=make_id(dt.date(1950, 1, 1) + dt.timedelta(days=n), n),
                备注=secrets.token_urlsafe(3000)) for n in range(400)]
    from helpers import HEADERS

    write_roster(path, rows, [*HEADERS, "备注"])
    assert path.stat().st_size >= 1 << 20
    return path


@pytest.mark.parametrize("standin", [False, True], ids=["fork", "spawn"])
def test_no_planted_module_runs_in_any_process(tmp_path: Path, standin: bool) -> None:
    work, marks = tmp_path / "rosters", tmp_path / "marks"
    work.mkdir()
    marks.mkdir()
    big_roster(work / "花名册.xlsx")
    plant(work, marks)

    def ok(args: list[str], *statuses: int) -> None:
        ran = run_passgen(args, work, standin, extra=PASSPHRASE)
        assert ran.status in statuses, f"{args}: {ran.status}\n{ran.err[-2000:]}"

    ok(["keys", "generate", "--out", "office.pem", "--issuer", "NC-XM-01",
        "--not-before", "2020-01-01", "--not-after", "2020-12-31"], 0)
    ok(["keys", "trust", "office.pem", "--out", "trust.json"], 0)
    ok(["roster", "check", "花名册.xlsx", "--as-of", "2020-03-25", "--out", "checked"], 0, 3)
    ok(["cards", "花名册.xlsx", "--key", "office.pem", "--out", "cards", "--as-of",
        "2020-03-25", "--jobs", "2", "--ledger", "ledger.sqlite"], 0, 3)
    ok(["cards", "花名册.xlsx", "--key", "office.pem", "--out", "cards1", "--as-of",
        "2020-03-25", "--jobs", "1", "--ledger", "ledger.sqlite"], 0, 3)
    assert sorted((work / "cards").glob("cards-*.pdf"))
    ok(["verify", *map(str, sorted((work / "cards").glob("cards-*.pdf"))[:1]), "--trust",
        "trust.json", "--at", "2020-03-25"], 0, 1)
    assert sorted(p.name for p in marks.iterdir()) == []
