"""A resident's history in the office ledger, as a batch, a roster check or ``rules explain``
reads it (DESIGN.md §4: the ledger is the record): the last card on or before the batch's
as-of date, or the rejection of a row dated before the resident's newest card."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from passgen.errors import LedgerError
from passgen.intake.columns import HEADER_OF
from passgen.intake.roster import SheetNotice
from passgen.jobs.ledger import Ledger
from passgen.models import Location, Record, Resident, RowError, short_serial
from passgen.passes.keys import SigningKey

# the ledger's last card of a resident on or before the as-of date, or the rejection of a
# row dated before the resident's newest card
History = Callable[[Resident], Record | RowError | None]


NO_KEY_NOTICE = ("没有加 --key，未查登记册里的上一张卡：制过卡以后检查请加 --key office.pem",
                 "no --key: the ledger's last cards were not looked up (add --key once cards "
                 "have been made)")


def open_history(stack: ExitStack, ledger: Path | None, key: SigningKey | None = None,
                 notices: list[SheetNotice] | None = None,
                 as_of: dt.date | None = None) -> History | None:
    """A resident's last card on or before ``as_of``, looked up in ``ledger`` (kept open by
    ``stack``) with the pseudonym secret ``key`` unlocks, or the rejection of a row dated
    before the resident's newest card.  Without a ledger file every look-up finds nothing
    (and a read-only command creates none); None when there is no ledger, or when no key
    unlocks it (said in ``notices``): nothing was looked up."""
    if ledger is None:
        return None
    if not ledger.exists():  # no card was ever made: nothing to find, nothing to create
        return lambda resident: None
    opened = stack.enter_context(Ledger(ledger, key))
    if opened.secret is None:
        if notices is not None:
            notices.append(SheetNotice(ledger.name, "", 0, *NO_KEY_NOTICE))
        return None

    def lookup(resident: Resident) -> Record | RowError | None:
        if as_of is not None:
            later = opened.later_card(resident.id_number, as_of)
            if later is not None:
                return backdated(resident, as_of, *later)
        try:
            return opened.previous_for(resident.id_number, as_of)
        except LedgerError as exc:  # facts that do not open: this row is not decided on them
            w = resident.where
            return RowError(Location(w.file, w.sheet, w.row, HEADER_OF["id_number"]),
                            resident.masked_id, exc.zh, exc.en, resident.name)

    return lookup


def backdated(resident: Resident, as_of: dt.date, serial: bytes, day: dt.date) -> RowError:
    """A row dated before the resident's newest card: the ledger is the record of their
    colour, and a batch dated earlier would take a later card for history."""
    w = resident.where
    return RowError(
        Location(w.file, w.sheet, w.row, HEADER_OF["id_number"]), resident.masked_id,
        f"登记册中此人已有 {day} 签发的卡（编号 {short_serial(serial)}），晚于本次的签发日期 "
        f"{as_of}：不能在它之前补发。请用 --as-of {day} 或更晚的日期",
        f"the ledger holds a card for this ID issued on {day} (serial {short_serial(serial)}), "
        f"after this batch's as-of date {as_of}: use --as-of {day} or later", resident.name)
