"""The attacks of issue #36 (the office machine holds the key: planted code, bent layouts,
leaks, bounded work), replayed by bench/attacks.py beside those of #20 and #29, measured the
same way (≤ 30 s and ≤ 500 MB of passgen's own processes, no traceback, no abort)."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

from attacks import (
    AS_OF,
    ENV,
    HEADERS,
    attack,
    expect,
    issued,
    office,
    passgen,
    reap,
    roster_row,
    said,
    timed,
    write_xlsx,
)
from attacks_29 import MAIN, refused, sheet_workbook

CONSOLE = Path(sys.executable).parent / "passgen"  # what a clerk types: the console script


def console(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """passgen as a clerk starts it in ``folder`` (not ``python -m``, which imports from the
    working folder by Python's own rule before passgen runs)."""
    with timed(), tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([str(CONSOLE), *args], cwd=folder, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT,
                                env={**ENV, "XDG_DATA_HOME": str(folder / "data"),
                                     "XDG_STATE_HOME": str(folder / "state")})
        code = reap(proc)
        out.seek(0)
        return subprocess.CompletedProcess(proc.args, code, out.read(), b"")


@attack("32 passgen.py, multiprocessing.py, openpyxl.py, sitecustomize.py beside the rosters")
def planted_code(folder: Path) -> str:
    import secrets

    marks = folder / "marks"
    marks.mkdir()
    for name in ("passgen.py", "multiprocessing.py", "openpyxl.py", "sitecustomize.py"):
        (folder / name).write_text(f"open({str(marks / name)!r}, 'w').close()\\n",
                                   encoding="utf-8")
    rows = [roster_row(i) for i in range(400)]
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append([*HEADERS, "备注"])
    for r in rows:
        sheet.append([*(r.get(h) for h in HEADERS), secrets.token_urlsafe(3000)])
    book.save(folder / "big.xlsx")
    expect((folder / "big.xlsx").stat().st_size >= 1 << 20, "the workbook is not over 1 MB")
    for args in (["keys", "generate", "--out", "office.pem", "--issuer", "NC-XM-01",
                  "--not-before", "2020-01-01", "--not-after", "2020-12-31"],
                 ["cards", "big.xlsx", "--key", "office.pem", "--out", "out", "--as-of", AS_OF,
                  "--jobs", "2", "--ledger", "l.sqlite"]):
        done = console(folder, *args)
        expect(done.returncode in (0, 3), said(done)[-300:])
    ran = sorted(p.name for p in marks.iterdir())
    expect(not ran, f"planted code ran: {ran}")
    return "cards (1.2 MB workbook read by its child, --jobs 2): no planted module ran"


@attack("33 a sheet moved to xl/sheet1.xml: a far cell in 5 KB, and 2 M rows")
def moved_sheet(folder: Path) -> str:
    far = (f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
           'x</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
           '</sheetData></worksheet>').encode()
    one = refused(folder, sheet_workbook(folder / "far.xlsx", far, "xl/sheet1.xml",
                                         "sheet1.xml"))

    def rows(part: IO[bytes]) -> None:
        part.write(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode())
        for start in range(1, 2_000_001, 10_000):
            part.write(b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i)
                                for i in range(start, start + 10_000)))
        part.write(b"</sheetData></worksheet>")

    two = refused(folder, sheet_workbook(folder / "tall.xlsx", rows, "xl/sheet1.xml",
                                         "/xl/sheet1.xml"))
    return f"{one.split(':')[0]}; {two.split(':')[0]}"


@attack("34 a trigger planted in the ledger swallows revocations")
def planted_trigger(folder: Path) -> str:
    ledger = issued(folder)
    db = sqlite3.connect(ledger)
    db.execute("CREATE TRIGGER keep AFTER INSERT ON revocations BEGIN DELETE FROM "
               "revocations WHERE rowid = new.rowid; END")
    serial = db.execute("SELECT hex(serial) FROM cards").fetchone()[0]
    db.commit()
    db.close()  # the last connection: its WAL is checkpointed into the file now
    before = hashlib.sha256(ledger.read_bytes()).hexdigest()
    done = passgen(folder, "revoke", serial, "--reason", "lost", "--ledger", str(ledger))
    expect(done.returncode == 2 and "trigger keep" in said(done), said(done)[-300:])
    expect(hashlib.sha256(ledger.read_bytes()).hexdigest() == before, "the ledger changed")
    return next(ln for ln in said(done).splitlines() if "trigger" in ln)[:100]


