"""Replay every attack of issues #20, #29, #36 and #37 against passgen as it is now, as an attacker or a careless
operator would: mostly through the command line, each in a process of its own.

    .venv/bin/python bench/attacks.py [NAME ...]

Prints, per attack, what passgen did, the peak memory of passgen's processes (the largest
one) and the seconds passgen took (not the attack's own set-up); an attack whose defence
failed, that used more than 500 MB or 30 s, or that made passgen print a traceback is
marked FAIL.  Run by hand; the
figures go in the closing note and docs/security.md.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import hmac
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from synthetic import make_id

from passgen.intake.columns import COLUMNS

ATTACKS: dict[str, Callable[[Path], str]] = {}
PASSPHRASE = "correct horse battery staple"
ENV = {**os.environ, "PASSGEN_KEY_PASSPHRASE": PASSPHRASE, "PYTHONIOENCODING": "utf-8"}
HEADERS = [c.headers[0] for c in COLUMNS]
AS_OF = "2020-03-25"


def attack(name: str) -> Callable[[Callable[[Path], str]], Callable[[Path], str]]:
    def register(fn: Callable[[Path], str]) -> Callable[[Path], str]:
        ATTACKS[name] = fn
        return fn
    return register


SPENT = [0.0]  # seconds passgen itself took (the attacks' own set-up is not counted)
PEAK = [0]  # KB: the largest passgen process (with the processes it waited for)


def reap(proc: subprocess.Popen[bytes]) -> int:
    """Wait for a passgen process and keep its peak memory (wait4 gives it per process,
    so the attacks' own set-up processes are not counted)."""
    _, status, usage = os.wait4(proc.pid, 0)
    PEAK[0] = max(PEAK[0], usage.ru_maxrss)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode


@contextlib.contextmanager
def timed() -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        SPENT[0] += time.perf_counter() - started


class Refused(AssertionError):
    """The defence did not hold."""


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise Refused(what)


def passgen(folder: Path, *args: str, stdin: bytes | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    with timed(), tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "passgen", *args], cwd=folder,
                                stdin=subprocess.PIPE, stdout=out, stderr=err,
                                env={**ENV, **(env or {}),
                                     "XDG_STATE_HOME": str(folder / "state"),
                                     "XDG_DATA_HOME": str(folder / "data")})
        assert proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.write(stdin or b"")
        proc.stdin.close()
        code = reap(proc)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(proc.args, code, out.read(), err.read())
    text = done.stdout + done.stderr
    expect(b"Traceback" not in text, f"a traceback: {text.decode(errors='replace')[-400:]}")
    return done


def said(done: subprocess.CompletedProcess[bytes]) -> str:
    return (done.stdout + done.stderr).decode("utf-8", "replace")


def first_line(done: subprocess.CompletedProcess[bytes], needle: str) -> str:
    for line in said(done).splitlines():
        if needle in line:
            return line.strip()[:110]
    raise Refused(f"no line with {needle!r} in: {said(done)[-300:]}")


def office(folder: Path, issuer: str = "NC-XM-01") -> tuple[Path, Path]:
    key = folder / "office.pem"
    if not key.exists():
        passgen(folder, "keys", "generate", "--out", str(key), "--issuer", issuer,
                "--not-before", "2020-01-01", "--not-after", "2020-12-31")
        passgen(folder, "keys", "trust", str(key), "--out", str(folder / "trust.json"))
    return key, folder / "trust.json"


def issued(folder: Path) -> Path:
    """A ledger with three cards in it (what an office has before it revokes)."""
    key, _ = office(folder)
    roster = write_csv(folder / "issued.csv", [roster_row(i) for i in range(3)])
    done = passgen(folder, "cards", str(roster), "--key", str(key), "--out", "issued",
                   "--as-of", AS_OF, "--ledger", "l.sqlite")
    expect(done.returncode == 0, said(done))
    return folder / "l.sqlite"


def roster_row(i: int, **fields: str) -> dict[str, str]:
    base = {"姓名": "王" + "秀英建国明华"[i % 6] + "甲乙丙丁"[i // 6 % 4], "身份证号": make_id(i),
            "社区": "桂花社区", "人员状态": "正常", "14天内接触疫情较重地区人员": "否",
            "与观察人员同住": "否"}
    return {**base, **fields}


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADERS)
        for r in rows:
            out.writerow([r.get(h, "") for h in HEADERS])
    return path


