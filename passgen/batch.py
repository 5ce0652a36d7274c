"""The ``cards`` batch: rosters → outcomes → signed cards → card PDF volumes + report.xlsx.

This is the edge where files, keys and the clock meet the pure stages; a library user calls
``run_cards`` exactly as the CLI does.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from passgen import fonts
from passgen.errors import PassgenError
from passgen.files import fsync_dir, fsync_file
from passgen.keys import SigningKey
from passgen.layout import CardTemplate
from passgen.ledger import Ledger
from passgen.models import Card, Location, Resident, RowError
from passgen.passes import DEFAULT_VALID_DAYS, issue
from passgen.render import render_volume, write_cards_pdf
from passgen.report import RowOutcome, Totals, totals, write_report
from passgen.roster import HEADER_OF, RowContext, SheetNotice, read_rosters
from passgen.rules import Rules, evaluate
from passgen.sheets import DEFAULT_LIMITS, Limits


class Progress(Protocol):
    """Receives progress of long work (the CLI shows a bar on standard error)."""

    def start(self, label: str, total: int) -> None: ...
    def advance(self, n: int) -> None: ...
    def finish(self) -> None: ...


@dataclass(frozen=True)
class BatchResult:
    outcomes: tuple[RowOutcome, ...]
    pdfs: tuple[Path, ...]
    report: Path
    totals: Totals
    notices: tuple[SheetNotice, ...] = ()
    superseded: tuple[bytes, ...] = ()  # serials revoked because these cards replace them


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
                notices: list[SheetNotice] | None = None) -> list[RowOutcome]:
    """Every row of every roster to an outcome; with ``key`` None no card is signed."""
    outcomes: list[RowOutcome] = []
    for row in read_rosters(paths, ctx, limits, notices):
        if isinstance(row, RowError):
            outcomes.append(RowOutcome(row.where, row.name, "", error=row))
            continue
        problem = _glyph_problem(row)
        assessment = evaluate(row, ctx.as_of, rules) if problem is None else problem
        if isinstance(assessment, RowError):
            outcomes.append(RowOutcome(row.where, row.name, row.masked_id, error=assessment))
        else:
            card = issue(row, assessment, key, ctx.as_of, valid_days) if key else None
            outcomes.append(RowOutcome(row.where, row.name, row.masked_id, assessment, card))
    return outcomes


def check_key_window(key: SigningKey, as_of: dt.date) -> None:
    e = key.entry
    if not e.not_before <= as_of <= e.not_after:
        raise PassgenError(
            f"签发日期 {as_of} 不在密钥有效期 {e.not_before} 至 {e.not_after} 内，核验时会被拒绝",
            f"as-of date {as_of} is outside the key's window {e.not_before}..{e.not_after}")


@dataclass(frozen=True)
class PrintOptions:
    """How cards are printed: layout, backs, hotline and how many sheets go in one PDF."""

    template: CardTemplate
    duplex: bool = True  # backs too, when the template has them
    hotline: str | None = None  # None: the template's default
    sheets_per_volume: int = 500
    jobs: int = 1  # worker processes encoding QR codes while the main process draws


_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def volume_name(community: str, part: int) -> str:
    """``cards-桂花社区-001.pdf``: sorts by community, then part, in any file browser."""
    return f"cards-{_UNSAFE.sub('_', community).strip('_.') or 'community'}-{part:03d}.pdf"


def plan_volumes(cards: Sequence[Card], cards_per_volume: int) -> list[tuple[str, list[Card]]]:
    """One PDF per community (in order of first appearance), split every N cards."""
    by_community: dict[str, list[Card]] = {}
    for card in cards:
        by_community.setdefault(card.resident.community, []).append(card)
    plan = []
    for community, members in by_community.items():
        for part, start in enumerate(range(0, len(members), cards_per_volume), start=1):
            plan.append((volume_name(community, part), members[start:start + cards_per_volume]))
    return plan


CRASH_ENV = "PASSGEN_TEST_CRASH_AT"


def _crash_point(name: str) -> None:
    """Fault injection for the crash-consistency tests: with PASSGEN_TEST_CRASH_AT=name the
    process kills itself (SIGKILL) here, exactly as a power cut would stop it."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _write_volumes(plan: list[tuple[str, list[Card]]], out_dir: Path, printing: PrintOptions,
                   progress: Progress | None, ledger_path: Path | None, key: SigningKey,
                   now: int) -> tuple[list[Path], list[bytes]]:
    """Write the PDFs; with a ledger, journal the batch so PDFs and rows always agree."""
    advance = progress.advance if progress else None
    if ledger_path is None:
        for name, members in plan:
            write_cards_pdf(out_dir / name, members, printing.template, advance,
                            printing.duplex, printing.hotline, printing.jobs)
        return [out_dir / name for name, _ in plan], []

    with Ledger(ledger_path):  # opening it finishes or undoes any interrupted batch
        pass
    for stale in out_dir.glob(".cards-*.part"):  # orphans of a batch killed before it was
        stale.unlink(missing_ok=True)             # journalled: nothing of theirs was printed
    batch_id = uuid.uuid4().hex
    files = [(f".{name}.{batch_id}.part", name) for name, _ in plan]
    journalled = False
    try:
        for (tmp, _), (_, members) in zip(files, plan, strict=True):
            render_volume(out_dir / tmp, members, printing.template, advance, printing.duplex,
                          printing.hotline, printing.jobs)
            fsync_file(out_dir / tmp)
        _crash_point("pdfs-written")
        with Ledger(ledger_path) as ledger:
            cards = [card for _, members in plan for card in members]
            superseded = ledger.begin_batch(batch_id, key.entry.issuer, key.entry.kid, cards,
                                            files, out_dir, now)
            journalled = True
            _crash_point("ledger-pending")
            for index, (tmp, final) in enumerate(files):
                os.replace(out_dir / tmp, out_dir / final)
                if index == 0:
                    _crash_point("first-renamed")
            fsync_dir(out_dir)
            _crash_point("all-renamed")
            ledger.complete_batch(batch_id)
    except BaseException:
        if not journalled:  # the ledger never knew these files: nothing was printed
            for tmp, _ in files:
                (out_dir / tmp).unlink(missing_ok=True)
        # else the journal lets the next opening of the ledger finish the renames
        raise
    return [out_dir / final for _, final in files], superseded