@attack("35 a full ID number in 姓名 and in 社区")
def id_in_names(folder: Path) -> str:
    key, _ = office(folder)
    rows = [roster_row(1, 姓名="511302193001020008"), roster_row(2, 社区="511302193001020008")]
    done = passgen(folder, "cards", str(write_xlsx(folder / "ids.xlsx", rows)), "--key",
                   str(key), "--out", "out", "--as-of", AS_OF, "--ledger", "l.sqlite")
    expect(done.returncode == 3, said(done)[-300:])
    names = [p.name for p in (folder / "out").iterdir()] if (folder / "out").exists() else []
    expect(not any("193001020" in n for n in names), f"a file named by the ID: {names}")
    expect("193001020" not in said(done), "the full ID number was shown")
    expect(said(done).count("身份证号或电话号码") == 2, said(done)[-400:])
    return "both rows rejected, shown masked (511***08); no file named by it"


@attack("36 layouts: red and green styles swapped, no colour word, {name:>300000000}, {serial:d}")
def bent_layouts(folder: Path) -> str:
    from passgen.printing.layout import default_template_bytes

    key, _ = office(folder)
    rows = write_xlsx(folder / "r.xlsx", [roster_row(1)])
    base = default_template_bytes().decode()
    swapped = base.replace("[[text]]", '[colours.green]\\nfill = "#F47C7C"\\npattern = '
                           '"crosshatch"\\nshape = "cross"\\n\\n[[text]]', 1)
    bends = {"swapped": swapped,
             "no word": base.replace('text = "{colour_word}"', 'text = " "'),
             "huge width": base.replace('text = "{name}"', 'text = "{name:>300000000}"'),
             "format d": base.replace('text = "{masked_id}"', 'text = "{serial:d}"')}
    out = []
    for label, text in bends.items():
        path = folder / f"{label.replace(' ', '-')}.toml"
        path.write_text(text, encoding="utf-8")
        done = passgen(folder, "cards", str(rows), "--key", str(key), "--out", f"o-{path.stem}",
                       "--as-of", AS_OF, "--template", str(path), "--ledger", "l.sqlite")
        expect(done.returncode == 2 and "模板" in said(done), f"{label}: {said(done)[-200:]}")
        out.append(label)
    return f"refused at load: {', '.join(out)}"


@attack("37 report mode, a 2,000-page PDF, javascript: posters, a place table path, a bomb")
def smaller_36(folder: Path) -> str:
    key, trust = office(folder)
    done = passgen(folder, "cards", str(write_xlsx(folder / "r.xlsx", [roster_row(1)])),
                   "--key", str(key), "--out", "out", "--as-of", AS_OF, "--ledger", "l.sqlite")
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (folder / "out").iterdir()}
    expect(all(m == 0o600 for m in modes.values()), f"modes: {modes}")
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(folder / "many.pdf"))
    for _ in range(2000):
        c.showPage()
    c.save()
    done = passgen(folder, "verify", "many.pdf", "--trust", str(trust), "--at", AS_OF)
    expect(done.returncode == 1 and "p101–p2000" in said(done), said(done)[-300:])
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["名称", "社区", "二维码内容"])
    sheet.append(["骏达市场", "西门社区", "javascript:alert(1)"])
    sheet.append(["桂花小区", "西门社区", "https://look-alike.example.cn/apply"])
    book.save(folder / "venues.xlsx")
    done = passgen(folder, "posters", "venues.xlsx", "--out", "posters", "--url",
                   "https://jkm.nanchong.gov.cn/apply")
    expect("只能是 https://" in said(done) and "look-alike" in said(done), said(done)[-300:])
    from passgen.rules import default_rules_bytes

    rules = folder / "rules.toml"
    rules.write_text(default_rules_bytes().decode().replace('file = "places-cn.tsv"',
                                                            'file = "/etc/passwd"'))
    done = passgen(folder, "rules", "show", "--rules", str(rules))
    expect(done.returncode == 2 and "不能是路径" in said(done), said(done)[-300:])
    import zipfile

    with zipfile.ZipFile(folder / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as z, \
            z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
        chunk = b" " * (1 << 20)  # streamed: the attack's own memory stays small
        for _ in range(900):
            part.write(chunk)
    started = time.perf_counter()
    done = passgen(folder, "roster", "check", "bomb.xlsx", "--out", "c", "--as-of", AS_OF)
    expect(done.returncode == 2 and "倍" in said(done), said(done)[-300:])
    with contextlib.suppress(OSError):
        (folder / "bomb.xlsx").unlink()
    return (f"0600 outputs; 100 of 2,000 pages checked, the rest named; javascript: refused, "
            f"look-alike noted; /etc/passwd refused; 900 MB bomb refused in "
            f"{time.perf_counter() - started:.1f} s")