def write_xlsx(path: Path, rows: list[dict[str, str]]) -> Path:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append(HEADERS)
    for r in rows:
        sheet.append([r.get(h) for h in HEADERS])
    book.save(path)
    return path


# --- high ---------------------------------------------------------------------------------

@attack("1 gate: a byte that is not UTF-8")
def not_utf8(folder: Path) -> str:
    vector = json.loads((Path(__file__).parents[1] / "tests/vectors/01-valid-green.json")
                        .read_text(encoding="utf-8"))
    (folder / "t.json").write_text(json.dumps(vector["trust"]))
    done = passgen(folder, "checkpoint", "--trust", "t.json", "--at", vector["at"],
                   stdin=b"PG1:\xff\xfe\n" + vector["text"].encode() + b"\n",
                   env={"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8:strict"})
    summary = first_line(done, "共扫描")
    expect("2" in summary and "malformed 1" in summary and "valid 1" in summary, summary)
    return f"malformed, then the next scan read: {summary}"


@attack("2 ledger pseudonyms reversed from the ledger file")
def pseudonyms(folder: Path) -> str:
    done = passgen(folder, "demo", "--out", "demo")
    expect(done.returncode == 0, said(done))
    ledger = folder / "demo" / "ledger.sqlite"
    db = sqlite3.connect(ledger)
    stored = [bytes(v) for (v,) in db.execute("SELECT value FROM meta")]
    pseudonyms = {bytes(p) for (p,) in db.execute("SELECT pseudonym FROM cards")}
    from passgen.intake.roster import RowContext, read_rosters
    from passgen.models import Resident
    ids = [r.id_number for r in read_rosters(sorted((folder / "demo" / "samples").glob("*.xlsx")),
                                            RowContext(dt.date(2020, 3, 25)))
           if isinstance(r, Resident)]
    # the attacker knows every real ID (the best case for them) and tries every stored value
    # as the HMAC key, as the old layout allowed
    found = {i for i in ids for key in stored
             if hmac.new(key, i.encode(), hashlib.sha256).digest() in pseudonyms}
    mode = oct(ledger.stat().st_mode & 0o777)
    expect(not found and mode == "0o600", f"{len(found)} found, mode {mode}")
    return (f"0 of {len(pseudonyms)} ID numbers recovered with every value in the file "
            f"tried as the secret; ledger mode {mode}")


@attack("3 two batches into one --out")
def two_batches(folder: Path) -> str:
    key, _ = office(folder)
    big = write_csv(folder / "a.csv", [roster_row(i) for i in range(4000)])
    small = write_csv(folder / "b.csv", [roster_row(i) for i in range(100000, 100100)])
    args = ["--key", str(key), "--out", "out", "--as-of", AS_OF, "--ledger", "l.sqlite"]
    started = time.perf_counter()
    first = subprocess.Popen([sys.executable, "-m", "passgen", "cards", str(big), *args],
                             cwd=folder, env={**ENV, "XDG_STATE_HOME": str(folder)},
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lock = folder / "out" / ".pg-batch.lock"
    deadline = time.monotonic() + 60
    while not lock.exists() and time.monotonic() < deadline:  # the event: A holds the folder
        time.sleep(0.01)
    second = passgen(folder, "cards", str(small), *args)
    assert first.stderr is not None
    err = first.stderr.read()
    reap(first)
    SPENT[0] += time.perf_counter() - started  # the second ran meanwhile: not counted twice
    expect(first.returncode == 0, err.decode())
    expect(second.returncode == 2 and "正被另一个批次使用" in said(second), said(second))
    db = sqlite3.connect(folder / "l.sqlite")
    cards = db.execute("SELECT COUNT(*) FROM cards").fetchone()[0]
    pdfs = sorted(p.name for p in (folder / "out").glob("cards-*.pdf"))
    expect(cards == 4000 and db.execute("PRAGMA integrity_check").fetchone()[0] == "ok",
           f"{cards} cards in the ledger")
    return (f"second refused ({first_line(second, '错误')[:60]}…); first: {cards} cards, "
            f"{len(pdfs)} PDF(s) intact")


@attack("4 a stolen key mints a pass to 2099")
def stolen_key(folder: Path) -> str:
    from passgen.check.verify import verify
    from passgen.dates import SHANGHAI, day_start
    from passgen.models import Category, Claims, Colour
    from passgen.passes import keys, pg1

    key = keys.generate("NC-XM-01", dt.date(2020, 1, 1), dt.date(2020, 12, 31), bytes(32))
    claims = Claims("NC-XM-01", day_start(dt.date(2099, 1, 1)), day_start(dt.date(2020, 12, 31)),
                    bytes(8), "张三", "511302********1234", Colour.GREEN, Category.ELDERLY,
                    bytes(4))
    text = pg1.sign(claims, key.private_key, key.entry.kid)
    with timed():
        result = verify(text, keys.TrustList((key.entry,)),
                        dt.datetime(2030, 6, 1, 12, tzinfo=SHANGHAI))
    expect(result.status == "unknown-key", result.status)
    return f"{result.status}: {result.reason}"


def bomb_workbook(folder: Path, gib: float = 1.0) -> Path:
    """A real roster whose shared strings part unpacks to ``gib`` GiB (about 1 MB packed)."""
    plain = write_xlsx(folder / "plain.xlsx", [roster_row(1)])
    path = folder / "bomb.xlsx"
    with zipfile.ZipFile(plain) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            if item.filename != "xl/sharedStrings.xml":
                new.writestr(item.filename, old.read(item))
        with new.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                       b'main" count="1" uniqueCount="1"><si><t>')
            block = b"A" * (1 << 20)
            for _ in range(int(gib * 1024)):
                part.write(block)
            part.write(b"</t></si></sst>")
    return path