def run_cards(paths: Sequence[Path], key: SigningKey, out_dir: Path, rules: Rules,
              printing: PrintOptions | CardTemplate, as_of: dt.date, community: str = "",
              valid_days: int = DEFAULT_VALID_DAYS, progress: Progress | None = None,
              limits: Limits = DEFAULT_LIMITS, ledger: Path | None = None,
              now: int | None = None) -> BatchResult:
    """Read, assess, sign and print: ``out_dir/cards-<community>-NNN.pdf`` volumes and
    ``out_dir/report.xlsx``.  With a ``ledger`` every card is recorded, and a resident's
    earlier unexpired card is revoked (superseded) by the new one."""
    if isinstance(printing, CardTemplate):
        printing = PrintOptions(printing)
    check_key_window(key, as_of)
    notices: list[SheetNotice] = []
    outcomes = assess_rows(paths, RowContext(as_of, community), rules, key, valid_days, limits,
                           notices)
    out_dir.mkdir(parents=True, exist_ok=True)
    cards = [o.card for o in outcomes if o.card is not None]
    per_volume = printing.sheets_per_volume * printing.template.per_page
    if progress:
        progress.start("制卡 printing cards", len(cards))
    pdfs, superseded = _write_volumes(plan_volumes(cards, per_volume), out_dir, printing,
                                      progress, ledger, key,
                                      int(time.time()) if now is None else now)
    if progress:
        progress.finish()
    report = out_dir / "report.xlsx"
    write_report(report, outcomes, rules.version_hex, notices)
    return BatchResult(tuple(outcomes), tuple(pdfs), report, totals(outcomes), tuple(notices),
                       tuple(superseded))


def check_rosters(paths: Sequence[Path], out_dir: Path, rules: Rules, as_of: dt.date,
                  community: str = "", limits: Limits = DEFAULT_LIMITS) -> BatchResult:
    """Validate only: the report, no cards."""
    notices: list[SheetNotice] = []
    outcomes = assess_rows(paths, RowContext(as_of, community), rules, None, DEFAULT_VALID_DAYS,
                           limits, notices)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = out_dir / "report.xlsx"
    write_report(report, outcomes, rules.version_hex, notices)
    return BatchResult(tuple(outcomes), (), report, totals(outcomes), tuple(notices))
