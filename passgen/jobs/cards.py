"""The ``cards`` batch: rosters → outcomes → signed cards → card PDF volumes + report.xlsx.

This is the edge where files, keys and the clock meet the pure stages; a library user calls
``run_cards`` exactly as the CLI does.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import Protocol

from passgen import fonts
from passgen.errors import PassgenError
from passgen.files import Stems, fsync_dir, fsync_file
from passgen.intake.columns import HEADER_OF
from passgen.intake.roster import RowContext, SheetNotice, read_rosters
from passgen.intake.sheets import DEFAULT_LIMITS, Limits
from passgen.jobs.ledger import CardRecord, Ledger
from passgen.jobs.parallel import parallel, qr_pages, worker_pool
from passgen.jobs.report import ReportWriter, RowOutcome, Totals
from passgen.models import Card, Location, Resident, RowError
from passgen.passes.issue import DEFAULT_VALID_DAYS, issue
from passgen.passes.keys import SigningKey
from passgen.printing.cards import CardSheetWriter
from passgen.printing.layout import CardTemplate
from passgen.rules.engine import Rules, evaluate


class Progress(Protocol):
    """Receives progress of long work (the CLI shows a bar on standard error)."""

    def start(self, label: str, total: int | None) -> None: ...  # None: not known ahead
    def advance(self, n: int) -> None: ...
    def finish(self) -> None: ...


@dataclass(frozen=True)
class BatchResult:
    """What a batch did.  Only the rejected rows are kept (a city's batch has too many
    rows to hold); pass ``on_outcome`` to see every row as it is decided."""

    pdfs: tuple[Path, ...]
    report: Path
    totals: Totals
    rejected: tuple[RowOutcome, ...] = ()
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
                notices: list[SheetNotice] | None = None,
                spool: bool = False) -> Iterator[RowOutcome]:
    """Every row of every roster to an outcome, one at a time; with ``key`` None no card is
    signed.  ``spool``: see ``passgen.intake.sheets.read_sheets``."""
    for row in read_rosters(paths, ctx, limits, notices, spool):
        if isinstance(row, RowError):
            yield RowOutcome(row.where, row.name, "", error=row)
            continue
        problem = _glyph_problem(row)
        assessment = evaluate(row, ctx.as_of, rules) if problem is None else problem
        if isinstance(assessment, RowError):
            yield RowOutcome(row.where, row.name, row.masked_id, error=assessment)
        else:
            card = issue(row, assessment, key, ctx.as_of, valid_days) if key else None
            yield RowOutcome(row.where, row.name, row.masked_id, assessment, card)


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


def volume_name(stem: str, part: int) -> str:
    """``cards-桂花社区-001.pdf``: sorts by community, then part, in any file browser."""
    return f"cards-{stem}-{part:03d}.pdf"


QR_PAGES = 6  # pages of QR codes per task sent to a worker process


@dataclass
class _Volume:
    """One community's volume while it is being written."""

    writer: CardSheetWriter
    temporary: Path
    final: str
    rank: tuple[int, int]  # (community in order of first appearance, part)
    cards: int = 0
    unsent: list[Card] = field(default_factory=list)
    tasks: deque[tuple[list[Card], AsyncResult[list[bytes]]]] = field(default_factory=deque)