@attack("5a a 1 MB workbook with a 1 GiB shared string: roster check")
def bomb_check(folder: Path) -> str:
    path = bomb_workbook(folder)
    done = passgen(folder, "roster", "check", str(path), "--out", "out")
    expect(done.returncode == 2, said(done))
    return f"refused ({path.stat().st_size >> 10} KB file): {first_line(done, '解压后')}"


@attack("5b a 1 MB workbook with a 1 GiB shared string: cards")
def bomb_cards(folder: Path) -> str:
    key, _ = office(folder)
    path = bomb_workbook(folder)
    done = passgen(folder, "cards", str(path), "--key", str(key), "--out", "out", "--as-of",
                   AS_OF, "--ledger", "l.sqlite")
    expect(done.returncode == 2, said(done))
    return f"refused: {first_line(done, '解压后')}"


@attack("5c one 3,000-character name and one of 300")
def long_names(folder: Path) -> str:
    key, trust = office(folder)
    rows = [roster_row(1, 姓名="很" * 3000), roster_row(2, 姓名="长" * 300), roster_row(3)]
    done = passgen(folder, "cards", str(write_csv(folder / "r.csv", rows)), "--key", str(key),
                   "--out", "out", "--as-of", AS_OF, "--ledger", "l.sqlite")
    expect(done.returncode in (0, 3) and "1 cards, 2 rejected" in said(done), said(done))
    checked = passgen(folder, "verify", *map(str, (folder / "out").glob("*.pdf")),
                      "--trust", str(trust), "--at", "2020-03-26")
    expect(checked.returncode == 0, said(checked))
    return "both rows rejected (name too long), the third printed and verified valid"


# --- medium -------------------------------------------------------------------------------

@attack("6 NUL and control characters in cells, --jobs 2")
def control_characters(folder: Path) -> str:
    key, _ = office(folder)
    rows = [roster_row(1, 姓名="王\x00五"), roster_row(2, 住址="桂花路\x07\x1b[31m1号"),
            roster_row(3, 社区="西门\u202egpj.exe"), roster_row(4)]
    done = passgen(folder, "cards", str(write_csv(folder / "r.csv", rows)), "--key", str(key),
                   "--out", "out", "--as-of", AS_OF, "--jobs", "2", "--ledger", "l.sqlite")
    report = folder / "out" / "report.xlsx"
    names = [p.name for p in (folder / "out").iterdir()]
    expect(done.returncode in (0, 3) and report.exists() and "3 rejected" in said(done),
           said(done))
    expect(all(n.isprintable() for n in names), str(names))
    return f"3 rows rejected naming U+0000, U+0007, U+202E; report written; files {names}"


@attack("7 a revocation list rolled back")
def rollback(folder: Path) -> str:
    key, trust = office(folder)
    issued(folder)
    for name, at in (("old.json", "2020-03-26T09:00"), ("new.json", "2020-03-27T09:00")):
        done = passgen(folder, "revocations", "export", "--key", str(key), "--out", name,
                       "--at", at, "--ledger", str(folder / "l.sqlite"))
        expect(done.returncode == 0, said(done))
    for name in ("new.json", "old.json"):
        last = passgen(folder, "verify", "-", "--trust", str(trust), "--revoked", name,
                       "--at", "2020-03-27", stdin=b"PG1:X\n")
    expect(last.returncode == 2 and "比已经加载过的" in said(last), said(last))
    return f"older list refused: {first_line(last, '错误')[:90]}"


