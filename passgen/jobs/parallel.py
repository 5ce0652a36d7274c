"""The one place that starts processes: worker pools for QR codes and the report's child.

Linux forks them (the fastest start, and the parent's state comes along); every other system
spawns them (DESIGN.md §9): Windows cannot fork, and Python documents fork as unsafe on
macOS.  Everything a spawned process needs therefore travels as picklable arguments: module
level functions, frozen dataclasses, the batch's scratch folder.  Both ways give the same
bytes.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import tempfile
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.pool import Pool
from multiprocessing.process import BaseProcess
from typing import Any

from passgen.printing.cards import qr_page
from passgen.printing.layout import CardTemplate
from passgen.qr.encode import encode
from passgen.signals import HELD, children_start_deaf


def start_method() -> str:
    """``fork`` on Linux (where the system has it), ``spawn`` everywhere else."""
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


def context() -> Any:  # a ForkContext or SpawnContext (typeshed's BaseContext has no Process)
    return multiprocessing.get_context(start_method())


def parallel(jobs: int) -> bool:
    """Whether to use worker processes: more than one job."""
    return jobs > 1


def die_with_parent(scratch: str | None = None) -> None:
    """Set up a worker or report process: its temporary files in the batch's ``scratch``
    folder (a spawned process does not inherit ``tempfile.tempdir``), Ctrl-C left to the
    parent, and the kernel ending it when the parent dies, however it dies: a batch killed
    with SIGKILL leaves no worker or report process behind (Linux; elsewhere the parent's
    normal exit ends them)."""
    if scratch is not None:
        tempfile.tempdir = scratch
    # Ctrl-C reaches every process of the terminal's group: the parent alone decides what
    # happens (it ends these), so none of them prints a traceback of its own
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # started with them held (children_start_deaf)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD)
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        parent = multiprocessing.parent_process()
        if parent is not None and os.getppid() != parent.pid:  # it died before that: go now
            os._exit(1)


def worker_pool(jobs: int) -> Pool | None:
    """A pool of ``jobs`` worker processes, or None where ``parallel(jobs)`` is False."""
    if not parallel(jobs):
        return None
    with children_start_deaf():
        return context().Pool(jobs, initializer=die_with_parent, initargs=(tempfile.tempdir,))


def child(target: Callable[[Connection], None]) -> tuple[Connection, BaseProcess]:
    """A daemon child running ``target(connection)`` (a module-level function), and this
    side's connection.  Start children before any pool: forking after a pool's threads
    start is unsafe."""
    ctx = context()
    mine, theirs = ctx.Pipe()
    process = ctx.Process(target=_orphan_proof, args=(target, theirs, tempfile.tempdir),
                          daemon=True)
    with children_start_deaf():
        process.start()
    theirs.close()
    return mine, process


def _orphan_proof(target: Callable[[Connection], None], conn: Connection,
                  scratch: str | None) -> None:
    die_with_parent(scratch)
    target(conn)


def qr_pages(payloads: list[str], template: CardTemplate) -> list[bytes]:
    """The ``qr_page`` of each run of ``per_page`` payloads: one worker task.  The QR stage
    makes matrices, the printing stage turns them into a page's content stream."""
    n = template.per_page
    return [qr_page([encode(text, template.qr_error) for text in payloads[i:i + n]], template)
            for i in range(0, len(payloads), n)]
