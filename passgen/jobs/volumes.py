"""A cards batch's PDF volumes: one series per community, written as cards arrive.

Cards go to their community's open volume and are laid out page by page; a volume is saved
as soon as it is full, so memory follows the volume size, not the roster.  With a worker pool
the QR codes of each run of pages are made in other processes (``passgen.jobs.parallel``).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path

from passgen.files import (
    TEMPORARY_PREFIX,
    Stems,
    fsync_file,
    private_file,
    replace,
    temporary_name,
)
from passgen.jobs.parallel import qr_pages
from passgen.models import Card
from passgen.printing.cards import CardSheetWriter
from passgen.printing.layout import CardTemplate


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


class Volumes:
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
        self.on_saved: Callable[[str], None] | None = None  # told of each finished volume

    def _start(self, community: str) -> _Volume:
        part = self.parts[community] = self.parts.get(community, 0) + 1
        final = volume_name(self.stems(community), part)
        temporary = self.out_dir / temporary_name(final, self.suffix or str(os.getpid()))
        private_file(temporary)  # 0600: valid cards with names, readable by the clerk only
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
        volume = self.open[community]  # open until saved: ``discard`` must find it meanwhile
        if volume.unsent:
            if self.pool is not None:
                self._send(volume)
            else:
                self._lay_out(volume.writer, volume.unsent, None)
        self._collect(volume, wait=True)
        volume.writer.close()
        fsync_file(volume.temporary)
        if self.suffix is None:  # no journal: each volume goes into place when complete
            replace(volume.temporary, self.out_dir / volume.final)
            self.saved.append((volume.rank, volume.final, volume.final))
        else:
            self.saved.append((volume.rank, volume.temporary.name, volume.final))
        del self.open[community]
        if self.on_saved is not None:
            self.on_saved(f"已写好 {volume.final}（{volume.cards} 张卡，批次完成后生效） / volume written: "
                          f"{volume.final} ({volume.cards} cards, final once the batch completes)")

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
        # and any this batch created but had not yet registered when it was interrupted:
        # every temporary name of this batch ends in its tag
        for part in self.out_dir.glob(f"{TEMPORARY_PREFIX}*-{self.suffix or os.getpid()}.part"):
            part.unlink(missing_ok=True)


