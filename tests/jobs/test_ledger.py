"""The issuance ledger: re-issue, revocation lists, concurrency, crashes, migration, privacy."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner
from helpers import (
    AS_OF,
    TESTS,
    alive,
    fixed_key,
    make_id,
    row,
    run_collecting,
    write_roster,
)

from passgen.check.verify import Verdict, verify
from passgen.cli import cli
from passgen.dates import SHANGHAI, day_start
from passgen.errors import ExitStatus, KeyFileError
from passgen.jobs.ledger import MIGRATIONS, SCHEMA_VERSION, Filters, Ledger
from passgen.passes import keys, revocation
from passgen.printing.layout import load_template
from passgen.rules import load_rules

TEMPLATE = load_template()
NOW = day_start(AS_OF) + 10 * 3600
ROWS = [row(姓名="王建国"), row(姓名="李秀英", 身份证号=make_id(dt.date(1948, 2, 3))),
        row(姓名="赵一", 身份证号=make_id(dt.date(1955, 1, 1), 7))]


def batch(tmp: Path, rows: list[dict[str, Any]], ledger: Path, as_of: dt.date = AS_OF,
          out: str = "out", key: keys.SigningKey | None = None, valid_days: int = 7) -> Any:
    roster = write_roster(tmp / f"{out}.xlsx", rows)
    return run_collecting([roster], key or fixed_key(), tmp / out, load_rules(), TEMPLATE,
                          as_of, ledger=ledger, now=day_start(as_of) + 10 * 3600,
                          valid_days=valid_days)


def at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI)


def serials_printed(folder: Path) -> set[bytes]:
    """Serials read back from the text of every final PDF in ``folder``."""
    found: set[bytes] = set()
    for pdf in folder.glob("cards-*.pdf"):
        document = pdfium.PdfDocument(str(pdf))
        for index in range(0, len(document), 2):  # fronts
            text = document[index].get_textpage().get_text_range()
            found |= {bytes.fromhex(m.replace("-", ""))
                      for m in re.findall(r"编号 ([0-9A-F]{4}(?:-[0-9A-F]{4}){3})", text)}
        document.close()
    return found


def test_cards_are_recorded(tmp_path: Path) -> None:
    result = batch(tmp_path, ROWS, tmp_path / "l.sqlite")
    with Ledger(tmp_path / "l.sqlite", fixed_key()) as ledger:
        cards = ledger.cards()
        assert {c.serial for c in cards} == {o.card.claims.serial for o in result.outcomes}
        first = cards[0]
        assert first.community == "桂花社区" and first.source_file == "out.xlsx"
        assert first.kid == fixed_key().entry.kid and first.rules_version == load_rules().version
        assert len(ledger.cards(Filters(pseudonym=ledger.pseudonym(make_id(
            dt.date(1948, 2, 3)))))) == 1


def test_a_batch_the_ledger_refuses_leaves_no_volume(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """If the journal entry cannot be written, the temporary volumes go again: a PDF the
    ledger does not know must never be left for printing."""
    def refuse(*args: Any, **kwargs: Any) -> list[bytes]:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Ledger, "begin_batch", refuse)
    with pytest.raises(sqlite3.OperationalError):
        batch(tmp_path, ROWS, tmp_path / "l.sqlite")
    assert not (tmp_path / "out").exists()  # not even the folder the batch made (#30)
    with Ledger(tmp_path / "l.sqlite") as ledger:
        assert ledger.cards() == []


def test_a_reprint_is_an_issuance_of_its_own(tmp_path: Path) -> None:
    """#34 finding 7: a serial is one issuance's.  The same roster printed again the same day
    gives new serials; the earlier cards, of the same colour and validity, let no one
    through the new ones would not, so no list carries them (#37); a lost one is revoked by
    hand.  Run on a copy of the ledger as it stood, the batch gives the same serials."""
    import shutil

    first = batch(tmp_path, ROWS, tmp_path / "l.sqlite")
    shutil.copy(tmp_path / "l.sqlite", tmp_path / "copy.sqlite")
    again = batch(tmp_path, ROWS, tmp_path / "l.sqlite", out="again")
    old = {o.card.claims.serial for o in first.outcomes}
    new = [o.card.claims.serial for o in again.outcomes]
    assert not old & set(new) and again.superseded == ()
    with Ledger(tmp_path / "l.sqlite") as ledger:
        assert len(ledger.cards()) == 6
        assert ledger.revoked_serials("NC-TEST-01", day_start(AS_OF)) == []
    twin = batch(tmp_path, ROWS, tmp_path / "copy.sqlite", out="twin")
    assert [o.card.claims.serial for o in twin.outcomes] == new


def test_only_a_card_that_lets_more_through_is_revoked_by_its_successor(tmp_path: Path) -> None:
    """Issue #37 finding 7: every weekly re-issue revoked every earlier card, so at city scale
    the lists carried the whole carded population.  A card superseded by a worse colour, or
    by one that ends sooner, is revoked; one superseded by the same or a better colour,
    ending no later, is not."""
    ledger = tmp_path / "l.sqlite"
    yellow = batch(tmp_path, [row(姓名="王建国", 症状="发热")], ledger)
    later = AS_OF + dt.timedelta(days=2)
    still = batch(tmp_path, [row(姓名="王建国", 症状="发热")], ledger, as_of=later, out="same")
    assert still.superseded == ()  # the same colour, ending later
    worse = batch(tmp_path, [row(姓名="王建国", 症状="发热", 人员状态="确诊",
                                  状态日期=later)], ledger, as_of=later, out="worse")
    assert set(worse.superseded) == {yellow.outcomes[0].card.claims.serial,
                                      still.outcomes[0].card.claims.serial}
    shorter = batch(tmp_path, [row(姓名="王建国", 人员状态="确诊", 状态日期=later,
                                    症状="发热")], ledger, as_of=later, out="shorter",
                    valid_days=2)
    assert shorter.superseded == (worse.outcomes[0].card.claims.serial,)  # it outlasted it


def test_reissue_revokes_the_old_card(tmp_path: Path, trust: keys.TrustList) -> None:
    first = batch(tmp_path, ROWS, tmp_path / "l.sqlite")
    later = AS_OF + dt.timedelta(days=2)
    changed = [row(姓名="王建国", 症状="发热")]  # now yellow: a new card
    second = batch(tmp_path, changed, tmp_path / "l.sqlite", as_of=later, out="second")
    old = next(o.card for o in first.outcomes if o.name == "王建国")
    new = second.outcomes[0].card
    assert second.superseded == (old.claims.serial,)
    with Ledger(tmp_path / "l.sqlite") as ledger:
        [record] = ledger.cards(Filters(serial=old.claims.serial))
        assert record.revoked_at is not None and new.claims.serial.hex().upper() in record.reason
        listed = ledger.revoked_serials("NC-TEST-01", day_start(later))
    assert listed == [old.claims.serial]
    text = revocation.build(fixed_key(), listed, day_start(later))
    lists = revocation.Revocations((revocation.parse(text, trust),))
    assert verify(old.payload, trust, at(later), lists).status == Verdict.REVOKED
    assert verify(new.payload, trust, at(later), lists).status == Verdict.VALID


def test_revocation_list_is_signed_and_checked(tmp_path: Path, trust: keys.TrustList) -> None:
    serials = [bytes.fromhex("0102030405060708"), bytes.fromhex("1112131415161718")]
    text = revocation.build(fixed_key(), serials, NOW)
    parsed = revocation.parse(text, trust)
    assert parsed.serials == frozenset(serials) and parsed.issuer == "NC-TEST-01"
    doc = json.loads(text)
    assert doc["count"] == 2 and doc["format"] == "passgen-revocations/1"
    tampered = dict(doc, serials=doc["serials"][:1], count=1)
    with pytest.raises(KeyFileError, match="disagree"):
        revocation.parse(json.dumps(tampered), trust)
    cose = bytearray(__import__("base64").b64decode(doc["cose"]))
    cose[-70] ^= 1  # inside the payload
    forged = dict(doc, cose=__import__("base64").b64encode(bytes(cose)).decode())
    with pytest.raises(KeyFileError):
        revocation.parse(json.dumps(forged), trust)
    stranger = revocation.build(fixed_key("stranger"), serials, NOW)
    with pytest.raises(KeyFileError, match="not trusted"):
        revocation.parse(stranger, trust)
    with pytest.raises(KeyFileError, match="malformed"):
        revocation.parse("{}", trust)
    lists = revocation.Revocations((parsed,))
    assert lists.stale(NOW + 49 * 3600, 48) == [parsed] and lists.stale(NOW + 3600, 48) == []


def test_cli_revoke_export_and_verify(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"PASSGEN_KEY_PASSPHRASE": "a long enough passphrase"}
    key = tmp_path / "office.pem"
    assert runner.invoke(cli, ["keys", "generate", "--out", str(key), "--issuer", "NC-XM-01",
                               "--not-before", "2020-01-01"], env=env).exit_code == ExitStatus.OK
    runner.invoke(cli, ["keys", "trust", str(key), "--out", str(tmp_path / "trust.json")])
    roster = write_roster(tmp_path / "r.xlsx", ROWS)
    ledger = str(tmp_path / "l.sqlite")
    out = tmp_path / "out"
    made = runner.invoke(cli, ["cards", str(roster), "--key", str(key), "--out", str(out),
                               "--as-of", "2020-03-25", "--ledger", ledger], env=env)
    assert made.exit_code == ExitStatus.OK, made.output
    listed = runner.invoke(cli, ["ledger", "list", "--ledger", ledger, "--json"])
    cards = [json.loads(line) for line in listed.output.strip().splitlines()]
    assert len(cards) == 3 and {c["color"] for c in cards} == {"green"}
    serial = cards[0]["serial"]
    printed = "-".join(serial[i:i + 4] for i in range(0, 16, 4))
    missing = runner.invoke(cli, ["revoke", printed, "FFFF-FFFF-FFFF-FFFF", "--reason", "x",
                                  "--ledger", ledger])
    assert missing.exit_code == ExitStatus.ERROR and "FFFFFFFFFFFFFFFF" in missing.output
    done = runner.invoke(cli, ["revoke", printed, "--reason", "卡片遗失 lost", "--ledger", ledger])
    assert done.exit_code == ExitStatus.OK, done.output
    shown = runner.invoke(cli, ["ledger", "show", printed, "--ledger", ledger])
    assert "已吊销" in shown.output and "卡片遗失" in shown.output
    exported = runner.invoke(cli, ["revocations", "export", "--key", str(key), "--out",
                                   str(tmp_path / "revoked.json"), "--ledger", ledger,
                                   "--at", "2020-03-26"], env=env)
    assert exported.exit_code == ExitStatus.OK, exported.output
    assert json.loads((tmp_path / "revoked.json").read_text())["serials"] == [serial]
    outside = runner.invoke(cli, ["revocations", "export", "--key", str(key), "--out",
                                  str(tmp_path / "late.json"), "--ledger", ledger,
                                  "--at", "2021-06-01"], env=env)  # the key ended 2020-12-31
    assert outside.exit_code == ExitStatus.ERROR and "检查点会拒绝" in outside.output
    assert not (tmp_path / "late.json").exists()
    pdf = next(out.glob("cards-*.pdf"))
    checked = runner.invoke(cli, ["verify", str(pdf), "--trust", str(tmp_path / "trust.json"),
                                  "--revoked", str(tmp_path / "revoked.json"), "--at",
                                  "2020-03-26", "--json"])
    statuses = sorted(json.loads(line)["status"] for line in checked.stdout.strip().splitlines())
    assert statuses == ["revoked", "valid", "valid"] and checked.exit_code == ExitStatus.NOT_VALID
    stale = runner.invoke(cli, ["verify", str(pdf), "--trust", str(tmp_path / "trust.json"),
                                "--revoked", str(tmp_path / "revoked.json"), "--at", "2020-03-30"])
    assert "older than 48 hours" in stale.output
    text = runner.invoke(cli, ["ledger", "list", "--ledger", ledger])
    header, first = text.output.splitlines()[:2]
    assert header.startswith("编号 serial") and first.startswith(printed[:4])
    assert printed in text.output or any(  # serials as printed on the card: 1A2B-3C4D-…
        len(word) == 19 and word.count("-") == 3 for word in first.split())
    filtered = runner.invoke(cli, ["ledger", "list", "--ledger", ledger, "--colour", "红码"])
    assert filtered.exit_code == ExitStatus.OK and "0 cards" in filtered.output
    full_id = make_id(dt.date(1948, 2, 3))
    by_id = runner.invoke(cli, ["ledger", "show", "--id", "--key", str(key), "--ledger", ledger],
                          input=full_id + "\n", env=env)
    assert by_id.exit_code == ExitStatus.OK and "桂花社区" in by_id.output, by_id.output
    assert full_id not in by_id.output
    no_key = runner.invoke(cli, ["ledger", "show", "--id", "--ledger", ledger],
                           input=full_id + "\n")
    assert no_key.exit_code == ExitStatus.ERROR and "--key" in no_key.output
    on_the_line = runner.invoke(cli, ["ledger", "show", "--id", full_id, "--key", str(key),
                                      "--ledger", ledger], env=env)
    assert on_the_line.exit_code == ExitStatus.ERROR  # the number never goes on the line
    batch_id = cards[0]["batch"]
    for prefix, count in ((batch_id[:8], 3), (batch_id, 3), ("f" * 8 if batch_id[0] != "f"
                                                            else "0" * 8, 0)):
        by_batch = runner.invoke(cli, ["ledger", "list", "--ledger", ledger, "--batch", prefix])
        assert by_batch.exit_code == ExitStatus.OK and f"{count} cards" in by_batch.output
    recovered = runner.invoke(cli, ["ledger", "recover", "--ledger", ledger])
    assert recovered.exit_code == ExitStatus.OK and ": 0" in recovered.output


def test_ledger_never_holds_names_or_id_numbers(tmp_path: Path) -> None:
    result = batch(tmp_path, ROWS, tmp_path / "l.sqlite")
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("l.sqlite*"))
    for o in result.outcomes:
        r = o.card.resident
        for secret in (r.name, r.id_number, r.masked_id, r.id_number[6:14]):
            for encoding in ("utf-8", "utf-16-le", "gb18030"):
                assert secret.encode(encoding) not in blob, (secret, encoding)


def test_schema_v1_ledger_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    for statement in MIGRATIONS[1]:
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO meta VALUES ('secret', ?)", (b"s" * 32,))
    db.execute("INSERT INTO batches VALUES ('b1', 1, 'NC-TEST-01', x'00', 1)")
    db.execute("INSERT INTO cards VALUES (x'0102030405060708', 'NC-TEST-01', x'00', x'00', "
               "'桂花社区', 0, 'G1', x'01020304', 1, 2000000000, 'b1')")
    db.commit()
    db.close()
    with Ledger(path) as ledger:
        [card] = ledger.cards()
        assert card.community == "桂花社区" and card.source_row == 0 and card.revoked_at is None
        assert ledger.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert ledger.revoke([card.serial], "lost", 5) == []
    newer = tmp_path / "newer.sqlite"
    db = sqlite3.connect(newer)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(Exception, match="newer passgen"):
        Ledger(newer)


# Fault injection from the test side: the batch runs in a child process whose ledger or
# renames are wrapped so that the process SIGKILLs itself at one point, as a power cut would.
CRASH_AT = {
    "pdfs-written": """
def begin_batch(self, *args, **kwargs):
    die()
Ledger.begin_batch = begin_batch
""",
    "ledger-pending": """
real_begin = Ledger.begin_batch
def begin_batch(self, *args, **kwargs):
    real_begin(self, *args, **kwargs)
    die()
Ledger.begin_batch = begin_batch
""",
    "first-renamed": """
real_replace = os.replace
def replace(source, target):
    real_replace(source, target)
    if str(source).endswith(".part"):
        die()
os.replace = replace
""",
    "report-saving": """
from passgen.jobs.report import ReportWriter
def save(self, *args, **kwargs):
    die()
ReportWriter.save = save
""",
    "all-renamed": """
def complete_batch(self, batch_id):
    die()
Ledger.complete_batch = complete_batch
""",
}
CRASH_PRELUDE = """
import os, signal
from passgen.jobs.ledger import Ledger
def die():
    os.kill(os.getpid(), signal.SIGKILL)
"""

BATCH_SCRIPT = """
import datetime as dt, sys
sys.path.insert(0, {tests!r})
{crash}
from helpers import fixed_key
from pathlib import Path
from passgen.jobs.cards import PrintOptions, run_cards
from passgen.printing.layout import load_template
from passgen.rules import load_rules
run_cards([Path({roster!r})], fixed_key(), Path({out!r}), load_rules(),
          PrintOptions(load_template(), sheets_per_volume=1), dt.date(2020, 3, 25),
          ledger=Path({ledger!r}))
"""


def start_batch(tmp: Path, name: str, rows: list[dict[str, Any]], ledger: Path,
                crash_at: str = "") -> subprocess.Popen[bytes]:
    roster = write_roster(tmp / f"{name}.xlsx", rows)
    crash = CRASH_PRELUDE + CRASH_AT[crash_at] if crash_at else ""
    script = BATCH_SCRIPT.format(tests=str(TESTS), roster=str(roster),
                                 out=str(tmp / name), ledger=str(ledger), crash=crash)
    return subprocess.Popen([sys.executable, "-c", script], cwd=tmp, env={**os.environ},
                            stderr=subprocess.PIPE)


def people(prefix: str, count: int, offset: int) -> list[dict[str, Any]]:
    return [row(姓名=f"{prefix}{i}", 身份证号=make_id(dt.date(1940, 1, 1) +
                                                 dt.timedelta(days=offset + i), i))
            for i in range(count)]


def test_two_batches_at_once(tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    one = start_batch(tmp_path, "one", people("甲", 60, 0), ledger)
    two = start_batch(tmp_path, "two", people("乙", 60, 1000), ledger)
    for proc in (one, two):
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    with Ledger(ledger) as opened:
        assert len(opened.cards()) == 120
        assert opened.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        batches = opened.db.execute("SELECT status FROM batches").fetchall()
    assert batches == [("complete",), ("complete",)]
    assert serials_printed(tmp_path / "one") | serials_printed(tmp_path / "two") == \
        {c.serial for c in Ledger(ledger).cards()}


@pytest.mark.parametrize("point", ["pdfs-written", "ledger-pending", "first-renamed",
                                   "report-saving", "all-renamed"])
def test_killed_batch_leaves_ledger_and_pdfs_consistent(tmp_path: Path, point: str) -> None:
    ledger = tmp_path / "l.sqlite"
    batch(tmp_path, people("丙", 5, 3000), ledger, out="earlier")  # an earlier, finished batch
    proc = start_batch(tmp_path, "crash", people("丁", 25, 0), ledger, crash_at=point)
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    with Ledger(ledger) as opened:
        assert {s for (s,) in opened.db.execute("SELECT status FROM batches")} == \
            {"complete"} | ({"pending"} if point != "pdfs-written" else {"started"})
        if point in ("pdfs-written", "ledger-pending"):  # temporary volumes are private
            parts = list((tmp_path / "crash").glob(".*.part"))
            assert parts and all(p.stat().st_mode & 0o077 == 0 for p in parts)
        if point == "ledger-pending":  # opening the ledger moved no file
            assert list((tmp_path / "crash").glob(".*.part"))
            assert not list((tmp_path / "crash").glob("cards-*.pdf"))
    # recovery is an explicit step: passgen ledger recover (every batch also runs it first)
    recovered = CliRunner().invoke(cli, ["ledger", "recover", "--ledger", str(ledger)])
    assert recovered.exit_code == ExitStatus.OK and ": 1" in recovered.output
    if point == "pdfs-written":  # (#29) its volumes, valid cards no ledger knows, removed
        assert "已撤销" in recovered.output
    else:  # said, not done in silence: finished, and its lost report rebuilt
        from openpyxl import load_workbook
        report = load_workbook(tmp_path / "crash" / "report.xlsx")
        lines = list(report["逐行结果"].iter_rows(min_row=2, values_only=True))
        assert "已补完" in recovered.output and len(lines) == 25
        if point == "all-renamed":  # (#29) its own report was written before "complete"
            assert "已按登记册重建" not in recovered.output
            assert all(line[5] == "已制卡" and line[3] for line in lines)  # with names
        else:
            assert "已按登记册重建" in recovered.output
            assert all(line[5] == "已制卡" and not line[3] for line in lines)
    with Ledger(ledger) as opened:
        recorded = {c.serial for c in opened.cards()}
        statuses = {s for (s,) in opened.db.execute("SELECT status FROM batches")}
    printed = serials_printed(tmp_path / "crash") | serials_printed(tmp_path / "earlier")
    assert printed == recorded
    assert statuses == {"complete"} | ({"abandoned"} if point == "pdfs-written" else set())
    expected_new = 0 if point == "pdfs-written" else 25
    assert len(recorded) == 5 + expected_new
    assert not list((tmp_path / "crash").glob(".*.part"))  # no valid card outside the ledger


def test_a_second_batch_into_the_same_folder_is_refused_and_deletes_nothing(
        tmp_path: Path) -> None:
    """Held here as a running batch holds it: the second batch's start-up sweep must not
    touch the first one's temporary volume, and it must not write anything."""
    from passgen.errors import OutputBusy
    from passgen.jobs.cards import batch_lock

    out = tmp_path / "out"
    out.mkdir()
    theirs = out / ".pg-0123456789ab-otherbatch.part"
    theirs.write_bytes(b"%PDF- a volume being written")
    with batch_lock(out, tmp_path / "l.sqlite"):  # the same ledger too: refused, not queued
        with pytest.raises(OutputBusy) as info:
            batch(tmp_path, ROWS, tmp_path / "l.sqlite")
        assert "正被另一个批次使用" in info.value.zh and str(out) in info.value.en
        assert theirs.exists() and sorted(p.name for p in out.iterdir()) == [
            ".pg-0123456789ab-otherbatch.part", ".pg-batch.lock", f".pg-tmp-{os.getpid()}"]
    result = batch(tmp_path, ROWS, tmp_path / "l.sqlite")  # once free: the orphan is swept
    assert not theirs.exists() and result.totals.cards == 3
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_a_batch_waits_for_the_ledger_and_says_so(tmp_path: Path) -> None:
    import threading

    from passgen.errors import OutputBusy
    from passgen.files import exclusive
    from passgen.jobs.cards import ledger_lock

    ledger = tmp_path / "l.sqlite"
    waiting = threading.Event()
    results: list[Any] = []

    class Said:
        def start(self, label: str, total: int | None) -> None:
            if "waiting" in label:
                waiting.set()

        def advance(self, n: int) -> None: ...
        def finish(self) -> None: ...

    def run() -> None:
        roster = write_roster(tmp_path / "r.xlsx", ROWS)
        results.append(run_collecting([roster], fixed_key(), tmp_path / "out", load_rules(),
                                      TEMPLATE, AS_OF, ledger=ledger, progress=Said()))

    with exclusive(ledger_lock(ledger), OutputBusy("", "")):  # another batch has the ledger
        worker = threading.Thread(target=run)
        worker.start()
        assert waiting.wait(60)
        assert not results  # still waiting, nothing written into the ledger
    worker.join(120)
    assert results and results[0].totals.cards == 3


KILLED_WITH_WORKERS = """
import datetime as dt, os, signal, sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from helpers import fixed_key
from passgen.jobs.cards import PrintOptions, run_cards
from passgen.jobs.volumes import Volumes
from passgen.printing.layout import load_template
from passgen.rules import load_rules

def finish(self):  # every row is read, the pool still works: tell the test who lives
    children = []
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{{task}}/children") as fh:
            children += fh.read().split()
    Path({pids!r}).write_text(" ".join(children))
    os.kill(os.getpid(), signal.SIGKILL)
Volumes.finish = finish
run_cards([Path({roster!r})], fixed_key(), Path({out!r}), load_rules(),
          PrintOptions(load_template(), jobs=2), dt.date(2020, 3, 25), ledger=Path({ledger!r}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and PR_SET_PDEATHSIG")
def test_a_killed_batch_leaves_no_process_and_no_temporary_file_behind(tmp_path: Path) -> None:
    """SIGKILL to the main process of a --jobs 2 batch: its workers and report process
    end with it (they used to wait forever), and the report's temporary files, which hold
    names, stay inside the locked output folder, where the next batch removes them."""
    import time

    roster = write_roster(tmp_path / "r.xlsx", people("戊", 40, 0))
    pids = tmp_path / "pids.txt"
    script = KILLED_WITH_WORKERS.format(tests=str(TESTS), roster=str(roster),
                                        out=str(tmp_path / "out"), ledger=str(tmp_path / "l.sqlite"),
                                        pids=str(pids))
    before = set(Path(tempfile_dir()).glob("openpyxl*"))
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    children = [int(p) for p in pids.read_text().split()]
    assert len(children) >= 3  # two workers and the report process
    deadline = time.monotonic() + 20
    while any(alive(p) for p in children) and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for an event (their exit), with a deadline
    assert not any(alive(p) for p in children)
    assert set(Path(tempfile_dir()).glob("openpyxl*")) == before  # nothing in /tmp
    assert list((tmp_path / "out").glob(".pg-tmp-*"))  # the killed batch's scratch
    again = batch(tmp_path, people("戊", 40, 0), tmp_path / "l.sqlite")
    assert again.totals.cards == 40
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def tempfile_dir() -> str:
    import tempfile

    return tempfile.gettempdir()


def test_recovery_never_deletes_a_same_named_file_of_another_batch(tmp_path: Path) -> None:
    """A batch journalled, then killed; its temporary volumes are swept and another batch
    (another ledger) writes a file of the same final name.  Undoing the first must not
    delete the second's file: the journal knows its own files' sizes."""
    ledger = tmp_path / "l.sqlite"
    proc = start_batch(tmp_path, "crash", people("丁", 25, 0), ledger, crash_at="ledger-pending")
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    folder = tmp_path / "crash"
    temporary = list(folder.glob(".pg-*.part"))
    assert temporary
    for path in temporary:
        path.unlink()  # what another batch's sweep does
    theirs = folder / "cards-桂花社区-001.pdf"
    theirs.write_bytes(b"%PDF- another batch's volume")
    recovered = CliRunner().invoke(cli, ["ledger", "recover", "--ledger", str(ledger)])
    assert recovered.exit_code == ExitStatus.OK and "已撤销" in recovered.output
    assert theirs.read_bytes() == b"%PDF- another batch's volume"
    with Ledger(ledger) as opened:
        assert opened.cards() == []


def test_a_crafted_journal_is_refused_and_touches_nothing(tmp_path: Path) -> None:
    """Issue #29 finding 1: a pending batch whose journal names an absolute path, a ../ pair
    or a name passgen never makes: ``ledger recover`` and the start of ``cards`` refuse it,
    say so, and no file anywhere is deleted, renamed or written."""
    import json
    import uuid

    ledger = tmp_path / "l.sqlite"
    batch(tmp_path, ROWS, ledger)  # a real ledger of this key
    victim, other = tmp_path / "victim.txt", tmp_path / "other.txt"
    victim.write_text("mine", encoding="utf-8")
    other.write_text("also mine", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for files in ([[str(victim), "cards-x-001.pdf", 4]],
                  [["../victim.txt", "../other.txt", 4]],
                  [[".pg-0123456789ab-x.part", "report.xlsx", None]]):
        batch_id = uuid.uuid4().hex
        with Ledger(ledger) as opened:
            opened.db.execute("INSERT INTO batches (id, started_at, issuer, kid, card_count, "
                              "status, out_dir, files) VALUES (?, 0, 'NC-TEST-01', x'00', 0, "
                              "'pending', ?, ?)", (batch_id, str(elsewhere), json.dumps(files)))
        said = CliRunner().invoke(cli, ["ledger", "recover", "--ledger", str(ledger)])
        assert said.exit_code == ExitStatus.OK and "passgen 不会写的文件" in said.output
        assert victim.read_text(encoding="utf-8") == "mine"
        assert other.read_text(encoding="utf-8") == "also mine"
        assert sorted(elsewhere.iterdir()) == []  # no report, no manifest written there
        with Ledger(ledger) as opened:
            opened.db.execute("DELETE FROM batches WHERE id = ?", (batch_id,))
    batch_id = uuid.uuid4().hex  # a crafted batch, and a batch by another office's key
    with Ledger(ledger) as opened:
        opened.db.execute("INSERT INTO batches (id, started_at, issuer, kid, card_count, "
                          "status, out_dir, files) VALUES (?, 0, 'X', x'00', 0, 'pending', ?, ?)",
                          (batch_id, str(tmp_path), json.dumps([["../victim.txt",
                                                                 "cards-a-001.pdf", 4]])))
    from passgen.errors import LedgerError
    from passgen.jobs.cards import run_cards

    with pytest.raises(LedgerError):
        run_cards([write_roster(tmp_path / "r2.xlsx", ROWS)], fixed_key("office-b"),
                  tmp_path / "out-b", load_rules(), TEMPLATE, AS_OF, ledger=ledger)
    assert victim.read_text(encoding="utf-8") == "mine"
    with Ledger(ledger) as opened:
        assert opened.db.execute("SELECT status FROM batches WHERE id = ?",
                                 (batch_id,)).fetchone() == ("pending",)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX pipes")
def test_devices_and_pipes_are_never_read_as_rosters_keys_or_lists(tmp_path: Path) -> None:
    """Issue #29 finding 6: /dev/zero grew until MemoryError, a FIFO hung.  Only regular
    files are read: each is refused at once, in plain words."""
    fifo = tmp_path / "roster.xlsx"
    os.mkfifo(fifo)
    for roster in (fifo, Path("/dev/zero")):
        status = CliRunner().invoke(cli, ["roster", "check", str(roster), "--out",
                                          str(tmp_path / "o"), "--as-of", "2020-03-25"])
        assert status.exit_code == ExitStatus.ERROR and "不是普通文件" in status.output
    pipe_key = tmp_path / "office.pem"
    os.mkfifo(pipe_key)
    with pytest.raises(KeyFileError):
        keys.load_signing(pipe_key, b"passphrase-1234")
    with pytest.raises(KeyFileError):
        keys.read_trust(Path("/dev/zero"))
    trust = tmp_path / "trust.json"
    keys.write_trust([fixed_key().entry], trust)
    with pytest.raises(KeyFileError):
        revocation.load([Path("/dev/zero")], keys.read_trust(trust))
    from passgen.intake.estimate import estimate_rows

    assert estimate_rows(Path("/dev/zero")) is None and estimate_rows(fifo) is None


def test_a_damaged_empty_or_linked_ledger_is_refused_before_anything_changes(
        tmp_path: Path) -> None:
    """Issue #29 finding 7: a ledger failing SQLite's integrity check was written into, a
    zero-byte one taken as new, a symlinked one's target chmod'ed before the refusal."""
    import hashlib

    from passgen.errors import LedgerError

    ledger = tmp_path / "l.sqlite"
    batch(tmp_path, ROWS, ledger)
    with Ledger(ledger) as opened:  # a page of the cards' pseudonym index, garbled
        page = opened.db.execute("SELECT rootpage FROM sqlite_master WHERE name = "
                                 "'cards_pseudonym'").fetchone()[0]
        size = opened.db.execute("PRAGMA page_size").fetchone()[0]
        opened.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(ledger.read_bytes())
    start = (page - 1) * size
    data[start + 8:start + 200] = bytes(range(192))
    ledger.write_bytes(bytes(data))
    before = hashlib.sha256(ledger.read_bytes()).hexdigest()
    with pytest.raises(LedgerError) as damaged:
        batch(tmp_path, ROWS, ledger, out="again")
    assert "已损坏" in damaged.value.zh and "备份" in damaged.value.zh
    assert hashlib.sha256(ledger.read_bytes()).hexdigest() == before
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    with pytest.raises(LedgerError) as truncated:
        Ledger(empty)
    assert "空文件" in truncated.value.zh and empty.stat().st_size == 0
    target = tmp_path / "target.sqlite"
    batch(tmp_path, ROWS, target, out="t")
    target.chmod(0o644)
    link = tmp_path / "link.sqlite"
    link.symlink_to(target)
    with pytest.raises(LedgerError) as linked:
        Ledger(link)
    assert "链接" in linked.value.zh and target.stat().st_mode & 0o777 == 0o644


def test_ctrl_c_while_the_report_is_saved_says_the_batch_is_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #29 finding 4: the PDFs were final and every card in the ledger, and Ctrl-C
    said 没有制成任何卡片.  The report is now written before the batch is marked complete: the
    clerk is told the batch is kept, and recovery finishes it with report and manifest."""
    from passgen.errors import Interrupted
    from passgen.jobs.ledger_tasks import recover_ledger
    from passgen.jobs.report import ReportWriter

    def interrupted_save(self: Any, *args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    ledger = tmp_path / "l.sqlite"
    monkeypatch.setattr(ReportWriter, "save", interrupted_save)
    with pytest.raises(Interrupted) as said:
        batch(tmp_path, ROWS, ledger)
    assert "本批次已记入登记册" in said.value.zh and "没有制成" not in said.value.zh
    monkeypatch.undo()
    [(done, rebuilt)] = recover_ledger(ledger)
    assert done.finished and rebuilt
    out = tmp_path / "out"
    assert (out / "report.xlsx").exists() and (out / "passgen-batch.json").exists()
    assert serials_printed(out) == {c.serial for c in Ledger(ledger).cards()}


@pytest.mark.parametrize("planted", [
    "CREATE TRIGGER keep AFTER INSERT ON revocations BEGIN "
    "DELETE FROM revocations WHERE rowid = new.rowid; END",
    "CREATE VIEW everyone AS SELECT * FROM cards",
    "CREATE INDEX mine ON cards(colour)",
    "CREATE TABLE extra (x)",
], ids=["trigger", "view", "index", "table"])
def test_a_ledger_holding_what_passgen_never_makes_is_refused(tmp_path: Path,
                                                               planted: str) -> None:
    """Issue #36 finding 3: a trigger planted in the ledger swallowed a revocation: revoke
    said "revoked: 2 cards", the export held 1, the checkpoint showed the card valid.  Every
    object of the ledger is checked against what the migrations make, before any write."""
    import hashlib

    from passgen.errors import LedgerError

    ledger = tmp_path / "l.sqlite"
    made = batch(tmp_path, ROWS, ledger)
    db = sqlite3.connect(ledger)
    db.execute(planted)
    db.commit()
    db.close()  # the last connection: its WAL is checkpointed into the file now
    before = hashlib.sha256(ledger.read_bytes()).hexdigest()
    serial = made.outcomes[0].card.claims.serial.hex()
    ran = CliRunner().invoke(cli, ["revoke", serial, "--reason", "lost", "--ledger",
                                   str(ledger)])
    assert ran.exit_code == ExitStatus.ERROR, ran.output
    assert "passgen 不会建立" in ran.output and planted.split()[2] in ran.output
    with pytest.raises(LedgerError):
        batch(tmp_path, ROWS, ledger, out="again")
    assert hashlib.sha256(ledger.read_bytes()).hexdigest() == before


def test_the_report_and_the_manifest_are_private_like_the_pdfs(tmp_path: Path) -> None:
    """Issue #36 finding 6: report.xlsx (names, colours, deciding clauses) was 0644 while
    the PDFs were 0600."""
    import stat

    made = batch(tmp_path, ROWS, tmp_path / "l.sqlite")
    folder = made.report.parent
    for path in (made.report, folder / "passgen-batch.json", *made.pdfs):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
