"""The attacks of issue #29 (hostile files and crash windows, second round), replayed by
bench/attacks.py beside those of #20; each through the command line, as a clerk or an
attacker would, measured the same way (≤ 30 s and ≤ 500 MB of passgen's own processes, no
traceback, no abort)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from attacks import (
    AS_OF,
    ENV,
    SPENT,
    attack,
    expect,
    issued,
    office,
    passgen,
    reap,
    roster_row,
    said,
    write_csv,
    write_xlsx,
)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"


def sheet_workbook(path: Path, sheet: bytes | Callable[[IO[bytes]], None],
                   part_name: str = "xl/worksheets/sheet1.xml",
                   target: str = "worksheets/sheet1.xml") -> Path:
    """A one-sheet .xlsx whose worksheet part (``part_name``, which the workbook's
    relationship names as ``target``) is ``sheet``, or what ``sheet`` writes into it as it
    streams."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", f'<Types xmlns="{PACKAGE}/content-types"><Default '
                   'Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
                   'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'spreadsheetml.sheet.main+xml"/></Types>')
        z.writestr("_rels/.rels", f'<Relationships xmlns="{PACKAGE}/relationships"><Relation'
                   f'ship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/>'
                   '</Relationships>')
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>'
                   '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PACKAGE}/relation'
                   f'ships"><Relationship Id="rId1" Type="{RELS}/worksheet" Target="'
                   f'{target}"/></Relationships>')
        if isinstance(sheet, bytes):
            z.writestr(part_name, sheet)
        else:
            with z.open(part_name, "w", force_zip64=True) as part:
                sheet(part)
    return path


def refused(folder: Path, path: Path, *extra: str) -> str:
    started = time.perf_counter()
    done = passgen(folder, "roster", "check", str(path), "--out", "out", "--as-of", AS_OF,
                   *extra)
    seconds = time.perf_counter() - started
    expect(done.returncode == 2, said(done)[-300:])
    line = next(ln for ln in said(done).splitlines() if path.name in ln)
    return f"refused in {seconds:.1f} s ({path.stat().st_size / 1024:,.0f} KB): {line[:90]}"


@attack("19 a crafted ledger journal names ../ and absolute paths")
def crafted_journal(folder: Path) -> str:
    ledger = issued(folder)
    victim, other = folder / "victim.txt", folder / "other.txt"
    victim.write_text("mine")
    other.write_text("also mine")
    db = sqlite3.connect(ledger)
    for files in ([[str(victim), "cards-x-001.pdf", 4]], [["../victim.txt", "../other.txt", 4]]):
        db.execute("INSERT INTO batches (id, started_at, issuer, kid, card_count, status, "
                   "out_dir, files) VALUES (?, 0, 'NC-XM-01', x'00', 0, 'pending', ?, ?)",
                   (uuid.uuid4().hex, str(folder / "elsewhere"), json.dumps(files)))
    db.commit()
    db.close()
    done = passgen(folder, "ledger", "recover", "--ledger", "l.sqlite")
    key, _ = office(folder)
    batch = passgen(folder, "cards", str(write_csv(folder / "r.csv", [roster_row(9)])),
                    "--key", str(key), "--out", "out", "--as-of", AS_OF, "--ledger", "l.sqlite")
    expect(victim.read_text() == "mine" and other.read_text() == "also mine", "a file changed")
    expect(not (folder / "elsewhere").exists(), "a report was written where the journal said")
    expect("passgen 不会写的文件" in said(done) and batch.returncode == 0, said(done) + said(batch))
    return "both journals refused and reported; no file touched; the next batch went on"


@attack("20 tiny .xlsx declaring A1:XFD100000 and A1:XFD5000")
def declared_cells(folder: Path) -> str:
    out = []
    for last in (100_000, 5_000):
        xml = (f'<worksheet xmlns="{MAIN}"><dimension ref="A1:XFD{last}"/><sheetData><row r="1">'
               '<c r="A1" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>')
        out.append(refused(folder, sheet_workbook(folder / f"xfd{last}.xlsx", xml.encode())))
    return "; ".join(o.split(":")[0] for o in out)


@attack("21 an .xlsx with values at A1 and XFD1048576, no <dimension>")
def far_value(folder: Path) -> str:
    xml = (f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
           'x</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
           '</sheetData></worksheet>')
    return refused(folder, sheet_workbook(folder / "far.xlsx", xml.encode()))


