"""The ledger's pseudonym secret, never kept in the ledger in the clear.

A resident's pseudonym is HMAC-SHA-256(secret, ID number).  ID numbers are a small space
(a birth date, a region and a few digits), so whoever holds the secret and the ledger can
recover ID numbers by trying them all: the secret must not travel with the ledger file.
It is kept *sealed* to the office's signing keys instead: for each key, a libsodium sealed
box to the X25519 form of its Ed25519 public key, in the ledger's ``meta`` table under
``secret-for:<kid>``.  Every batch unlocks the signing key anyway, and opens the secret with
it; sealing for a new key needs only that key's public half (``passgen ledger add-key``),
so rotating keys keeps every pseudonym, and so the history of re-issues.

A ledger written before this (the secret in the clear under ``secret``) is migrated by the
first batch that opens it with a key: the secret is sealed, the clear copy overwritten
(``secure_delete``) and the write-ahead log truncated.
"""

from __future__ import annotations

import secrets
import sqlite3

from nacl.bindings import (
    crypto_sign_ed25519_pk_to_curve25519,
    crypto_sign_ed25519_sk_to_curve25519,
)
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from passgen.errors import LedgerError
from passgen.passes.keys import SigningKey, TrustEntry

LEGACY = "secret"
PREFIX = "secret-for:"


def rollback(db: sqlite3.Connection) -> None:
    """Undo the open transaction, if one was opened: an interrupt can land between a
    ``try`` and its ``BEGIN``, and "cannot rollback" must not hide the interrupt."""
    if db.in_transaction:
        db.execute("ROLLBACK")


def _recipient(entry: TrustEntry) -> SealedBox:  # type: ignore[type-arg]
    return SealedBox(PublicKey(crypto_sign_ed25519_pk_to_curve25519(entry.public_key)))


def _opener(key: SigningKey) -> SealedBox:  # type: ignore[type-arg]
    seed = key.private_key.private_bytes_raw()
    curve = crypto_sign_ed25519_sk_to_curve25519(seed + key.entry.public_key)
    return SealedBox(PrivateKey(curve))


def sealed_for(db: sqlite3.Connection) -> dict[bytes, bytes]:
    """kid → sealed secret, for every key the secret is sealed to."""
    rows = db.execute("SELECT key, value FROM meta WHERE key LIKE ?", (PREFIX + "%",))
    return {bytes.fromhex(k[len(PREFIX):]): bytes(v) for k, v in rows}


def _legacy(db: sqlite3.Connection) -> bytes | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (LEGACY,)).fetchone()
    return None if row is None else bytes(row[0])


def _seal(db: sqlite3.Connection, secret: bytes, entry: TrustEntry) -> None:
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
               (PREFIX + entry.kid.hex(), _recipient(entry).encrypt(secret)))


def unlock(db: sqlite3.Connection, key: SigningKey | None) -> bytes | None:
    """The secret, opened with ``key``; made and sealed to it in a new ledger; migrated from
    the clear in an old one.  Without a key: None (a legacy ledger's clear secret until a
    batch migrates it), so commands that need no pseudonym work without the passphrase."""
    db.execute("BEGIN IMMEDIATE")
    try:
        secret, migrated = _unlock(db, key)
        db.execute("COMMIT")
    except BaseException:
        rollback(db)
        raise
    if migrated:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # no old page left in the log
    return secret


def _unlock(db: sqlite3.Connection, key: SigningKey | None) -> tuple[bytes | None, bool]:
    """The secret, and whether a clear copy was just removed."""
    legacy = _legacy(db)
    sealed = sealed_for(db)
    if key is None:
        return legacy, False
    if key.entry.kid in sealed:
        try:
            return bytes(_opener(key).decrypt(sealed[key.entry.kid])), False
        except CryptoError:
            raise LedgerError("登记册中的假名密钥无法用该签名密钥打开（文件已损坏或被改动）",
                              "the ledger's pseudonym secret does not open with this key "
                              "(the file is damaged or was altered)") from None
    if sealed:
        kids = "、".join(k.hex() for k in sorted(sealed))
        raise LedgerError(
            f"该登记册的居民假名受另一把签名密钥（kid {kids}）保护。\n"
            "· 换用新密钥：先用旧密钥运行 passgen ledger add-key 新密钥.pem.pub.json --key 旧密钥.pem\n"
            "· 旧密钥的口令丢了：用 --ledger 另建一个新的登记册（或把旧登记册移走）。代价：新登记册不知道"
            "以前发过的卡，居民的颜色按首次办卡评定（请在“上次颜色”填上次的颜色），旧卡也不会因补办而"
            "自动吊销；旧登记册仍可查（passgen ledger list --ledger 旧登记册）",
            f"this ledger's pseudonyms are sealed to another signing key (kid {kids}). To change "
            "keys, first run with the old key: passgen ledger add-key NEW.pem.pub.json --key "
            "OLD.pem. If the old key's passphrase is lost: start a new ledger with --ledger (or "
            "move the old one away); it will not know earlier cards, so colours start as first "
            "cards (write 上次颜色) and re-issued cards do not revoke the old ones")
    secret = legacy if legacy is not None else secrets.token_bytes(32)
    _seal(db, secret, key.entry)
    if legacy is not None:
        db.execute("PRAGMA secure_delete = ON")
        db.execute("DELETE FROM meta WHERE key = ?", (LEGACY,))
    return secret, legacy is not None


def add_key(db: sqlite3.Connection, key: SigningKey, new: TrustEntry) -> None:
    """Seal the secret (opened with ``key``) to ``new`` as well: a new office key then
    finds the residents the old one recorded."""
    secret = unlock(db, key)
    assert secret is not None
    db.execute("BEGIN IMMEDIATE")
    try:
        _seal(db, secret, new)
        db.execute("COMMIT")
    except BaseException:
        rollback(db)
        raise
