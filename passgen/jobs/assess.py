"""Every roster row to an outcome: read, decided against the ledger's history, signed.

The pure part of a ``cards`` batch (``jobs.cards`` drives it): files are read as they
stream, the ledger is only looked up (``history``), nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from passgen import fonts
from passgen.intake.columns import HEADER_OF
from passgen.intake.roster import RowContext, SheetNotice, read_rosters
from passgen.intake.sheets import DEFAULT_LIMITS, Limits
from passgen.jobs.history import History
from passgen.jobs.ledger_facts import serial_context
from passgen.jobs.report import RowOutcome
from passgen.models import Location, Resident, RowError
from passgen.passes.issue import issue
from passgen.passes.keys import SigningKey
from passgen.rules import Rules, evaluate
from passgen.rules.engine import valid_through


def _glyph_problem(resident: Resident) -> RowError | None:
    missing = fonts.missing_glyphs(resident.name)
    if not missing:
        return None
    w = resident.where
    return RowError(Location(w.file, w.sheet, w.row, HEADER_OF["name"]), resident.name,
                    f"姓名中的字“{missing}”无法打印（字体中没有），请核对或改用常用字并在备注中说明",
                    f"the name has characters the card font cannot print: {missing}")




def assess_rows(paths: Sequence[Path], ctx: RowContext, rules: Rules,
                key: SigningKey | None, valid_days: int, limits: Limits = DEFAULT_LIMITS,
                notices: list[SheetNotice] | None = None, spool: bool = False,
                history: History | None = None,
                numbering: Numbering | None = None) -> Iterator[RowOutcome]:
    """Every row of every roster to an outcome, one at a time; with ``key`` None no card is
    signed.  ``history`` finds a resident's last card in the ledger as of ``ctx.as_of``
    (the record of their colour; 上次颜色 only beside it, see ``rules.engine.previous_of``).  A card's validity ends before its colour would get worse (``valid_through``).
    ``spool``: see ``passgen.intake.sheets.read_sheets``.  ``numbering`` gives each card
    its issuance number in a ledger (see ``Numbering``)."""
    as_of = ctx.as_of
    for row in read_rosters(paths, ctx, limits, notices, spool):
        if isinstance(row, RowError):
            yield RowOutcome(row.where, row.name, "", error=row)
            continue
        problem = _glyph_problem(row)
        if problem is not None:
            yield RowOutcome(row.where, row.name, row.masked_id, error=problem)
            continue
        last_card = history(row) if history else None
        if isinstance(last_card, RowError):
            yield RowOutcome(row.where, row.name, row.masked_id, error=last_card)
            continue
        assessment = evaluate(row, as_of, rules, last_card)
        if isinstance(assessment, RowError):
            yield RowOutcome(row.where, row.name, row.masked_id, error=assessment)
            continue
        validity = valid_through(row, assessment, as_of, valid_days, rules)
        previous = assessment.previous
        note = "；".join(n for n in (previous.describe() if previous else "", validity.reason)
                        if n)
        card = None
        if key:
            number, context = numbering.next() if numbering else (0, b"")
            card = issue(row, assessment, key, as_of, (validity.last_day - as_of).days,
                         number, context)
        yield RowOutcome(row.where, row.name, row.masked_id, assessment, card, note=note)


class Numbering:
    """The issuance numbers of a batch's cards, from the ledger's next one on: a serial is
    each issuance's own (DESIGN.md §5), and a batch run again on the same ledger gives the
    same serials."""

    def __init__(self, first: int) -> None:
        self.number = first

    def next(self) -> tuple[int, bytes]:
        number, self.number = self.number, self.number + 1
        return number, serial_context(number)
