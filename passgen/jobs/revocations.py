"""Revocation: ``passgen revoke`` marks cards in the ledger, ``passgen revocations export``
signs the office's list of revoked, unexpired cards for checkpoints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from passgen.dates import SHANGHAI
from passgen.errors import KeyFileError, LedgerError
from passgen.files import atomic_write
from passgen.jobs.ledger import Ledger, parse_serial
from passgen.passes import revocation
from passgen.passes.keys import load_office_key


@dataclass(frozen=True)
class Exported:
    path: Path
    cards: int


def export_revocations(key_path: Path, passphrase: Callable[[], bytes], ledger_path: Path,
                       out_path: Path, at: dt.datetime) -> Exported:
    """Sign the list of this office's revoked cards that have not expired by ``at`` and
    write it to ``out_path``."""
    key = load_office_key(key_path, passphrase)
    e = key.entry
    if not e.not_before <= at.astimezone(SHANGHAI).date() <= e.not_after:
        raise KeyFileError(
            f"生成时间 {at:%Y-%m-%d} 不在密钥有效期 {e.not_before} 至 {e.not_after} 内，检查点会拒绝"
            "这份名单：请用当前有效的密钥，或用 --at 指定有效期内的时间",
            f"{at:%Y-%m-%d} is outside the key's window {e.not_before}..{e.not_after}, so "
            "every checkpoint would refuse the list: use the current key, or --at a time "
            "inside its window")
    moment = int(at.timestamp())
    with Ledger(ledger_path) as ledger:
        serials = ledger.revoked_serials(key.entry.issuer, moment)
    text = revocation.build(key, serials, moment)
    atomic_write(out_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return Exported(out_path, len(serials))


def revoke_cards(path: Path, serials: Sequence[str], reason: str, now: int) -> list[bytes]:
    """``passgen revoke``: revoke cards by serial; if any is unknown, nothing is revoked.
    Returns the serials revoked."""
    wanted = [parse_serial(s) for s in serials]
    with Ledger(path) as ledger:
        unknown = ledger.revoke(wanted, reason, now)
    if unknown:
        names = ", ".join(s.hex().upper() for s in unknown)
        raise LedgerError(f"登记册中没有这些卡片，未吊销任何卡片：{names}",
                          f"the ledger has no card {names}; nothing was revoked")
    return wanted
