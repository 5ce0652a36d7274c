"""The one place that forks: worker pools for QR codes and the report's child process.

Where the system cannot fork (Windows), ``can_fork`` is False and callers run everything in
one process with the same output.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.pool import Pool
from multiprocessing.process import BaseProcess

from passgen.printing.cards import qr_page
from passgen.printing.layout import CardTemplate
from passgen.qr.encode import encode


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def parallel(jobs: int) -> bool:
    """Whether to use worker processes: more than one job, and a system that can fork."""
    return jobs > 1 and can_fork()


def die_with_parent() -> None:
    """Have the kernel end this (forked) process when its parent dies, however it dies: a
    batch killed with SIGKILL leaves no worker or report process behind (Linux; elsewhere
    the parent's normal exit ends them)."""
    # Ctrl-C reaches every process of the terminal's group: the parent alone decides what
    # happens (it ends these), so none of them prints a traceback of its own
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        parent = multiprocessing.parent_process()
        if parent is not None and os.getppid() != parent.pid:  # it died before that: go now
            os._exit(1)


def worker_pool(jobs: int) -> Pool | None:
    """A pool of ``jobs`` forked workers, or None where ``parallel(jobs)`` is False."""
    if not parallel(jobs):
        return None
    return multiprocessing.get_context("fork").Pool(jobs, initializer=die_with_parent)


def child(target: Callable[[Connection], None]) -> tuple[Connection, BaseProcess]:
    """A forked daemon child running ``target(connection)``, and this side's connection.
    Fork children before any pool: forking after a pool's threads start is unsafe."""
    context = multiprocessing.get_context("fork")
    mine, theirs = context.Pipe()
    process = context.Process(target=_orphan_proof, args=(target, theirs), daemon=True)
    process.start()
    theirs.close()
    return mine, process


def _orphan_proof(target: Callable[[Connection], None], conn: Connection) -> None:
    die_with_parent()
    target(conn)


def qr_pages(payloads: list[str], template: CardTemplate) -> list[bytes]:
    """The ``qr_page`` of each run of ``per_page`` payloads: one worker task.  The QR stage
    makes matrices, the printing stage turns them into a page's content stream."""
    n = template.per_page
    return [qr_page([encode(text, template.qr_error) for text in payloads[i:i + n]], template)
            for i in range(0, len(payloads), n)]
