"""What the ledger commands do (``passgen ledger …``): list, show, recover, add a key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from passgen.dates import day_start
from passgen.errors import LedgerError
from passgen.jobs import pseudonyms
from passgen.jobs.ledger import Filters, Ledger, LedgerCard, Recovered, parse_serial
from passgen.models import Colour
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


def recover_ledger(path: Path) -> list[Recovered]:
    """``passgen ledger recover``: finish or undo batches a crash left pending; returns
    their ids."""
    with Ledger(path) as ledger:
        return ledger.recover()


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
