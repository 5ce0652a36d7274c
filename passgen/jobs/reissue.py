"""补办/挂失 in one step: find a resident in the rosters by name or ID number, revoke the
cards of theirs the ledger holds that are still in force (the lost one among them), and print
their new card from the same row.  What ``passgen reissue`` and the desk's 补办挂失 screen call.

The ledger holds no names: the rosters say who a row is, the ledger (through the resident's
pseudonym, which needs the office key) which cards they hold."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from passgen.errors import PassgenError
from passgen.intake.mapping import ColumnMap
from passgen.intake.roster import RowContext, read_rosters
from passgen.jobs.cards import BatchResult, PrintOptions, run_cards
from passgen.jobs.ledger import Filters, Ledger, LedgerCard
from passgen.models import Resident, RowError, short_serial
from passgen.passes.keys import SigningKey
from passgen.rules import Rules

Row = tuple[str, str, int]  # (file, sheet, row) as the report names it


@dataclass(frozen=True)
class Found:
    """A resident the search found: where their row is, who they are as a list may show
    them (the ID masked), and their cards in the ledger."""

    row: Row
    name: str
    masked_id: str
    community: str
    cards: tuple[LedgerCard, ...]


def _matches(person: Resident, query: str) -> bool:
    q = re.sub(r"\s+", "", query).upper()
    if not q:
        return False
    if re.fullmatch(r"[0-9X*]{4,18}", q):  # an ID: whole, masked as on the card, or its end
        return q in (person.id_number, person.masked_id) or (
            len(q) < 18 and "*" not in q and person.id_number.endswith(q))
    return q in person.name.upper()


def find_residents(paths: Sequence[Path], query: str, as_of: dt.date, ledger: Path | None,
                   key: SigningKey | None, columns: ColumnMap = ()) -> list[Found]:
    """Rows of ``paths`` whose name contains ``query``, or whose ID number is ``query``
    (whole, masked as printed, or its last digits), each with the resident's cards."""
    people = [r for r in read_rosters(paths, RowContext(as_of, "", columns))
              if isinstance(r, Resident) and _matches(r, query)]
    found = []
    with contextlib.ExitStack() as stack:
        book = stack.enter_context(Ledger(ledger, key)) \
            if ledger is not None and key is not None and ledger.is_file() else None
        for p in people:
            cards = tuple(book.cards(Filters(pseudonym=book.pseudonym(p.id_number)))) \
                if book else ()
            found.append(Found((p.where.file, p.where.sheet, p.where.row), p.name,
                               p.masked_id, p.community, cards))
    return found


@dataclass(frozen=True)
class Reissued:
    revoked: tuple[bytes, ...]  # the resident's cards this revoked (the lost one among them)
    batch: BatchResult  # the new card's PDF and report


def reissue(paths: Sequence[Path], row: Row, reason: str, key: SigningKey, ledger: Path,
            out_dir: Path, rules: Rules, printing: PrintOptions, as_of: dt.date, now: int,
            columns: ColumnMap = ()) -> Reissued:
    """Revoke, with ``reason``, every card of the resident in ``row`` that has not expired
    and is not revoked yet, then print their new card from that row alone."""
    reason = reason.strip()
    if not reason:
        raise PassgenError("请写明挂失或补办的原因（如：卡片遗失）",
                           "give the reason (for example: card lost)")
    only = RowContext(as_of, "", columns, frozenset({row}))  # the reader skips every other row
    outcome = next(iter(read_rosters(paths, only)), None)
    if outcome is None:
        raise PassgenError(f"花名册里没有第 {row[2]} 行（{row[0]} · {row[1]}）",
                           f"no row {row[2]} in {row[0]} · {row[1]}")
    if isinstance(outcome, RowError):
        raise PassgenError(f"这一行有问题，先改好花名册：{outcome.message}",
                           f"fix this row first: {outcome.message}")
    with Ledger(ledger, key) as book:
        mine = book.cards(Filters(pseudonym=book.pseudonym(outcome.id_number)))
        live = [c.serial for c in mine if c.revoked_at is None and c.expires > now]
        if live:
            book.revoke(live, reason, now)
    try:
        batch = run_cards(paths, key, out_dir, rules, printing, as_of, ledger=ledger,
                          columns=columns, rows=frozenset({row}))
    except PassgenError as exc:  # the lost card stays revoked: say so with why
        done = "、".join(short_serial(s) for s in live)
        raise PassgenError(
            (f"旧卡 {done} 已挂失（吊销），" if live else "") + f"新卡没有印成：{exc.zh}",
            (f"card {done} is revoked; " if live else "") + f"the new card was not made: {exc.en}"
        ) from exc
    return Reissued(tuple(live), batch)