@attack("8 guessing the private key's passphrase")
def passphrase(folder: Path) -> str:
    from cryptography.hazmat.primitives import serialization

    from passgen.passes import keys

    short = passgen(folder, "keys", "generate", "--out", "k1.pem", "--issuer", "X",
                    env={"PASSGEN_KEY_PASSPHRASE": "x"})
    expect(short.returncode == 2 and "至少要 10 个字符" in said(short), said(short))
    key = keys.generate("X", dt.date(2020, 1, 1), dt.date(2020, 12, 31), bytes(32))
    new = keys.pkcs8.encrypted(key.private_key, b"correct horse", keys.KDF_ITERATIONS)
    old = key.private_key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.BestAvailableEncryption(b"correct horse"))

    def rate(pem: bytes, tries: int) -> float:
        started = time.perf_counter()
        for i in range(tries):
            try:
                serialization.load_pem_private_key(pem, f"guess {i}".encode())
            except ValueError:
                pass
        return tries / (time.perf_counter() - started)

    with timed():
        now, before = rate(new, 5), rate(old, 200)
    expect(before / now > 100, f"{now:.1f}/s against {before:.0f}/s")
    return (f"1-character passphrase refused; {now:.1f} guesses/s a core "
            f"(was {before:,.0f}/s: ×{before / now:,.0f} slower)")


@attack("9 verify: a 200 × 200 inch PDF page and a 20,000² pixel PNG")
def huge_inputs(folder: Path) -> str:
    from reportlab.pdfgen.canvas import Canvas

    _, trust = office(folder)
    page = Canvas(str(folder / "huge.pdf"), pagesize=(200 * 72, 200 * 72))
    page.drawString(9, 9, "x")
    page.save()
    # made in a process of its own: a child forked from a big process counts its memory
    subprocess.run([sys.executable, "-c", "import sys; from PIL import Image; Image.new('1', "
                    "(20_000, 20_000), 1).save(sys.argv[1], optimize=True)",
                    str(folder / "huge.png")], check=True)
    lines = []
    for name in ("huge.pdf", "huge.png"):
        done = passgen(folder, "verify", name, "--trust", str(trust))
        expect(done.returncode == 2 and "megapixel" in said(done), said(done))
        lines.append(f"{name} ({(folder / name).stat().st_size >> 10} KB) refused")
    return "; ".join(lines)


def tall_workbook(path: Path, rows: int, dimension: bool) -> Path:
    """A roster of ``rows`` real rows, written straight as sheet XML (openpyxl would take
    minutes), with or without its <dimension>."""
    plain = write_xlsx(path.with_name("plain.xlsx"), [roster_row(1)])
    with zipfile.ZipFile(plain) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            if not item.filename.startswith("xl/worksheets/"):
                new.writestr(item.filename, old.read(item))
        with new.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                       b'main">')
            if dimension:
                part.write(f'<dimension ref="A1:U{rows}"/>'.encode())
            part.write(b"<sheetData>")
            cells = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in HEADERS)
            part.write(f'<row r="1">{cells}</row>'.encode())
            for r in range(2, rows + 1):
                values = roster_row(r)
                cells = "".join(f'<c t="inlineStr"><is><t>{values.get(h, "")}</t></is></c>'
                                for h in HEADERS if values.get(h))
                part.write(f'<row r="{r}">{cells}</row>'.encode())
            part.write(b"</sheetData></worksheet>")
    return path


@attack("10 --max-rows and a 1,048,576-row sheet")
def many_rows(folder: Path) -> str:
    out = []
    for dimension in (True, False):
        path = tall_workbook(folder / f"tall{int(dimension)}.xlsx", 1_048_576, dimension)
        started = time.perf_counter()
        done = passgen(folder, "roster", "check", str(path), "--out", "out")
        expect(done.returncode == 2 and "--max-rows" in said(done), said(done))
        out.append(f"{'with' if dimension else 'without'} <dimension>: refused in "
                   f"{time.perf_counter() - started:.1f} s")
    return "; ".join(out)


@attack("11 revocations export with a key outside its window")
def export_outside(folder: Path) -> str:
    key, _ = office(folder)
    issued(folder)
    done = passgen(folder, "revocations", "export", "--key", str(key), "--out", "r.json",
                   "--at", "2021-06-01", "--ledger", "l.sqlite")
    expect(done.returncode == 2 and not (folder / "r.json").exists(), said(done))
    return f"refused, nothing written: {first_line(done, '错误')[:80]}"


