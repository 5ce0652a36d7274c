"""How long work reports its progress (the CLI shows a bar on standard error)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receives progress of long work (the CLI shows a bar on standard error)."""

    def start(self, label: str, total: int | None) -> None: ...  # None: not known ahead
    def advance(self, n: int) -> None: ...
    def finish(self) -> None: ...