@attack("22 a 9 KB .xls with values at IV65536 on 10 sheets")
def xls_corners(folder: Path) -> str:
    import xlwt

    book = xlwt.Workbook()
    for i in range(10):
        sheet = book.add_sheet(f"s{i}")
        sheet.write(0, 0, "x")
        sheet.write(65535, 255, "y")
    book.save(str(folder / "corners.xls"))
    return refused(folder, folder / "corners.xls")


@attack("23 a 1 KB .ods with one row repeated 1,048,000 times")
def ods_repeats(folder: Path) -> str:
    ns = "urn:oasis:names:tc:opendocument:xmlns"
    cell = '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'
    content = (f'<office:document-content xmlns:office="{ns}:office:1.0" xmlns:table="{ns}:'
               f'table:1.0" xmlns:text="{ns}:text:1.0"><office:body><office:spreadsheet>'
               f'<table:table table:name="S"><table:table-row>{cell}</table:table-row>'
               f'<table:table-row table:number-rows-repeated="1048000">{cell}</table:table-row>'
               '</table:table></office:spreadsheet></office:body></office:document-content>')
    path = folder / "repeat.ods"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return refused(folder, path)


@attack("24 a <dimension> of A1:U10 over 2.5 M real rows")
def lying_dimension(folder: Path) -> str:
    def rows(part: IO[bytes]) -> None:
        part.write(f'<worksheet xmlns="{MAIN}"><dimension ref="A1:U10"/><sheetData>'.encode())
        for start in range(1, 2_500_001, 10_000):
            part.write(b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i)
                                for i in range(start, start + 10_000)))
        part.write(b"</sheetData></worksheet>")

    return refused(folder, sheet_workbook(folder / "lying.xlsx", rows))


@attack("25 control characters in a roster's file and sheet names")
def control_names(folder: Path) -> str:
    from openpyxl import load_workbook

    key, _ = office(folder)
    path = write_xlsx(folder / "花名册\x07.xlsx", [roster_row(1)])
    done = passgen(folder, "cards", str(path), "--key", str(key), "--out", "out", "--as-of",
                   AS_OF, "--ledger", "l.sqlite")
    expect(done.returncode == 0 and (folder / "out" / "passgen-batch.json").exists(), said(done))
    first = next(load_workbook(folder / "out" / "report.xlsx").worksheets[0].iter_rows(
        min_row=2, values_only=True))
    expect(first[0] == "花名册<U+0007>.xlsx", str(first))
    return f"report and manifest written; the file shown as {first[0]}"