class _Volumes:
    """Cards go to their community's open volume and are laid out page by page as they
    arrive; a volume is saved as soon as it is full, so memory follows the volume size, not
    the roster.  With a pool, worker processes make the QR codes of each run of pages
    (encoding and compression, most of the work) while the main process goes on reading,
    signing and laying out pages whose codes are back.  Any ``jobs`` gives the same bytes."""

    def __init__(self, out_dir: Path, printing: PrintOptions, suffix: str | None,
                 pool: Pool | None) -> None:
        self.out_dir = out_dir
        self.printing = printing
        self.per_page = printing.template.per_page
        self.per_volume = printing.sheets_per_volume * self.per_page
        self.chunk = QR_PAGES * self.per_page  # whole pages, from a volume's start
        self.suffix = suffix  # the batch id (ledger): volumes stay temporary until journalled
        self.pool = pool
        self.open: dict[str, _Volume] = {}
        self.parts: dict[str, int] = {}
        self.order: dict[str, int] = {}  # communities in order of first appearance
        self.stems = Stems()  # community → the name part of its volumes, distinct
        # ((community rank, part), file written, final name) of each volume, as saved
        self.saved: list[tuple[tuple[int, int], str, str]] = []

    def _start(self, community: str) -> _Volume:
        part = self.parts[community] = self.parts.get(community, 0) + 1
        final = volume_name(self.stems(community), part)
        temporary = self.out_dir / f".{final}.{self.suffix or os.getpid()}.part"
        p = self.printing
        writer = CardSheetWriter(temporary, p.template, p.duplex, p.hotline)
        volume = self.open[community] = _Volume(
            writer, temporary, final, (self.order.setdefault(community, len(self.order)), part))
        return volume

    def add(self, card: Card) -> None:
        community = card.resident.community
        volume = self.open.get(community) or self._start(community)
        volume.unsent.append(card)
        volume.cards += 1
        if self.pool is None:
            if len(volume.unsent) == self.per_page:
                self._lay_out(volume.writer, volume.unsent, None)
                volume.unsent = []
        else:
            if len(volume.unsent) == self.chunk:
                self._send(volume)
            self._collect(volume, wait=False)
        if volume.cards == self.per_volume:
            self._save(community)

    def _send(self, volume: _Volume) -> None:
        assert self.pool is not None
        cards, volume.unsent = volume.unsent, []
        volume.tasks.append((cards, self.pool.apply_async(
            qr_pages, ([c.payload for c in cards], self.printing.template))))

    def _collect(self, volume: _Volume, wait: bool) -> None:
        """Lay out the pages whose codes are back (all of them, if ``wait``), in order."""
        while volume.tasks and (wait or volume.tasks[0][1].ready()):
            cards, task = volume.tasks.popleft()
            self._lay_out(volume.writer, cards, task.get())

    def _lay_out(self, writer: CardSheetWriter, cards: list[Card],
                 codes: list[bytes] | None) -> None:
        """Pages of ``cards``; ``codes`` are their pages' QR streams when a worker made
        them, else they are made here."""
        n = self.per_page
        if codes is None:
            codes = qr_pages([c.payload for c in cards], self.printing.template)
        for page, start in enumerate(range(0, len(cards), n)):
            writer.page(cards[start:start + n], codes[page])

    def _save(self, community: str) -> None:
        volume = self.open.pop(community)
        if volume.unsent:
            if self.pool is not None:
                self._send(volume)
            else:
                self._lay_out(volume.writer, volume.unsent, None)
        self._collect(volume, wait=True)
        volume.writer.close()
        fsync_file(volume.temporary)
        if self.suffix is None:  # no journal: each volume goes into place when complete
            os.replace(volume.temporary, self.out_dir / volume.final)
            self.saved.append((volume.rank, volume.final, volume.final))
        else:
            self.saved.append((volume.rank, volume.temporary.name, volume.final))

    def finish(self) -> None:
        for community in list(self.open):
            self._save(community)

    def finals(self) -> list[Path]:
        """The volumes by community (in order of first appearance), then part."""
        return [self.out_dir / final for _, _, final in sorted(self.saved)]

    @property
    def files(self) -> list[tuple[str, str]]:
        """(file written, final name) of each volume, as saved."""
        return [(written, final) for _, written, final in self.saved]

    def discard(self) -> None:
        """Remove the temporary files of a batch that failed before its journal entry
        (volumes already renamed into place without a ledger are complete and stay)."""
        for volume in self.open.values():
            volume.temporary.unlink(missing_ok=True)
        if self.suffix is not None:
            for temporary, _ in self.files:
                (self.out_dir / temporary).unlink(missing_ok=True)


