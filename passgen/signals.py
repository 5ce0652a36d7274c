"""Starting a child process that Ctrl-C does not reach: the parent alone decides what an
interrupt does (it ends its children), so no child prints a traceback of its own, not even
one still starting up (issue #39: under spawn a worker interrupted while importing printed
"Fatal Python error: init_import_site … KeyboardInterrupt")."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator

HELD = {signal.SIGINT, signal.SIGTERM}


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
