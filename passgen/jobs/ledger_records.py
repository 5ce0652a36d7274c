"""The plain records the issuance ledger (``jobs.ledger``) takes and hands out: a card as a
batch records it, a card as the ledger knows it (no name, no ID number), the filters of
``ledger list``, and what crash recovery did."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from passgen.dates import SHANGHAI
from passgen.errors import LedgerError
from passgen.files import TEMPORARY_PREFIX, remove, temporary_name
from passgen.models import Card, Claims, Colour, Location, Record


@dataclass(frozen=True, slots=True)
class CardRecord:
    """What a batch hands the ledger of one card: small, so 100,000 of them stay small."""

    claims: Claims
    id_number: str
    community: str
    clauses: str
    where: Location
    record: Record | None = None  # the facts it was decided on, sealed in the ledger
    seq: int | None = None  # its issuance number (DESIGN.md §5)

    @classmethod
    def of(cls, card: Card) -> CardRecord:
        r = card.resident
        return cls(card.claims, r.id_number, r.community, "、".join(card.assessment.clause_ids),
                   r.where, card.assessment.kept, card.issuance or None)


@dataclass(frozen=True)
class LedgerCard:
    """One card as the ledger knows it (no name, no ID number)."""

    serial: bytes
    issuer: str
    kid: bytes
    community: str
    colour: int
    clauses: str
    rules_version: bytes
    issued_at: int
    expires: int
    batch_id: str
    source_file: str
    source_sheet: str
    source_row: int
    revoked_at: int | None
    reason: str | None

    def to_json(self) -> dict[str, object]:
        def when(unix: int | None) -> str | None:
            return None if unix is None else dt.datetime.fromtimestamp(unix, SHANGHAI).isoformat()

        return {"serial": self.serial.hex().upper(), "issuer": self.issuer,
                "kid": self.kid.hex(), "community": self.community,
                "color": Colour(self.colour).english, "clauses": self.clauses,
                "rules_version": self.rules_version.hex(), "issued_at": when(self.issued_at),
                "expires": when(self.expires), "batch": self.batch_id,
                "source": {"file": self.source_file, "sheet": self.source_sheet,
                           "row": self.source_row},
                "revoked_at": when(self.revoked_at), "revocation_reason": self.reason}


@dataclass(frozen=True)
class Filters:
    community: str | None = None
    colour: int | None = None
    issued_from: int | None = None  # unix seconds, inclusive
    issued_before: int | None = None  # unix seconds, exclusive
    batch: str | None = None  # a batch id or a prefix of it
    serial: bytes | None = None
    pseudonym: bytes | None = None


def parse_serial(text: str) -> bytes:
    """A serial as printed (1A2B-3C4D-…) or as hex."""
    clean = text.replace("-", "").replace(" ", "").strip()
    try:
        serial = bytes.fromhex(clean)
    except ValueError:
        serial = b""
    if len(serial) != 8:
        raise LedgerError(f"卡片编号格式错误：{text}（应为16位十六进制，如 1A2B-3C4D-5E6F-7081）",
                          f"not a card serial: {text} (16 hex digits, like 1A2B-3C4D-5E6F-7081)")
    return serial


@dataclass(frozen=True)
class Recovered:
    """A batch a crash left pending, as recovery left it: finished (its PDFs renamed into
    place and its cards kept) or undone (its PDFs and cards removed)."""

    batch_id: str
    finished: bool
    out_dir: Path
    files: tuple[str, ...]
    refused: str = ""  # why the journal was not followed: it names what passgen never writes

    def message(self, rebuilt: bool = False) -> tuple[str, str]:
        names = "、".join(self.files) or "—"
        if self.refused:
            return (f"登记册中未完成的批次 {self.batch_id[:8]} 的记录指向 passgen 不会写的文件（{self.refused}），"
                    "没有动任何文件：登记册可能被改动过，请把它交给维护人员检查",
                    f"the pending batch {self.batch_id[:8]} in the ledger names files passgen "
                    f"never writes ({self.refused}); nothing was touched: the ledger may have "
                    "been altered, have it checked")
        if self.finished:
            report = ("", "") if not rebuilt else (
                "；它没写成的 report.xlsx 已按登记册重建（只有制了卡的行；未制卡的行请用 roster check 再看）",
                "; its report.xlsx, never written, was rebuilt from the ledger (the rows that "
                "became cards; run roster check for the rejected ones)")
            return (f"上次中断的批次 {self.batch_id[:8]} 已补完：{names}（{self.out_dir}）{report[0]}",
                    f"the interrupted batch {self.batch_id[:8]} was finished: {names} "
                    f"({self.out_dir}){report[1]}")
        return (f"上次中断的批次 {self.batch_id[:8]} 已撤销：它的卡片不算数，文件已删除（{self.out_dir}）",
                f"the interrupted batch {self.batch_id[:8]} was undone: its cards do not count "
                f"and its files were removed ({self.out_dir})")


def ledger_lock(ledger: Path) -> Path:
    """The lock file of a ledger, beside it: never the database itself, which Windows could
    then not read while it is locked.  A batch holds it from start to end; so does
    ``passgen ledger recover``."""
    return ledger.with_name(f"{TEMPORARY_PREFIX}{ledger.name}.lock")


class BatchStatus(StrEnum):
    """Where a batch is in its journal (the ``batches.status`` column)."""

    STARTED = "started"  # volumes being written under temporary names; no card recorded yet
    PENDING = "pending"  # cards recorded, PDFs not yet all under their final names
    COMPLETE = "complete"
    ABANDONED = "abandoned"  # undone by recovery: a temporary PDF was missing


_VOLUME = re.compile(r"cards-[^/\\:\x00-\x1f]{1,80}-\d{3}\.pdf")
BATCH_ID = re.compile(r"[0-9a-f]{32}")


def journal_entries(batch_id: str, files: str) -> tuple[list[tuple[str, str, int | None]], str]:
    """A pending batch's journal: (temporary name, final name, size) of each volume, or why
    it is refused.  Recovery renames and removes files by these names, so only the names
    passgen itself makes are followed: ``cards-….pdf`` in the batch's own folder, and the
    temporary name ``files.temporary_name`` gives it for this batch, nothing with a path."""
    try:
        raw = json.loads(files)
        if not isinstance(raw, list) or not BATCH_ID.fullmatch(batch_id):
            raise ValueError
        entries = [(*p, None)[:3] for p in raw]  # old journals: no size
    except (ValueError, TypeError, RecursionError):
        return [], "记录无法读取 unreadable journal"
    for tmp, final, size in entries:
        if not (isinstance(final, str) and _VOLUME.fullmatch(final) and ".." not in final
                and Path(final).name == final and isinstance(tmp, str)
                and tmp == temporary_name(final, batch_id)
                and (size is None or type(size) is int)):
            return [], f"{final!r}"[:80]
    return entries, ""


def sweep_parts(folder: Path, batch_id: str) -> list[str]:
    """Remove the temporary files of batch ``batch_id`` a kill left in its folder (volumes,
    its report, its manifest): only names ``temporary_name`` gives for that id."""
    removed: list[str] = []
    if not BATCH_ID.fullmatch(batch_id):
        return removed
    for part in sorted(folder.glob(f"{TEMPORARY_PREFIX}*-{batch_id}.part")):
        if re.fullmatch(rf"\.pg-[0-9a-f]{{12}}-{re.escape(batch_id)}\.part", part.name):
            remove(part)
            removed.append(part.name)
    return removed