def run_cards(paths: Sequence[Path], key: SigningKey, out_dir: Path, rules: Rules,
              printing: PrintOptions | CardTemplate, as_of: dt.date, community: str = "",
              valid_days: int = DEFAULT_VALID_DAYS, progress: Progress | None = None,
              limits: Limits = DEFAULT_LIMITS, ledger: Path | None = None,
              now: int | None = None,
              on_outcome: Callable[[RowOutcome], None] | None = None) -> BatchResult:
    """Read, assess, sign and print: ``out_dir/cards-<community>-NNN.pdf`` volumes and
    ``out_dir/report.xlsx``.  With a ``ledger`` every card is recorded, and a resident's
    earlier unexpired card is revoked (superseded) by the new one.

    Rows stream through: each is decided, reported and, if it is a card, queued for its
    community's volume, which is written when full.  With a ledger, volumes are written
    under temporary names and the batch is journalled so PDFs and ledger always agree."""
    if isinstance(printing, CardTemplate):
        printing = PrintOptions(printing)
    check_key_window(key, as_of)
    out_dir.mkdir(parents=True, exist_ok=True)
    notices: list[SheetNotice] = []
    rejected: list[RowOutcome] = []
    records: list[CardRecord] = []
    batch_id = uuid.uuid4().hex
    if ledger is not None:
        with Ledger(ledger) as journal:  # finish or undo any batch a crash interrupted
            journal.recover()
        for stale in out_dir.glob(".cards-*.part"):  # orphans of a batch killed before it
            stale.unlink(missing_ok=True)             # was journalled: nothing was printed
    journalled = False
    volumes = _Volumes(out_dir, printing, batch_id if ledger else None, None)
    # the report process is forked first: forking after the pool's threads start is unsafe
    report = ReportWriter(background=parallel(printing.jobs))
    try:
        with ExitStack() as stack:
            pool = worker_pool(printing.jobs)
            if pool is not None:
                volumes.pool = stack.enter_context(pool)
            if progress:
                progress.start("读取、签发、印制 reading, signing, printing rows", None)
            # spool: a batch reads for minutes; a big workbook's parsed sheet stays out of it
            for outcome in assess_rows(paths, RowContext(as_of, community), rules, key,
                                       valid_days, limits, notices, spool=True):
                report.add(outcome)
                if outcome.card is not None:
                    volumes.add(outcome.card)
                    if ledger is not None:
                        records.append(CardRecord.of(outcome.card))
                else:
                    rejected.append(outcome)
                if on_outcome:
                    on_outcome(outcome)
                if progress:
                    progress.advance(1)
            volumes.finish()
            if progress:
                progress.finish()
        superseded: list[bytes] = []
        if ledger is not None:
            with Ledger(ledger) as journal:
                superseded = journal.begin_batch(
                    batch_id, key.entry.issuer, key.entry.kid, records, volumes.files,
                    out_dir, int(time.time()) if now is None else now)
                journalled = True  # from here the journal decides what becomes of the files
                _rename_into_place(volumes.files, out_dir)
                journal.complete_batch(batch_id)
    except BaseException:
        report.abort()
        if not journalled:  # the ledger never knew these files: nothing was printed
            volumes.discard()
        raise
    report_path = out_dir / "report.xlsx"
    report.save(report_path, rules.version_hex, notices)
    return BatchResult(tuple(volumes.finals()), report_path,
                       report.tally.totals(), tuple(rejected), tuple(notices),
                       tuple(superseded))


def _rename_into_place(files: list[tuple[str, str]], out_dir: Path) -> None:
    """Rename a journalled batch's volumes to their final names, durably."""
    for tmp, final in files:
        os.replace(out_dir / tmp, out_dir / final)
    fsync_dir(out_dir)


def check_rosters(paths: Sequence[Path], out_dir: Path, rules: Rules, as_of: dt.date,
                  community: str = "", limits: Limits = DEFAULT_LIMITS,
                  on_outcome: Callable[[RowOutcome], None] | None = None) -> BatchResult:
    """Validate only: the report, no cards."""
    notices: list[SheetNotice] = []
    report = ReportWriter()
    rejected: list[RowOutcome] = []
    for outcome in assess_rows(paths, RowContext(as_of, community), rules, None,
                               DEFAULT_VALID_DAYS, limits, notices):
        report.add(outcome)
        if outcome.error is not None:
            rejected.append(outcome)
        if on_outcome:
            on_outcome(outcome)
    out_dir.mkdir(parents=True, exist_ok=True)
    report_path = out_dir / "report.xlsx"
    report.save(report_path, rules.version_hex, notices)
    return BatchResult((), report_path, report.tally.totals(), tuple(rejected), tuple(notices))
