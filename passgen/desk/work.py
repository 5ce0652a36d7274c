"""Long work of the desk (a batch of cards, thousands of posters) runs in a thread of its
own, so the desk keeps answering; its page refreshes itself with a progress bar until the
work is done or says, in plain words, why it stopped."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from passgen.errors import PassgenError


@dataclass
class Job:
    """One piece of work: what its page shows while it runs and when it is done (it is
    also the work's ``Progress``)."""

    label: str = "准备中 preparing"
    total: int | None = None
    done: int = 0
    state: str = "running"  # running, done, failed
    problem: str = ""
    result: dict[str, Any] = field(default_factory=dict)

    def start(self, label: str, total: int | None) -> None:
        self.label, self.total, self.done = label, total, 0

    def advance(self, n: int) -> None:
        self.done += n

    def finish(self) -> None:
        pass


class Jobs:
    """A screen's running and finished work, by an unguessable key."""

    def __init__(self) -> None:
        self.running: dict[str, Job] = {}

    def get(self, key: str) -> Job | None:
        return self.running.get(key)

    def start(self, work: Callable[[Job], dict[str, Any]], stopped: str) -> str:
        """Run ``work`` in a thread; what it returns is the job's result.  ``stopped`` names
        the work when something unforeseen ends it (said on the page, never a blank one)."""
        job = Job()
        key = secrets.token_urlsafe(8)
        self.running[key] = job

        def run() -> None:
            try:
                job.result = work(job)
                job.state = "done"
            except PassgenError as exc:
                job.problem, job.state = f"{exc.zh} / {exc.en}", "failed"
            except Exception as exc:  # noqa: BLE001 (said on the page)
                job.problem, job.state = f"{stopped}：{type(exc).__name__} / it stopped", "failed"

        threading.Thread(target=run, daemon=True).start()
        return key
