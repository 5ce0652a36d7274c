"""What the ledger commands do (``passgen ledger …``): list, show, recover, add a key,
correct a card."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from passgen.dates import day_of, day_start
from passgen.errors import LedgerError, OutputBusy
from passgen.files import exclusive
from passgen.folders import DEFAULT_LEDGER as DEFAULT_LEDGER
from passgen.folders import DEFAULT_LEDGER_SHOWN as DEFAULT_LEDGER_SHOWN
from passgen.folders import LEDGER_ENV as LEDGER_ENV  # re-exported: where they used to be
from passgen.folders import default_ledger as default_ledger
from passgen.jobs import manifest, pseudonyms
from passgen.jobs.ledger import (
    Filters,
    Ledger,
    LedgerCard,
    Recovered,
    ledger_lock,
    parse_serial,
)
from passgen.jobs.report import HEADERS, WIDTHS, Outcome, write_table
from passgen.models import Colour, short_serial
from passgen.passes import keys


def card_filters(community: str | None = None, colour: str | None = None,
                 issued_from: dt.date | None = None, issued_to: dt.date | None = None,
                 batch: str | None = None) -> Filters:
    """Filters as a clerk gives them: a colour word (绿码, green, …) and days, inclusive."""
    chosen = Colour.from_word(colour) if colour else None
    return Filters(community=community, colour=None if chosen is None else int(chosen),
                   issued_from=day_start(issued_from) if issued_from else None,
                   issued_before=day_start(issued_to + dt.timedelta(days=1)) if issued_to
                   else None, batch=batch or None)


def card_lines(found: Sequence[LedgerCard]) -> list[str]:
    """``ledger list`` and ``show`` as text: a header, then a line per card, the serial as
    printed on the card."""
    if not found:
        return []
    lines = ["编号 serial           签发 issued  颜色  社区 community  来源 source  批次 batch  "
             "状态 state"]
    for card in found:
        state = f"已吊销 revoked ({card.reason})" if card.revoked_at else "有效 issued"
        lines.append(f"{short_serial(card.serial)}  {day_of(card.issued_at)}  "
                     f"{Colour(card.colour).word}  {card.community}  {card.source_file}·"
                     f"{card.source_sheet}·{card.source_row}  {card.batch_id[:8]}  {state}")
    return lines


def list_cards(path: Path, filters: Filters | None = None) -> list[LedgerCard]:
    """``passgen ledger list``: cards matching ``filters`` (all by default), oldest first."""
    with Ledger(path) as ledger:
        return ledger.cards(filters or Filters())


def find_cards(path: Path, serial: str | None = None, id_number: str | None = None,
               key: keys.SigningKey | None = None) -> list[LedgerCard]:
    """``passgen ledger show``: one card by serial (as printed or hex), or every card of
    the resident with ``id_number`` (which needs the office's signing ``key``, to which the
    pseudonyms' secret is sealed); nothing found is an error."""
    if not path.is_file():
        raise LedgerError(f"找不到登记册 {path}", f"no ledger at {path}")
    with Ledger(path, key) as ledger:
        if serial is not None:
            found = ledger.cards(Filters(serial=parse_serial(serial)))
        else:
            found = ledger.cards(Filters(pseudonym=ledger.pseudonym(
                (id_number or "").strip().upper())))
    if not found:
        raise LedgerError("登记册中没有找到", "not found in the ledger")
    return found


def recover_ledger(path: Path) -> list[tuple[Recovered, bool]]:
    """``passgen ledger recover``: finish or undo batches a crash left pending; each with
    whether a report was rebuilt for it (its own was never written).  A batch running now
    holds the ledger: recovery is refused then, never done under its feet."""
    busy = OutputBusy(f"登记册 {path} 正被一个制卡批次使用：请等它结束后再运行 passgen ledger recover",
                      f"ledger {path} is in use by a running batch: run passgen ledger recover "
                      "once it has finished")
    with exclusive(ledger_lock(path), busy), Ledger(path) as ledger:
        return [(done, settle(ledger, done)) for done in ledger.recover()]


def settle(ledger: Ledger, done: Recovered) -> bool:
    """After recovery: a finished batch gets its lost report rebuilt and its manifest (so
    its folder is known as its own); returns whether a report was rebuilt."""
    if done.refused:  # nothing of a journal that names other files is touched
        return False
    rebuilt = rebuild_report(ledger, done)
    if done.finished and done.out_dir.is_dir() and manifest.read(done.out_dir) is None:
        files = [done.out_dir / f for f in done.files]
        report = done.out_dir / "report.xlsx"
        manifest.write(done.out_dir, done.batch_id, "cards",
                       files + ([report] if report.exists() else []))
    return rebuilt is not None


def rebuild_report(ledger: Ledger, done: Recovered) -> Path | None:
    """The report.xlsx of a finished batch whose own was never written, from what the
    ledger knows: a line per card (source row, colour, clauses, serial), no names, and no
    rejected rows (the ledger holds none).  None if there was nothing to rebuild."""
    path = done.out_dir / "report.xlsx"
    if not done.finished or path.exists() or not done.out_dir.is_dir():
        return None
    cards = ledger.cards(Filters(batch=done.batch_id))
    rows = [[c.source_file, c.source_sheet, c.source_row, "", "", Outcome.CARD.value,
             Colour(c.colour).word, c.clauses, c.serial.hex().upper(), REBUILT]
            for c in sorted(cards, key=lambda c: (c.source_file, c.source_sheet, c.source_row))]
    summary: list[tuple[str, object]] = [
        ("制卡 cards", len(rows)), ("说明 note", f"{REBUILT} / rebuilt from the ledger after "
                                    "a crash: the rows that became cards, without names; "
                                    "rejected rows are not in the ledger"),
        ("批次 batch", done.batch_id)]
    write_table(path, HEADERS, WIDTHS, rows, summary, HEADERS.index("结果"),
                Outcome.REJECTED.value, HEADERS.index("颜色"))
    return path


REBUILT = "批次中断后按登记册重建：只有制了卡的行，不含姓名；未制卡的行不在登记册中"


def add_ledger_key(path: Path, key_path: Path, passphrase: Callable[[], bytes],
                   new_public: Path) -> keys.TrustEntry:
    """``passgen ledger add-key``: seal the ledger's pseudonym secret, opened with the
    current key, to a new key as well (given by its ``.pub.json``), before rotating."""
    if not path.is_file():
        raise LedgerError(f"找不到登记册 {path}", f"no ledger at {path}")
    new = keys.read_entry(new_public)
    key = keys.load_office_key(key_path, passphrase)
    with Ledger(path) as ledger:
        pseudonyms.add_key(ledger.db, key, new)
    return new


def correct_card(path: Path, serial_text: str, reason: str, now: int) -> tuple[bytes, Colour]:
    """``passgen ledger correct``: undo a wrong red or yellow card (DESIGN.md §4).  It is
    revoked with ``reason`` and its facts are no longer anyone's history: the resident's
    next card is decided as if it had never been issued.  Returns its serial and colour."""
    serial = parse_serial(serial_text)
    if not reason.strip():
        raise LedgerError("请用 --reason 写明更正的原因", "give the reason with --reason")
    if not path.exists():
        raise LedgerError(f"登记册 {path} 不存在", f"ledger {path} does not exist")
    with exclusive(ledger_lock(path), OutputBusy(
            f"登记册 {path} 正被一个制卡批次使用，请等它完成", f"ledger {path} is in use by a batch")), \
            Ledger(path) as ledger:
        db = ledger.db
        db.execute("BEGIN IMMEDIATE")
        try:
            found = db.execute("SELECT colour, corrected FROM cards WHERE serial = ?",
                               (serial,)).fetchone()
            why = None if found is not None and found[1] is None and found[0] != Colour.GREEN \
                else ("登记册中没有这张卡", "the ledger holds no such card") if found is None \
                else ("这张卡已经更正过", "it was corrected already") if found[1] is not None \
                else ("绿码卡无需更正：下次制卡按花名册的事实判定",
                      "a green card needs no correction: the next batch takes the roster's facts")
            if why is not None:
                raise LedgerError(f"无法更正 {short_serial(serial)}：{why[0]}",
                                  f"cannot correct {short_serial(serial)}: {why[1]}")
            db.execute("UPDATE cards SET corrected = ? WHERE serial = ?", (reason, serial))
            db.execute("INSERT OR IGNORE INTO revocations VALUES (?, ?, ?, NULL)",
                       (serial, now, f"corrected: {reason}"))
            db.execute("COMMIT")
        except BaseException:
            pseudonyms.rollback(db)
            raise
    return serial, Colour(found[0])


@dataclass(frozen=True)
class BatchInfo:
    """One batch as the ledger knows it (the desk's 历史)."""

    id: str
    started_at: int
    issuer: str
    cards: int
    status: str
    out_dir: Path
    files: tuple[str, ...]  # the batch's PDFs, by their final names


def list_batches(path: Path) -> list[BatchInfo]:
    """Every batch in the ledger at ``path``, newest first (none if there is no ledger)."""
    import json

    if not path.is_file():
        return []
    with Ledger(path) as ledger:
        rows = ledger.db.execute("SELECT id, started_at, issuer, card_count, status, out_dir,"
                                 " files FROM batches ORDER BY started_at DESC, id").fetchall()
    out = []
    for batch_id, started, issuer, cards, status, folder, files in rows:
        try:
            names = tuple(str(f[1]) for f in json.loads(files))
        except (ValueError, TypeError, IndexError):
            names = ()
        out.append(BatchInfo(batch_id, started, issuer, cards, status, Path(folder), names))
    return out
