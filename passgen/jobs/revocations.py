"""``passgen revocations export``: the office's signed list of revoked, unexpired cards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from passgen.files import atomic_write
from passgen.jobs.ledger import Ledger
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
    moment = int(at.timestamp())
    with Ledger(ledger_path) as ledger:
        serials = ledger.revoked_serials(key.entry.issuer, moment)
    text = revocation.build(key, serials, moment)
    atomic_write(out_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return Exported(out_path, len(serials))