def _kill_on(folder: Path, name_start: str, *args: str) -> subprocess.Popen[bytes]:
    """Start a batch and SIGKILL its process group when a file whose name starts with
    ``name_start`` appears in out/ (the event), as a power cut would."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "passgen", *args], cwd=folder, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    out = folder / "out"
    while proc.poll() is None:
        if out.exists() and any(n.startswith(name_start) for n in os.listdir(out)):
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.002)  # one poll
    reap(proc)
    SPENT[0] += time.perf_counter() - started
    return proc


def _batch_args(folder: Path, count: int) -> list[str]:
    key, _ = office(folder)
    roster = write_csv(folder / "r.csv", [roster_row(i) for i in range(count)])
    return ["cards", str(roster), "--key", str(key), "--out", "out", "--as-of", AS_OF,
            "--ledger", "l.sqlite", "--jobs", "2", "--sheets-per-volume", "5"]


@attack("26 SIGKILL while report.xlsx is saved (the last half second)")
def last_half_second(folder: Path) -> str:
    from passgen.files import temporary_name

    report_part = temporary_name("report.xlsx", "x")[:17]
    killed = _kill_on(folder, report_part, *_batch_args(folder, 3000))
    expect(killed.returncode != 0, "the batch ended before the report was saved")
    done = passgen(folder, "ledger", "recover", "--ledger", "l.sqlite")
    out = folder / "out"
    hidden = [p.name for p in out.iterdir() if p.name.endswith(".part")]
    expect((out / "report.xlsx").exists() and (out / "passgen-batch.json").exists()
           and not hidden, said(done) + str(hidden))
    return f"recovery finished it: {said(done).strip().splitlines()[-1][:70]}"


@attack("27 SIGKILL before the batch's cards are journalled")
def before_journal(folder: Path) -> str:
    from passgen.files import temporary_name

    volume_part = temporary_name("cards-桂花社区-001.pdf", "x")[:17]
    killed = _kill_on(folder, volume_part, *_batch_args(folder, 600))
    parts = [p for p in (folder / "out").glob("*.part")]
    expect(killed.returncode != 0 and parts and all(p.stat().st_mode & 0o077 == 0
                                                    for p in parts),
           f"parts {[oct(p.stat().st_mode) for p in parts]}")
    done = passgen(folder, "ledger", "recover", "--ledger", "l.sqlite")
    left = list((folder / "out").glob("*.part"))
    expect(not left, f"left {left}: {said(done)}")
    return f"{len(parts)} private temporary volume(s) at the kill, removed by recovery"


@attack("28 /dev/zero and a FIFO as a roster")
def devices(folder: Path) -> str:
    fifo = folder / "roster.xlsx"
    os.mkfifo(fifo)
    out = []
    for path in (Path("/dev/zero"), fifo):
        done = passgen(folder, "cards", str(path), "--key", str(office(folder)[0]), "--out",
                       "out", "--as-of", AS_OF)
        expect(done.returncode == 2 and "不是普通文件" in said(done), said(done))
        out.append(path.name)
    return f"{' and '.join(out)} refused at once as not regular files"


@attack("29 a damaged, an empty and a symlinked ledger")
def bad_ledgers(folder: Path) -> str:
    key, _ = office(folder)
    ledger = issued(folder)
    db = sqlite3.connect(ledger)
    page = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'cards_pseudonym'"
                      ).fetchone()[0]
    size = db.execute("PRAGMA page_size").fetchone()[0]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(ledger.read_bytes())
    data[(page - 1) * size + 8:(page - 1) * size + 200] = bytes(range(192))
    ledger.write_bytes(bytes(data))
    (folder / "empty.sqlite").write_bytes(b"")
    (folder / "link.sqlite").symlink_to(ledger)
    roster = write_csv(folder / "r.csv", [roster_row(7)])
    for name in ("l.sqlite", "empty.sqlite", "link.sqlite"):
        done = passgen(folder, "cards", str(roster), "--key", str(key), "--out", f"o-{name}",
                       "--as-of", AS_OF, "--ledger", name)
        expect(done.returncode != 0 and not list((folder / f"o-{name}").glob("cards-*.pdf")),
               said(done))
    expect(bytes(data) == ledger.read_bytes() and (folder / "empty.sqlite").stat().st_size == 0,
           "a ledger was changed")
    return "all three refused before anything was written; none changed"


@attack("30 --max-rows per file; a 200,000-character cell; 100,001 keys")
def smaller(folder: Path) -> str:
    from openpyxl import Workbook

    book = Workbook()
    for sheet in (book.active, book.create_sheet("二")):
        assert sheet is not None
        for i in range(7):
            sheet.append([f"x{i}"])
    book.save(folder / "two.xlsx")
    rows = passgen(folder, "roster", "check", "two.xlsx", "--out", "o1", "--max-rows", "10")
    (folder / "long.csv").write_text("姓名,身份证号\n张三," + "1" * 200_000 + "\n", encoding="utf-8")
    cell = passgen(folder, "roster", "check", "long.csv", "--out", "o2")
    _, trust = office(folder)
    entry = json.loads(trust.read_text())["keys"][0]
    (folder / "big.json").write_text(json.dumps({"format": "passgen-trust/1",
                                                 "keys": [entry] * 100_001}, indent=2))
    trusted = passgen(folder, "verify", "-", "--trust", "big.json", stdin=b"PG1:X\n")
    expect("max-rows" in said(rows) and "131,072" in said(cell) and "文件太大" in said(trusted),
           said(rows) + said(cell) + said(trusted))
    return "per file; said as a long cell; 'too big', said"


@attack("31 a 58 MB CSV of 30 rows of 100,000 cells")
def wide_csv(folder: Path) -> str:
    path = folder / "wide.csv"
    line = ",".join(["甲乙丙丁戊己庚辛"] * 100_000) + "\n"
    path.write_text(line * 30, encoding="utf-8")
    started = time.perf_counter()
    done = passgen(folder, "roster", "check", str(path), "--out", "out", "--max-mb", "200")
    expect("没有找到表头" in said(done), said(done)[-300:])
    return (f"{path.stat().st_size >> 20} MB: no header found, said in "
            f"{time.perf_counter() - started:.1f} s")
