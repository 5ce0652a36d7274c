"""The issuance ledger (SQLite): every card issued, re-issue, revocation, crash recovery.

The ledger never holds an ID number or a name: a resident is a pseudonym, the HMAC-SHA-256 of
the ID number under a secret sealed to the office's signing keys (``jobs.pseudonyms``), and
the file is readable by its owner only.  A batch is journalled: its PDFs are
written under temporary names, its cards committed as *pending* with the list of files, the
files renamed into place, and the batch marked complete.  ``Ledger.recover`` finishes or
undoes a batch that was interrupted, so printed PDFs and ledger rows always agree: every
batch runs it first, ``passgen ledger recover`` by hand.  Opening a ledger never touches a
file outside it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from passgen.dates import day_of, day_start
from passgen.errors import LedgerError
from passgen.files import (
    fsync_dir,
    private_file,
    remove,
    replace,
)
from passgen.jobs import pseudonyms
from passgen.jobs.ledger_facts import seal, unseal
from passgen.jobs.ledger_records import BATCH_ID, BatchStatus, journal_entries, sweep_parts
from passgen.jobs.ledger_records import CardRecord as CardRecord  # re-exported
from passgen.jobs.ledger_records import Filters as Filters
from passgen.jobs.ledger_records import LedgerCard as LedgerCard
from passgen.jobs.ledger_records import Recovered as Recovered
from passgen.jobs.ledger_records import ledger_lock as ledger_lock
from passgen.jobs.ledger_records import parse_serial as parse_serial
from passgen.jobs.ledger_schema import MIGRATIONS, SCHEMA_VERSION, check_schema
from passgen.jobs.pseudonyms import rollback
from passgen.models import Colour, Record, legacy, short_serial
from passgen.passes.keys import SigningKey

BUSY_TIMEOUT_MS = 30_000


class Ledger:
    """An open ledger.  Use as a context manager; every write is one short transaction."""

    def __init__(self, path: Path, key: SigningKey | None = None) -> None:
        """Open (or create) the ledger at ``path``; with the office's signing ``key`` its
        pseudonym secret is unlocked, which finding a resident's cards needs."""
        self.path = path
        if path.is_symlink():  # refused before anything is changed, its target's mode too
            raise LedgerError(f"登记册 {path} 是一个链接：请直接给出登记册文件本身（--ledger）",
                              f"ledger {path} is a symbolic link: give the ledger file itself")
        if path.exists() and (not path.is_file() or path.stat().st_size == 0):
            raise LedgerError(
                f"登记册 {path} 是空文件或不是普通文件：它可能在写入时被截断或已损坏。请从备份恢复；"
                "确实要新建时，先把这个文件移走",
                f"ledger {path} is empty or not a regular file: it may have been truncated or "
                "damaged. Restore it from a backup; to start a new one, move this file away")
        try:
            private_file(path)
            self.db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000,
                                      isolation_level=None)
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = FULL")
            self.db.execute("PRAGMA foreign_keys = ON")
            try:
                self._migrate()
                self.secret = pseudonyms.unlock(self.db, key)
            except BaseException:
                self.db.close()
                raise
        except OSError as exc:
            raise LedgerError(f"无法打开登记册 {path}（{exc.strerror}）",
                              f"cannot open ledger {path}: {exc.strerror}") from None
        except sqlite3.DatabaseError as exc:
            raise LedgerError(f"无法打开登记册 {path}（{exc}）",
                              f"cannot open ledger {path}: {exc}") from None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # --- schema -------------------------------------------------------------------------
    def _migrate(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise LedgerError(f"登记册 {self.path} 由更新版本的passgen创建（版本{version}）",
                                  f"ledger {self.path} is from a newer passgen "
                                  f"(schema {version}); upgrade passgen")
            check_schema(self.db, version, self.path)  # before anything is written
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[target]:
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {target}")
            self.db.execute("COMMIT")
        except BaseException:
            rollback(self.db)
            raise

    def check_integrity(self) -> None:
        """Refuse a damaged ledger before a batch writes into it (SQLite's integrity check)."""
        try:
            found = self.db.execute("PRAGMA integrity_check(3)").fetchall()
        except sqlite3.DatabaseError as exc:
            found = [(str(exc),)]
        if found != [("ok",)]:
            detail = "；".join(str(r[0]) for r in found)[:200]
            raise LedgerError(f"登记册 {self.path} 已损坏（{detail}）：没有写入任何内容。请从备份恢复",
                              f"ledger {self.path} is damaged ({detail}); nothing was written. "
                              "Restore it from a backup")

    def pseudonym(self, id_number: str) -> bytes:
        """The resident's stand-in: HMAC-SHA-256(ledger secret, ID number)."""
        if self.secret is None:
            raise LedgerError("按身份证号查找登记册需要机构的签名密钥（--key）",
                              "finding a resident in the ledger needs the office's signing "
                              "key (--key)")
        return hmac.new(self.secret, id_number.encode(), hashlib.sha256).digest()

    # --- batches ------------------------------------------------------------------------
    def begin_batch(self, batch_id: str, issuer: str, kid: bytes, cards: Sequence[CardRecord],
                    files: Sequence[tuple[str, str]], out_dir: Path, now: int) -> list[bytes]:
        """Record a batch whose PDFs are written under temporary names (``files`` holds
        (temporary, final) names in ``out_dir``): its cards, and the revocation of every
        unexpired card of the same residents that would let them through where the new one
        would not (a better colour, or a longer validity).  Returns the serials revoked.
        The batch stays *pending* until ``complete_batch``."""
        superseded: list[bytes] = []
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("DELETE FROM batches WHERE id = ? AND status = ?",
                            (batch_id, BatchStatus.STARTED.value))
            self.db.execute(
                "INSERT INTO batches (id, started_at, issuer, kid, card_count, status, out_dir,"
                " files) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (batch_id, now, issuer, kid, len(cards), BatchStatus.PENDING.value,
                 str(out_dir.resolve()),
                 json.dumps([(tmp, final, (out_dir / tmp).stat().st_size)  # sizes: whose
                             for tmp, final in files], ensure_ascii=False)))  # file it is
            for card in cards:
                c, w = card.claims, card.where
                pseudonym = self.pseudonym(card.id_number)
                # an earlier card that would let its holder through where the new one would
                # not: a better colour, or valid for longer (issue #37: one of the same or a
                # worse colour, ending no later, needs no entry in the lists)
                older = self.db.execute(
                    "SELECT serial FROM cards WHERE pseudonym = ? AND serial != ? AND expires > ?"
                    " AND (colour < ? OR expires > ?)"
                    " AND serial NOT IN (SELECT serial FROM revocations)",
                    (pseudonym, c.serial, c.issued_at, int(c.colour), c.expires)).fetchall()
                facts = None if card.record is None or self.secret is None else \
                    seal(self.secret, c.serial, card.record)
                try:
                    self.db.execute(
                        "INSERT INTO cards (serial, issuer, kid, pseudonym, community, colour,"
                        " clauses, rules_version, issued_at, expires, batch_id, source_file,"
                        " source_sheet, source_row, facts, seq)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (c.serial, c.issuer, kid, pseudonym, card.community, int(c.colour),
                         card.clauses, c.rules_version, c.issued_at, c.expires, batch_id,
                         w.file, w.sheet, w.row, facts, card.seq))
                except sqlite3.IntegrityError:  # a serial is one issuance's (DESIGN.md §5)
                    raise LedgerError(
                        f"登记册中已有编号 {short_serial(c.serial)} 的卡（或同一发卡序号）：没有写入"
                        "本批次。请再运行一次本命令",
                        f"the ledger already holds serial {short_serial(c.serial)} (or its "
                        "issuance number): nothing of this batch was recorded; run it again"
                    ) from None
                for (serial,) in older:
                    self.db.execute(
                        "INSERT OR IGNORE INTO revocations VALUES (?, ?, ?, ?)",
                        (serial, now, f"superseded by {c.serial.hex().upper()}", c.serial))
                    superseded.append(bytes(serial))
            self.db.execute("COMMIT")
        except BaseException:
            rollback(self.db)
            raise
        return superseded

    def start_batch(self, batch_id: str, issuer: str, kid: bytes, out_dir: Path,
                    now: int) -> None:
        """Journal a batch before its first volume is written: if it is killed before its
        cards are recorded, recovery removes the volumes it left (they hold valid cards that
        no ledger knows), by the temporary names this batch's id gives them."""
        self.db.execute(
            "INSERT INTO batches (id, started_at, issuer, kid, card_count, status, out_dir,"
            " files) VALUES (?, ?, ?, ?, 0, ?, ?, '[]')",
            (batch_id, now, issuer, kid, BatchStatus.STARTED.value, str(out_dir.resolve())))

    def forget_started(self, batch_id: str) -> None:
        """A batch that failed before recording its cards (its volumes were removed)."""
        self.db.execute("UPDATE batches SET status = ? WHERE id = ? AND status = ?",
                        (BatchStatus.ABANDONED.value, batch_id, BatchStatus.STARTED.value))

    def complete_batch(self, batch_id: str) -> None:
        self.db.execute("UPDATE batches SET status = ? WHERE id = ?",
                        (BatchStatus.COMPLETE.value, batch_id))

    def abandon_batch(self, batch_id: str) -> None:
        """Undo a batch whose PDFs did not all reach their final names."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("DELETE FROM revocations WHERE superseded_by IN "
                            "(SELECT serial FROM cards WHERE batch_id = ?)", (batch_id,))
            self.db.execute("DELETE FROM revocations WHERE serial IN "
                            "(SELECT serial FROM cards WHERE batch_id = ?)", (batch_id,))
            self.db.execute("DELETE FROM cards WHERE batch_id = ?", (batch_id,))
            self.db.execute("UPDATE batches SET status = ? WHERE id = ?",
                            (BatchStatus.ABANDONED.value, batch_id))
            self.db.execute("COMMIT")
        except BaseException:
            rollback(self.db)
            raise

    def recover(self) -> list[Recovered]:
        """Finish or undo batches an earlier run left pending; say what became of each."""
        pending = self.db.execute(
            "SELECT id, out_dir, files, status FROM batches WHERE status IN (?, ?)",
            (BatchStatus.PENDING.value, BatchStatus.STARTED.value)).fetchall()
        done = []
        for batch_id, out_dir, files, status in pending:
            folder = Path(out_dir)
            if status == BatchStatus.STARTED.value:  # killed before its cards were recorded
                done.append(self._sweep_started(batch_id, folder))
                continue
            entries, why = journal_entries(batch_id, files)
            if why:  # a journal naming anything else is not followed (issue #29)
                done.append(Recovered(batch_id, False, folder, (), why))
                continue
            for tmp, final, _ in entries:
                if (folder / tmp).exists():
                    replace(folder / tmp, folder / final)  # held open: stays pending

            def ours(final: str, size: int | None, folder: Path = folder) -> bool:
                """A file of this batch under ``final``, not another's of the same name."""
                path = folder / final
                return path.is_file() and (size is None or path.stat().st_size == size)

            finished = all(ours(final, size) for _, final, size in entries)
            if finished:
                if entries:
                    fsync_dir(folder)
                self.complete_batch(batch_id)
            else:  # a temporary file was removed: nothing of this batch stands
                for _, final, size in entries:
                    if ours(final, size):
                        remove(folder / final)
                self.abandon_batch(batch_id)
            sweep_parts(folder, batch_id)  # its report's or manifest's, cut short by the kill
            done.append(Recovered(batch_id, finished, folder, tuple(e[1] for e in entries)))
        return done

    def _sweep_started(self, batch_id: str, folder: Path) -> Recovered:
        """Remove the temporary volumes a batch killed before journalling its cards left:
        only names ``temporary_name`` gives for this batch's id, in its own folder."""
        if not BATCH_ID.fullmatch(batch_id):
            return Recovered(batch_id, False, folder, (), "记录无法读取 unreadable journal")
        removed = sweep_parts(folder, batch_id)
        self.forget_started(batch_id)
        return Recovered(batch_id, False, folder, tuple(removed))

    def previous_for(self, id_number: str, as_of: dt.date | None = None) -> Record | None:
        """The facts kept with the last card issued to ``id_number`` (found by its
        pseudonym, as re-issue finds it) on or before ``as_of`` (the ledger as it stood that
        day; any day if None), a corrected card left out.  A card from before facts were
        kept gives its colour, held since the first card of its run.  None if the office
        had issued none by then; LedgerError if its facts do not open."""
        before = day_start(as_of + dt.timedelta(days=1)) if as_of is not None else 2 ** 62
        rows = self.db.execute(
            "SELECT colour, issued_at, facts, serial FROM cards WHERE pseudonym = ? AND"
            " issued_at < ? AND corrected IS NULL ORDER BY issued_at DESC, rowid DESC",
            (self.pseudonym(id_number), before))
        first = next(rows, None)
        if first is None:
            return None
        colour, issued, facts, serial = first
        if facts is not None:
            assert self.secret is not None  # pseudonym() needed it
            return unseal(self.secret, bytes(serial), bytes(facts))
        began = issued
        for other, issued_at, _, _ in rows:
            if other != colour:
                break
            began = issued_at
        return legacy(day_of(issued), Colour(colour), day_of(began), bytes(serial))

    def later_card(self, id_number: str, as_of: dt.date) -> tuple[bytes, dt.date] | None:
        """The serial and day of the newest card issued to ``id_number`` after ``as_of``,
        if any: a batch dated before it would rewrite history (DESIGN.md §4)."""
        found = self.db.execute(
            "SELECT serial, issued_at FROM cards WHERE pseudonym = ? AND issued_at >= ?"
            " AND corrected IS NULL ORDER BY issued_at DESC, rowid DESC LIMIT 1",
            (self.pseudonym(id_number), day_start(as_of + dt.timedelta(days=1)))).fetchone()
        return None if found is None else (bytes(found[0]), day_of(found[1]))

    def next_issuance(self) -> int:
        """The issuance number the next card takes (one more than any so far)."""
        return int(self.db.execute("SELECT coalesce(max(seq), 0) + 1 FROM cards").fetchone()[0])

    # --- revocation ---------------------------------------------------------------------
    def revoke(self, serials: Iterable[bytes], reason: str, now: int) -> list[bytes]:
        """Revoke cards by serial; returns serials the ledger does not know (nothing is
        revoked then)."""
        wanted = list(dict.fromkeys(serials))
        self.db.execute("BEGIN IMMEDIATE")
        try:
            unknown = [s for s in wanted if self.db.execute(
                "SELECT 1 FROM cards WHERE serial = ?", (s,)).fetchone() is None]
            if not unknown:
                for serial in wanted:
                    self.db.execute("INSERT OR IGNORE INTO revocations VALUES (?, ?, ?, NULL)",
                                    (serial, now, reason))
            self.db.execute("COMMIT")
        except BaseException:
            rollback(self.db)
            raise
        return unknown

    def revoked_serials(self, issuer: str, now: int) -> list[bytes]:
        """Serials of this issuer's revoked cards that have not expired yet, sorted."""
        rows = self.db.execute(
            "SELECT r.serial FROM revocations r JOIN cards c ON c.serial = r.serial"
            " WHERE c.issuer = ? AND c.expires > ? ORDER BY r.serial", (issuer, now))
        return [bytes(s) for (s,) in rows]

    def signed_by(self, kid: bytes) -> bool:
        """Whether any card of this ledger was signed by the key ``kid``."""
        return self.db.execute("SELECT 1 FROM cards WHERE kid = ? LIMIT 1",
                               (kid,)).fetchone() is not None

    def exported_unexpired(self, issuer: str, now: int) -> set[bytes]:
        """Serials an earlier export of ``issuer``'s list held whose cards are unexpired."""
        return {bytes(s) for (s,) in self.db.execute(
            "SELECT serial FROM exported WHERE issuer = ? AND expires > ?", (issuer, now))}

    def record_export(self, issuer: str, serials: Iterable[bytes], now: int) -> None:
        """Remember what an exported list held (with each card's expiry)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for serial in serials:
                self.db.execute(
                    "INSERT OR IGNORE INTO exported SELECT serial, issuer, expires, ?"
                    " FROM cards WHERE serial = ?", (now, serial))
            self.db.execute("COMMIT")
        except BaseException:
            rollback(self.db)
            raise

    # --- queries ------------------------------------------------------------------------
    def cards(self, f: Filters = Filters()) -> list[LedgerCard]:  # noqa: B008 (frozen)
        """Cards matching every filter given, oldest first."""
        where: list[str] = []
        args: list[object] = []
        for clause, value in (("c.community = ?", f.community), ("c.colour = ?", f.colour),
                              ("c.issued_at >= ?", f.issued_from),
                              ("c.issued_at < ?", f.issued_before),
                              ("c.serial = ?", f.serial), ("c.pseudonym = ?", f.pseudonym)):
            if value is not None:
                where.append(clause)
                args.append(value)
        if f.batch:  # a batch id or its first characters, as ledger list shows them
            where.append("substr(c.batch_id, 1, ?) = ?")
            args += [len(f.batch), f.batch]
        sql = ("SELECT c.serial, c.issuer, c.kid, c.community, c.colour, c.clauses,"
               " c.rules_version, c.issued_at, c.expires, c.batch_id, c.source_file,"
               " c.source_sheet, c.source_row, r.revoked_at, r.reason FROM cards c"
               " LEFT JOIN revocations r ON r.serial = c.serial")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY c.issued_at, c.batch_id, c.source_file, c.source_sheet, c.source_row"
        return [LedgerCard(bytes(r[0]), r[1], bytes(r[2]), r[3], r[4], r[5], bytes(r[6]), r[7],
                           r[8], r[9], r[10], r[11], r[12], r[13], r[14])
                for r in self.db.execute(sql, args)]
