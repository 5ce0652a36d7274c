"""Ctrl-C and SIGTERM in passgen's own process, and in the children it starts.

An interrupt is remembered as well as raised (``listen``), and a long loop asks after it at
each step (``checkpoint``): Python drops a KeyboardInterrupt raised where an exception cannot
propagate (it prints "Exception ignored in …" and goes on: cbor2's C encoder and decoder do
this to a third of the interrupts landing in them, and so do weakref callbacks and garbage
collection), and a batch must not then run to its end as if Ctrl-C had never been pressed.

A child process starts with Ctrl-C ignored: the parent alone decides what an interrupt does
(it ends its children), so no child prints a traceback of its own, not even one still
starting up (issue #39: under spawn a worker interrupted while importing printed
"Fatal Python error: init_import_site … KeyboardInterrupt")."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

HELD = {signal.SIGINT, signal.SIGTERM}
_interrupted = threading.Event()


def interrupt(signum: int, frame: object) -> None:
    """The handler for Ctrl-C and SIGTERM: remembered, then raised as Ctrl-C is."""
    _interrupted.set()
    raise KeyboardInterrupt


def listen() -> None:
    """Ctrl-C and SIGTERM both end a run cleanly (exit status 130) and are never lost.  A
    Ctrl-C a shell set to be ignored (a command started with ``&``) stays ignored."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    sys.unraisablehook = _unraisable


def checkpoint() -> None:
    """Raise the interrupt again if one arrived and something swallowed it."""
    if _interrupted.is_set():
        raise KeyboardInterrupt


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A step that must finish once begun (a lock file created and locked, or unlocked and
    removed): Ctrl-C or SIGTERM arriving inside is raised at its end.  In a thread other than
    the main one, where no handler runs, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    held = {s: h for s in HELD if callable(h := signal.getsignal(s))}  # Python's handlers
    for s in held:
        signal.signal(s, lambda signum, frame: arrived.append(signum))
    try:
        yield
    finally:
        for s, handler in held.items():
            signal.signal(s, handler)
        if arrived:
            _interrupted.set()
            raise KeyboardInterrupt


def _unraisable(args: Any) -> None:
    """An interrupt Python could not raise is kept for the next checkpoint, silently: the
    clerk is told once, by the command, that the run was interrupted."""
    if args.exc_type is not None and issubclass(args.exc_type, KeyboardInterrupt):
        _interrupted.set()
        return
    sys.__unraisablehook__(args)


@contextlib.contextmanager
def children_start_deaf() -> Iterator[None]:
    """Start children inside this block: they start with Ctrl-C and SIGTERM ignored.

    POSIX: the signals are blocked in this process meanwhile and set to be ignored, which a
    child keeps across exec (Python leaves an ignored SIGINT ignored); afterwards this
    process's handlers are back and an interrupt that arrived meanwhile is raised here.
    Windows: Ctrl-C is ignored while the children start (SetConsoleCtrlHandler), which they
    inherit.  Elsewhere in a thread other than the main one, nothing changes."""
    if sys.platform == "win32":
        with _windows_deaf():
            yield
        return
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
    handlers: dict[int, object] = {}
    arrived: set[int] = set()
    try:
        if threading.current_thread() is threading.main_thread():
            arrived = set(signal.sigpending()) & HELD  # kept: ignoring drops them
            handlers = {s: signal.signal(s, signal.SIG_IGN) for s in HELD}
        yield
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)  # type: ignore[arg-type]
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
        for s in arrived:
            signal.raise_signal(s)


@contextlib.contextmanager
def _windows_deaf() -> Iterator[None]:
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32.SetConsoleCtrlHandler(None, True)
    try:
        yield
    finally:
        kernel32.SetConsoleCtrlHandler(None, False)