# --- low ----------------------------------------------------------------------------------

@attack("12 a community name of 70 CJK characters")
def long_community(folder: Path) -> str:
    key, _ = office(folder)
    rows = [roster_row(1, 社区="很" * 70), roster_row(2)]
    done = passgen(folder, "cards", str(write_csv(folder / "r.csv", rows)), "--key", str(key),
                   "--out", "out", "--as-of", AS_OF, "--ledger", "l.sqlite")
    expect("1 cards, 1 rejected" in said(done), said(done))
    option = passgen(folder, "cards", str(write_csv(folder / "r2.csv", [roster_row(3, 社区="")])),
                     "--key", str(key), "--out", "out2", "--as-of", AS_OF, "--community",
                     "很" * 70, "--ledger", "l.sqlite")
    expect(option.returncode == 2, said(option))
    return "row rejected (at most 30 characters), the batch printed the other; --community refused"


@attack("13 full ID numbers of rejected rows")
def rejected_ids(folder: Path) -> str:
    from openpyxl import load_workbook

    key, _ = office(folder)
    wrong = make_id(5)[:17] + ("0" if make_id(5)[17] != "0" else "1")
    done = passgen(folder, "cards", str(write_csv(folder / "r.csv", [roster_row(5, 身份证号=wrong)])),
                   "--key", str(key), "--out", "out", "--as-of", AS_OF, "--ledger", "l.sqlite")
    cells = " ".join(str(c.value) for row in load_workbook(folder / "out" / "report.xlsx")
                     .worksheets[0].iter_rows() for c in row)
    expect(wrong not in said(done) and wrong not in cells, "the full number was shown")
    return f"shown as {wrong[:6]}********{wrong[-4:]} on stderr and in the report"


@attack("14 SIGKILL mid-batch (--jobs 2)")
def killed(folder: Path) -> str:
    key, _ = office(folder)
    roster = write_csv(folder / "r.csv", [roster_row(i) for i in range(6000)])
    before = set(Path(tempfile.gettempdir()).glob("openpyxl*"))
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "passgen", "cards", str(roster), "--key",
                             str(key), "--out", "out", "--as-of", AS_OF, "--jobs", "2",
                             "--sheets-per-volume", "20", "--ledger", "l.sqlite"],
                            cwd=folder, env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list((folder / "out").glob(".pg-*.part")) and time.monotonic() < deadline:
        time.sleep(0.01)  # the event: the first volume is being written
    children = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    reap(proc)
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in children) and time.monotonic() < deadline:
        time.sleep(0.02)
    SPENT[0] += time.perf_counter() - started
    left = [p for p in children if _alive(p)]
    leaked = set(Path(tempfile.gettempdir()).glob("openpyxl*")) - before
    expect(not left and not leaked, f"alive {left}, leaked {leaked}")
    again = passgen(folder, "cards", str(roster), "--key", str(key), "--out", "out",
                    "--as-of", AS_OF, "--jobs", "2", "--ledger", "l.sqlite")
    hidden = [p.name for p in (folder / "out").iterdir() if p.name.startswith(".")]
    expect(again.returncode == 0 and not hidden, said(again) + str(hidden))
    return (f"{len(children)} child processes ended with it, nothing in /tmp; the rerun "
            "printed every card and left no temporary file")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@attack("15 a symlink planted at the temporary name")
def planted_link(folder: Path) -> str:
    from passgen.files import atomic_write, temporary_name

    victim = folder / "victim.txt"
    victim.write_text("keep me")
    target = folder / "report.xlsx"
    (folder / temporary_name(target.name, str(os.getpid()))).symlink_to(victim)
    with timed(), contextlib.suppress(OSError):
        atomic_write(target, lambda tmp: tmp.write_bytes(b"overwritten"))
    expect(victim.read_text() == "keep me", "the link was followed")
    return "write refused, the link's target untouched"


@attack("16 nested JSON as --trust / --revoked; --log in a missing folder")
def nested_json(folder: Path) -> str:
    _, trust = office(folder)
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    for args in (["--trust", "deep.json"], ["--trust", str(trust), "--revoked", "deep.json"]):
        done = passgen(folder, "verify", "-", *args, stdin=b"PG1:X\n")
        expect(done.returncode == 2, said(done))
    gate = passgen(folder, "checkpoint", "--trust", str(trust), "--log", "missing/scans.csv",
                   stdin=b"")
    expect(gate.returncode == 2 and "不存在" in said(gate), said(gate))
    return "each refused with a message, no traceback"


