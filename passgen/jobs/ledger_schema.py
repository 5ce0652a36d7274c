"""The ledger's schema and its migrations: a ledger made by an older passgen is migrated
when it is opened (``jobs.ledger``)."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence

from passgen.errors import LedgerError

SCHEMA_VERSION = 5

# Each entry upgrades the schema by one version; a ledger made by an older passgen is
# migrated when it is opened.  Version 1 was the first release: cards without their source
# row, batches without a journal, no revocations.
MIGRATIONS: dict[int, Sequence[str]] = {
    1: (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)",
        """CREATE TABLE batches (id TEXT PRIMARY KEY, started_at INTEGER NOT NULL,
           issuer TEXT NOT NULL, kid BLOB NOT NULL, card_count INTEGER NOT NULL)""",
        """CREATE TABLE cards (serial BLOB PRIMARY KEY, issuer TEXT NOT NULL, kid BLOB NOT NULL,
           pseudonym BLOB NOT NULL, community TEXT NOT NULL, colour INTEGER NOT NULL,
           clauses TEXT NOT NULL, rules_version BLOB NOT NULL, issued_at INTEGER NOT NULL,
           expires INTEGER NOT NULL, batch_id TEXT NOT NULL REFERENCES batches(id))""",
    ),
    2: (
        "ALTER TABLE cards ADD COLUMN source_file TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE cards ADD COLUMN source_sheet TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE cards ADD COLUMN source_row INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE batches ADD COLUMN status TEXT NOT NULL DEFAULT 'complete'",
        "ALTER TABLE batches ADD COLUMN out_dir TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE batches ADD COLUMN files TEXT NOT NULL DEFAULT '[]'",
        """CREATE TABLE revocations (serial BLOB PRIMARY KEY REFERENCES cards(serial),
           revoked_at INTEGER NOT NULL, reason TEXT NOT NULL, superseded_by BLOB)""",
        "CREATE INDEX cards_pseudonym ON cards(pseudonym)",
        "CREATE INDEX cards_batch ON cards(batch_id)",
        "CREATE INDEX cards_community ON cards(community, issued_at)",
    ),
    3: (  # what each exported revocation list held: a later export may not drop it (#27)
        """CREATE TABLE exported (serial BLOB PRIMARY KEY, issuer TEXT NOT NULL,
           expires INTEGER NOT NULL, exported_at INTEGER NOT NULL)""",
    ),
    4: (  # the facts behind each card, its issuance number, corrections (#34)
        "ALTER TABLE cards ADD COLUMN facts BLOB",  # sealed (ledger_facts); NULL before
        "ALTER TABLE cards ADD COLUMN seq INTEGER",  # the issuance number in its serial
        "ALTER TABLE cards ADD COLUMN corrected TEXT",  # why a wrong red or yellow was undone
        "CREATE UNIQUE INDEX cards_seq ON cards(seq)",
    ),
    5: (  # keys the office withdrew: every export names them (#37)
        """CREATE TABLE withdrawn (kid BLOB PRIMARY KEY, issuer TEXT NOT NULL,
           withdrawn_at INTEGER NOT NULL, reason TEXT NOT NULL)""",
    ),
}


Schema = frozenset[tuple[str, str, str, str]]


@functools.cache
def expected(version: int) -> Schema:
    """Every object (type, name, table, SQL) a ledger of ``version`` holds: what the
    migrations up to it make, and nothing else."""
    db = sqlite3.connect(":memory:")
    try:
        for target in range(1, version + 1):
            for statement in MIGRATIONS[target]:
                db.execute(statement)
        return objects(db)
    finally:
        db.close()


def objects(db: sqlite3.Connection) -> Schema:
    return frozenset((t, n, tb, " ".join((sql or "").split())) for t, n, tb, sql in db.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master"))


def check_schema(db: sqlite3.Connection, version: int, path: object) -> None:
    """Refuse a ledger holding anything passgen's migrations did not make (issue #36): a
    trigger or a view of someone else's could swallow a revocation or rewrite a card, and
    nothing would say so.  Checked before anything is written."""
    found = objects(db)
    unexpected = sorted(found - expected(version))
    missing = sorted(expected(version) - found)
    if unexpected or missing:
        named = "、".join(f"{t} {n}" for t, n, _, _ in (unexpected or missing)[:5])
        what = "有 passgen 不会建立的内容" if unexpected else "缺少 passgen 建立的内容"
        raise LedgerError(
            f"登记册 {path} {what}（{named}）：没有使用它。它可能被人改动过；请从备份恢复",
            f"ledger {path} {'holds what passgen never makes' if unexpected else 'lacks what passgen made'}"
            f" ({named}): it was not used. It may have been tampered with; restore a backup")
