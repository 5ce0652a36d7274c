"""The facts behind a card, sealed in the ledger beside it (DESIGN.md §4).

A card's record (``models.Record``: dates, places, states, report days) is health data: it
is kept encrypted and authenticated (AES-256-GCM) under a key derived from the ledger's
pseudonym secret, which only the office's signing key opens, with the card's serial as the
associated data.  A record moved to another card, edited or damaged does not open: the row
is then refused, naming the card, never decided on altered facts.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from passgen.errors import LedgerError
from passgen.models import Record, short_serial

_LABEL = b"passgen ledger facts v1"


def _key(secret: bytes) -> bytes:
    return hmac.new(secret, _LABEL, hashlib.sha256).digest()


def seal(secret: bytes, serial: bytes, record: Record) -> bytes:
    """``record`` encrypted and bound to the card ``serial``: a nonce and the ciphertext."""
    nonce = os.urandom(12)
    return nonce + AESGCM(_key(secret)).encrypt(nonce, record.to_json(), serial)


def unseal(secret: bytes, serial: bytes, sealed: bytes) -> Record:
    """The record sealed with the card ``serial``; LedgerError if it does not open."""
    try:
        raw = AESGCM(_key(secret)).decrypt(sealed[:12], sealed[12:], serial)
        return Record.from_json(raw, serial)
    except (InvalidTag, ValueError, KeyError, TypeError) as exc:
        raise LedgerError(
            f"登记册中卡 {short_serial(serial)} 所依据的事实无法读取（可能被改动或损坏）：此人的行不能"
            "按它判定。请从备份恢复登记册，或用 passgen ledger correct 更正这张卡",
            f"the facts kept with card {short_serial(serial)} do not open (altered or damaged)"
            ": restore the ledger from a backup, or correct that card") from exc


def serial_context(sequence: int) -> bytes:
    """What makes each issuance's serial its own (DESIGN.md §5): the ledger's issuance
    number, MACed with the resident and the claims under the signing key (``pg1.serial_for``).
    It depends on nothing else, so the same batch on the same ledger gives the same PDFs on
    every system, and a new ledger's first batch is the same in every office's test."""
    return b"passgen issuance " + sequence.to_bytes(8, "big")
