"""The progress the command line shows on standard error."""

from __future__ import annotations

import sys
import time
from typing import Any

import click


class ProgressBar:
    """Progress on standard error.  On a terminal: click's bar with percentage and time left
    when the row count is known ahead (from the sheets' dimensions), else a running count.
    Into a file or pipe: a line when the work starts and one per finished volume, no bar."""

    PIPED_EVERY = 10.0  # seconds between progress lines into a file or pipe

    def __init__(self) -> None:
        self.bar: Any = None
        self.label = ""
        self.count = 0
        self.shown = 0.0
        self.total: int | None = None
        self.first: tuple[float, int] | None = None  # when the first row was done, and count
        self.terminal = sys.stderr.isatty()

    def start(self, label: str, total: int | None) -> None:
        self.label, self.count, self.shown, self.total = label, 0, time.monotonic(), total
        if not self.terminal:
            about = f"（约 {total:,} 行 / about {total:,} rows）" if total else ""
            click.echo(f"{label}{about}", err=True)
            return
        if total is None:
            self.bar = "count"
        else:
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr,
                                         show_percent=True, show_eta=False,
                                         item_show_func=lambda _: self.eta())
            self.bar.__enter__()
        self.first = None

    def advance(self, n: int) -> None:
        self.count += n
        if not self.terminal:  # a log: a line now and then, so a long batch shows it lives
            total = self.total or 0
            quarter = total and self.count * 4 // total > (self.count - n) * 4 // total
            if (quarter and self.count < total) or \
                    time.monotonic() - self.shown >= self.PIPED_EVERY:
                self.shown = time.monotonic()
                click.echo(self._done(), err=True)
            return
        if self.bar == "count":
            if time.monotonic() - self.shown > 0.2:
                self.shown = time.monotonic()
                click.echo(f"\r{self.label}: {self.count:,}", nl=False, err=True)
        elif self.bar is not None:
            if self.first is None:
                self.first = (time.monotonic(), self.count - n)
            self.bar.update(min(n, max(self.bar.length - self.bar.pos, 0)))  # an estimate

    SETTLE = 0.03  # no time left is shown before this share of the rows is done

    def eta(self, now: float | None = None) -> str | None:
        """Time left, from the rows done since the first one (not since the start: reading
        the key and opening files would make it hours at first, issue #39), shown once a few
        percent are done, so it settles instead of leaping about."""
        if not self.total or self.first is None:
            return None
        started, before = self.first
        done = self.count - before
        elapsed = (time.monotonic() if now is None else now) - started
        if done <= 0 or self.count < self.total * self.SETTLE or elapsed < 1.0:
            return None
        left = max(self.total - self.count, 0) * elapsed / done
        minutes, seconds = divmod(int(left + 0.5), 60)
        hours, minutes = divmod(minutes, 60)
        clock = f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"
        return f"剩余约 {clock} / about {clock} left"

    def note(self, text: str) -> None:
        """A line of its own (a finished volume): above the bar, or alone in a log."""
        if self.terminal and self.bar is not None:
            click.echo("", err=True)
        click.echo(text, err=True)

    def _done(self) -> str:
        if self.total:
            share = min(self.count / self.total, 1.0)
            return (f"已处理 {self.count:,} / {self.total:,} 行（{share:.0%}） / "
                    f"{self.count:,} of {self.total:,} rows done")
        return f"已处理 {self.count:,} 行 / {self.count:,} rows done"

    def finish(self) -> None:
        if self.bar == "count":
            click.echo(f"\r{self.label}: {self.count:,}", err=True)
        elif self.bar is not None:
            # the rows were estimated ahead (blank and formatted rows among them): the work
            # is done, so the bar ends full, never at 84 %
            self.bar.update(max(self.bar.length - self.bar.pos, 0))
            self.bar.__exit__(None, None, None)
        self.bar = None
