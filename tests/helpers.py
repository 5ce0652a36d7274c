"""Shared test helpers: fixed keys, roster files written by code, a default resident row."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import sys
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from passgen.intake.columns import COLUMNS
from passgen.passes import keys

AS_OF = dt.date(2020, 3, 25)
TESTS = Path(__file__).parent  # the tests folder (helpers, vectors)
REPO = TESTS.parent  # the repository (docs, templates)
HEADERS = [c.headers[0] for c in COLUMNS]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(born: dt.date, seq: int = 123, region: str = "511302") -> str:
    """An 18-digit ID number with a correct check digit (computed independently here)."""
    first17 = f"{region}{born:%Y%m%d}{seq % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def fixed_key(label: str = "office-a", issuer: str = "NC-TEST-01",
             not_before: dt.date = dt.date(2020, 1, 1),
             not_after: dt.date = dt.date(2020, 12, 31)) -> keys.SigningKey:
    seed = hashlib.sha256(f"passgen test key {label}".encode()).digest()
    return keys.generate(issuer, not_before, not_after, seed)


def row(**fields: Any) -> dict[str, Any]:
    """An ordinary green resident; keyword arguments (by header) override cells."""
    base: dict[str, Any] = {
        "姓名": "张三", "身份证号": make_id(dt.date(1950, 6, 15)), "社区": "桂花社区",
        "人员状态": "正常", "14天内接触疫情较重地区人员": "否", "与观察人员同住": "否",
    }
    base.update(fields)
    return base


def write_roster(path: Path, rows: list[dict[str, Any]], headers: list[str] | None = None,
                 sheet: str = "花名册") -> Path:
    headers = HEADERS if headers is None else headers
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    ws.append(headers)
    for r in rows:
        if r is None:
            ws.append([])
            continue
        ws.append([r.get(h) for h in headers])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # a clerk's text that looks like a formula
    book.save(path)
    return path


class Collected:
    """A batch result together with every outcome it streamed past (tests want them all)."""

    def __init__(self, result: Any, outcomes: list[Any]) -> None:
        self.result = result
        self.outcomes = outcomes

    def __getattr__(self, name: str) -> Any:
        return getattr(self.result, name)


def run_collecting(*args: Any, **kwargs: Any) -> Collected:
    """``run_cards`` keeping every row's outcome through its ``on_outcome`` hook."""
    from passgen.jobs.cards import run_cards

    outcomes: list[Any] = []
    return Collected(run_cards(*args, on_outcome=outcomes.append, **kwargs), outcomes)


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def children_of(pid: int) -> list[int]:
    """The child processes of ``pid``, from /proc."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


# -- passgen as a clerk runs it: the console script, in a process of its own ----------------

STANDIN = TESTS / "standin"  # the Windows stand-in (tests/standin/sitecustomize.py)
PASSGEN_SCRIPT = Path(sys.executable).with_name("passgen")  # the installed console script


def in_standin() -> bool:
    """Whether this test process itself runs under the Windows stand-in (``make
    test-standin`` runs the whole suite so): no fcntl, no fork."""
    import os

    return os.environ.get("PASSGEN_STANDIN") == "windows" and "fcntl" in sys.modules \
        and sys.modules["fcntl"] is None


def needs_posix(why: str) -> Any:
    """Skip a test under the stand-in, saying why it cannot run on Windows."""
    import pytest

    return pytest.mark.skipif(in_standin(), reason=f"not on Windows (stand-in): {why}")


PTY = "a pseudo-terminal (pexpect needs fcntl); Windows consoles are tested apart"


def pexpect_or_none() -> Any:
    """pexpect, or None under the stand-in (no fcntl, so no pseudo-terminal): the tests
    that need it are skipped there (``needs_posix(PTY)``)."""
    try:
        import pexpect
    except ImportError:
        return None
    return pexpect


def standin_wanted() -> bool:
    """PASSGEN_STANDIN=windows runs every end-to-end CLI test under the Windows stand-in."""
    import os

    return os.environ.get("PASSGEN_STANDIN") == "windows"


def passgen_env(standin: bool | None = None, held: Path | None = None,
                extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a passgen process: this one's, under the stand-in if asked, or
    with ``standin`` None if the switch says so (``held``: the stand-in's list of files
    held open by another program)."""
    import os

    if standin is None:
        standin = standin_wanted()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PASSGEN_STANDIN", "PASSGEN_STANDIN_HELD", "PYTHONIOENCODING")}
    if standin:
        env["PASSGEN_STANDIN"] = "windows"
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(STANDIN), env.get("PYTHONPATH", "")) if p)
        if held is not None:
            env["PASSGEN_STANDIN_HELD"] = str(held)
    env.update(extra or {})
    return env


@dataclasses.dataclass(frozen=True)
class Ran:
    """A finished passgen process, its output decoded as it was encoded."""

    status: int
    out: str
    err: str


def run_passgen(args: list[str], cwd: Path, standin: bool | None, held: Path | None = None,
                stdin: bytes | None = None, extra: dict[str, str] | None = None) -> Ran:
    """Run the installed console script with ``args``; under the stand-in its output is
    code page 936 (what a Chinese Windows writes into a pipe), else UTF-8."""
    import subprocess

    if standin is None:
        standin = standin_wanted()
    done = subprocess.run([str(PASSGEN_SCRIPT), *args], cwd=cwd, capture_output=True,
                          input=stdin if stdin is not None else b"", timeout=600,
                          env=passgen_env(standin, held, extra))
    encoding = "cp936" if standin or (extra or {}).get("PYTHONIOENCODING") == "cp936" \
        else "utf-8"
    return Ran(done.returncode, done.stdout.decode(encoding), done.stderr.decode(encoding))


class Office:
    """One office's ledger and key; each batch is one roster row, as a clerk would type it
    (``cells`` by header, over an ordinary green resident), through ``cards`` or ``roster
    check`` with the office's real ledger."""

    def __init__(self, folder: Path, rules: Any = None) -> None:
        from passgen.rules import load_rules

        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.key = fixed_key()
        self.ledger = folder / "ledger.sqlite"
        self.rules = load_rules() if rules is None else rules
        self.count = 0

    def _roster(self, cells: dict[str, Any]) -> Path:
        self.count += 1
        return write_roster(self.folder / f"r{self.count}.xlsx", [row(**cells)])

    def batch(self, on: dt.date, **cells: Any) -> Any:
        """The row's outcome (a ``RowOutcome``) in a ``cards`` batch dated ``on``."""
        from passgen.jobs.cards import PrintOptions, run_cards
        from passgen.printing.layout import load_template

        outcomes: list[Any] = []
        path = self._roster(cells)
        run_cards([path], self.key, self.folder / f"out{self.count}", self.rules,
                  PrintOptions(load_template()), on, ledger=self.ledger,
                  on_outcome=outcomes.append)
        [outcome] = outcomes
        return outcome

    def colour(self, on: dt.date, **cells: Any) -> Any:
        outcome = self.batch(on, **cells)
        assert outcome.card is not None, outcome.error and outcome.error.message
        return outcome.card.claims.colour

    def check(self, on: dt.date, **cells: Any) -> Any:
        """The row's outcome in ``roster check`` dated ``on``, with the ledger and key."""
        from passgen.jobs.cards import check_rosters

        outcomes: list[Any] = []
        check_rosters([self._roster(cells)], self.folder / f"check{self.count}", self.rules, on,
                      ledger=self.ledger, key=self.key, on_outcome=outcomes.append)
        [outcome] = outcomes
        return outcome