@attack("17 crash recovery says what it did")
def recovery(folder: Path) -> str:
    roster = write_csv(folder / "r.csv", [roster_row(i) for i in range(30)])
    script = f"""
import datetime as dt, os, signal, sys
sys.path.insert(0, {str(Path(__file__).parents[1] / 'tests')!r})
from helpers import fixed_key
from pathlib import Path
from passgen.jobs.cards import run_cards
from passgen.jobs.ledger import Ledger
from passgen.printing.layout import load_template
from passgen.rules import load_rules
real = Ledger.begin_batch
def begin_batch(self, *a, **k):
    real(self, *a, **k)
    os.kill(os.getpid(), signal.SIGKILL)
Ledger.begin_batch = begin_batch
run_cards([Path({str(roster)!r})], fixed_key(), Path({str(folder / 'out')!r}), load_rules(),
          load_template(), dt.date(2020, 3, 25), ledger=Path({str(folder / 'l.sqlite')!r}))
"""
    with timed():
        reap(subprocess.Popen([sys.executable, "-c", script], cwd=folder, env=ENV))
    done = passgen(folder, "ledger", "recover", "--ledger", "l.sqlite")
    line = first_line(done, "已补完")
    expect("已按登记册重建" in line and (folder / "out" / "report.xlsx").exists(), line)
    return line


@attack("18 demo key trusted; bidi in names; --id on the command line")
def small_traps(folder: Path) -> str:
    demo = passgen(folder, "demo", "--out", "demo")
    expect(demo.returncode == 0, said(demo))
    trusted = passgen(folder, "keys", "trust", "demo/demo-key.pem", "--out", "t.json")
    expect(trusted.returncode == 2 and "演示密钥" in said(trusted), said(trusted))
    shown = passgen(folder, "ledger", "show", "--id", make_id(1), "--ledger",
                    "demo/ledger.sqlite")
    expect(shown.returncode == 2, said(shown))
    return "demo key refused without --allow-demo; --id takes no number on the line"


# --- issue #29: hostile files and crash windows, second round (bench/attacks_29.py) ------

sys.modules.setdefault("attacks", sys.modules[__name__])  # one registry, run as a script too
import attacks_29  # noqa: E402, F401  (registers its attacks in ATTACKS)

# --- issue #36: the office machine, third round (bench/attacks_36.py) ----------------------
import attacks_36  # noqa: E402, F401  (registers its attacks in ATTACKS)

# --- issue #37: pages and trust lists, third round (bench/attacks_37.py) -------------------
import attacks_37  # noqa: E402, F401  (registers its attacks in ATTACKS)

# --- the run ------------------------------------------------------------------------------

def run_one(name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            verdict, ok = ATTACKS[name](Path(tmp)), True
        except Refused as exc:
            verdict, ok = f"DEFENCE FAILED: {exc}", False
    # passgen's processes; an attack run in this process (a library call) counts it whole
    peak = (PEAK[0] or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024
    seconds = SPENT[0]
    print(json.dumps({"verdict": verdict, "ok": ok, "seconds": seconds, "mb": peak},
                     ensure_ascii=False))


def main() -> None:
    if sys.argv[1:2] == ["--run"]:
        run_one(sys.argv[2])
        return
    wanted = [n for n in ATTACKS if not sys.argv[1:] or any(a in n for a in sys.argv[1:])]
    print(f"{'attack':<62} {'MB':>6} {'s':>6}  verdict")
    failed = 0
    for name in wanted:
        done = subprocess.run([sys.executable, __file__, "--run", name], capture_output=True,
                              timeout=600)
        try:
            result = json.loads(done.stdout.decode().strip().splitlines()[-1])
        except (IndexError, ValueError):
            result = {"verdict": "CRASHED: " + done.stderr.decode(errors="replace")[-300:],
                      "ok": False, "seconds": 0, "mb": 0}
        good = result["ok"] and result["mb"] <= 500 and result["seconds"] <= 30
        failed += not good
        print(f"{name:<62} {result['mb']:>6.0f} {result['seconds']:>6.1f}  "
              f"{'ok  ' if good else 'FAIL'} {result['verdict']}", flush=True)
    print(f"{len(wanted) - failed} of {len(wanted)} attacks held")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
