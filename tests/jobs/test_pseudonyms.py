"""The ledger's pseudonym secret (issue #20): sealed to the office's keys, never in the ledger
in the clear; ledgers made readable by their owner only; old ledgers migrated, pseudonyms and
so re-issue history kept; a new key added before rotation."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import sqlite3
import stat
from pathlib import Path

import pytest
from helpers import fixed_key, make_id

from passgen.errors import LedgerError
from passgen.jobs import pseudonyms
from passgen.jobs.ledger import MIGRATIONS, SCHEMA_VERSION, Filters, Ledger
from passgen.jobs.ledger_tasks import add_ledger_key, find_cards
from passgen.passes import keys

ID = make_id(dt.date(1948, 2, 3))


def file_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_a_new_ledger_keeps_its_secret_sealed_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger(path, fixed_key()) as ledger:
        secret = ledger.secret
        assert secret is not None and len(secret) == 32
        rows = dict(ledger.db.execute("SELECT key, value FROM meta").fetchall())
        assert pseudonyms.LEGACY not in rows
        assert list(pseudonyms.sealed_for(ledger.db)) == [fixed_key().entry.kid]
        pseudonym = ledger.pseudonym(ID)
    assert secret not in file_bytes(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with Ledger(path) as ledger:  # without the key: no pseudonyms at all
        assert ledger.secret is None
        with pytest.raises(LedgerError) as info:
            ledger.pseudonym(ID)
        assert "--key" in info.value.zh
    with Ledger(path, fixed_key()) as ledger:  # the same secret every time
        assert ledger.pseudonym(ID) == pseudonym
    with pytest.raises(LedgerError) as info:
        find_cards(path, id_number=ID)
    assert "签名密钥" in info.value.zh


def legacy_ledger(path: Path, secret: bytes) -> None:
    """A ledger as passgen wrote it before #20: the secret in the clear, mode 0644."""
    db = sqlite3.connect(path)
    for version in range(1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[version]:
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.execute("INSERT INTO meta VALUES ('secret', ?)", (secret,))
    db.execute("INSERT INTO batches (id, started_at, issuer, kid, card_count) VALUES "
               "('b1', 1, 'NC-TEST-01', x'00', 1)")
    pseudonym = hmac.new(secret, ID.encode(), hashlib.sha256).digest()
    db.execute("INSERT INTO cards (serial, issuer, kid, pseudonym, community, colour, clauses,"
               " rules_version, issued_at, expires, batch_id) VALUES (x'0102030405060708',"
               " 'NC-TEST-01', x'00', ?, '桂花社区', 2, 'R1', x'01020304', 1, 2000000000, 'b1')",
               (pseudonym,))
    db.commit()
    db.close()
    path.chmod(0o644)


def test_an_old_ledger_is_migrated_and_keeps_its_pseudonyms(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    secret = hashlib.sha256(b"an old ledger's secret").digest()
    legacy_ledger(path, secret)
    assert secret in file_bytes(path)
    with Ledger(path) as ledger:  # opened without a key, nothing changes yet
        assert ledger.secret == secret
    with Ledger(path, fixed_key()) as ledger:
        assert ledger.secret == secret
        previous = ledger.previous_for(ID)  # found by the same pseudonym as before
        assert previous is not None and int(previous.colour) == 2
        assert pseudonyms.LEGACY not in dict(ledger.db.execute("SELECT key, value FROM meta"))
    assert secret not in file_bytes(path)  # overwritten, the log truncated
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with Ledger(path) as ledger:
        assert ledger.secret is None


def test_a_new_key_opens_the_ledger_once_added(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    old, new = fixed_key(), fixed_key("next year", not_before=dt.date(2021, 1, 1),
                                      not_after=dt.date(2021, 12, 31))
    with Ledger(path, old) as ledger:
        pseudonym = ledger.pseudonym(ID)
    with pytest.raises(LedgerError) as info:
        Ledger(path, new)
    assert "passgen ledger add-key" in info.value.zh and old.entry.kid.hex() in info.value.en
    # and what to do when the old key's passphrase is lost (issue #30): a new ledger, and its cost
    assert "口令丢了" in info.value.zh and "--ledger 另建一个新的登记册" in info.value.zh
    assert "首次办卡" in info.value.zh and "passphrase is lost" in info.value.en
    guide = (Path(__file__).parents[2] / "docs" / "指南.md").read_text(encoding="utf-8")
    assert "### 口令丢了怎么办" in guide
    old_pem = tmp_path / "old.pem"
    keys.save(old, old_pem, b"correct horse battery")
    keys.save(new, tmp_path / "new.pem", b"another passphrase")
    added = add_ledger_key(path, old_pem, lambda: b"correct horse battery",
                           tmp_path / "new.pem.pub.json")
    assert added.kid == new.entry.kid
    with Ledger(path, new) as ledger:
        assert ledger.pseudonym(ID) == pseudonym
        assert ledger.cards(Filters(pseudonym=pseudonym)) == []
    with Ledger(path, old) as ledger:  # the old key still opens it
        assert ledger.pseudonym(ID) == pseudonym


def test_a_tampered_seal_is_an_error_not_a_new_secret(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger(path, fixed_key()) as ledger:
        name = pseudonyms.PREFIX + fixed_key().entry.kid.hex()
        ledger.db.execute("UPDATE meta SET value = ? WHERE key = ?", (b"\0" * 80, name))
    with pytest.raises(LedgerError) as info:
        Ledger(path, fixed_key())
    assert "damaged or was altered" in info.value.en


def test_roster_check_without_the_key_says_it_did_not_look(tmp_path: Path) -> None:
    from helpers import row, write_roster

    from passgen.jobs.cards import check_rosters
    from passgen.jobs.history import NO_KEY_NOTICE

    path = tmp_path / "l.sqlite"
    Ledger(path, fixed_key()).close()
    roster = write_roster(tmp_path / "r.xlsx", [row()])
    result = check_rosters([roster], tmp_path / "out", None, dt.date(2020, 3, 25), ledger=path)
    assert [n.zh for n in result.notices] == [NO_KEY_NOTICE[0]]
    assert result.notices[0].message.startswith("l.sqlite: 没有加 --key，未查登记册里的上一张卡")
    keyed = check_rosters([roster], tmp_path / "out2", None, dt.date(2020, 3, 25), ledger=path,
                          key=fixed_key())
    assert keyed.notices == ()
