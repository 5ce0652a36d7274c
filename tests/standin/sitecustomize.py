"""A Windows stand-in for passgen's end-to-end tests (DESIGN.md §9): no Windows machine is
at hand, so a Linux Python started with this folder on PYTHONPATH and PASSGEN_STANDIN=windows
behaves, where passgen has tripped before, as Windows does:

- no ``fcntl`` module (``import fcntl`` fails; filelock, imported first, keeps the native lock
  it has on every system: on Windows that is LockFileEx);
- no fork: ``os.fork`` is gone and multiprocessing offers ``spawn`` alone, as its default;
- a folder cannot be opened with ``os.open`` (PermissionError 13, as Windows refuses it), so
  ``shutil.rmtree`` takes the path-based walk Windows takes;
- a file "held open by another program" cannot be replaced, renamed or removed
  (PermissionError 13 with Windows' sharing-violation text): PASSGEN_STANDIN_HELD names a file
  listing glob patterns of held paths, one a line, read at each call (a test "closes" a file
  by emptying it);
- output that is not a terminal is encoded in code page 936, strictly, as a Chinese Windows
  encodes a pipe or a redirect.

What it cannot show is listed in docs/platforms.md.  This file does nothing unless
PASSGEN_STANDIN=windows.
"""

from __future__ import annotations

import os
import sys

if os.environ.get("PASSGEN_STANDIN") == "windows":
    import fnmatch
    import multiprocessing
    import multiprocessing.context as _mpc

    import filelock  # noqa: F401 (binds its native lock before fcntl goes)

    sys.modules["fcntl"] = None  # type: ignore[assignment]  # import fcntl → ImportError

    # -- no fork -----------------------------------------------------------------------------
    for _name in ("fork", "forkpty"):
        if hasattr(os, _name):
            delattr(os, _name)
    for _name in ("fork", "forkserver"):
        _mpc._concrete_contexts.pop(_name, None)  # type: ignore[attr-defined]
    _spawn = _mpc._concrete_contexts["spawn"]  # type: ignore[attr-defined]
    _mpc._default_context = _mpc.DefaultContext(_spawn)  # type: ignore[attr-defined]
    _mpc.DefaultContext.get_all_start_methods = lambda self: ["spawn"]  # type: ignore[method-assign]
    for _name in multiprocessing.__all__:
        setattr(multiprocessing, _name, getattr(_mpc._default_context, _name))

    # -- folders cannot be opened -------------------------------------------------------------
    _real_open = os.open

    def _open(path, flags, mode=0o777, *, dir_fd=None):  # type: ignore[no-untyped-def]
        if dir_fd is None and not isinstance(path, int) and os.path.isdir(path):
            raise PermissionError(13, "拒绝访问。", os.fsdecode(path))
        return _real_open(path, flags, mode, dir_fd=dir_fd)

    os.open = _open  # type: ignore[assignment]
    if "shutil" in sys.modules:
        sys.modules["shutil"]._use_fd_functions = False  # type: ignore[attr-defined]

    # -- files held open by another program --------------------------------------------------
    _HELD_LIST = os.environ.get("PASSGEN_STANDIN_HELD")

    def _held(path: object) -> bool:
        if _HELD_LIST is None or isinstance(path, int):
            return False
        try:
            with open(_HELD_LIST, encoding="utf-8") as fh:
                patterns = [line.strip() for line in fh if line.strip()]
        except FileNotFoundError:
            return False
        full = os.path.abspath(os.fsdecode(path))  # type: ignore[arg-type]
        return any(fnmatch.fnmatchcase(full, p) for p in patterns)

    def _refuse(path: object) -> None:
        raise PermissionError(13, "另一个程序正在使用此文件，进程无法访问。",
                              os.fsdecode(path))  # type: ignore[arg-type]

    def _guard_two(real):  # type: ignore[no-untyped-def]
        def guarded(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
            for p in (src, dst):
                if _held(p):
                    _refuse(p)
            return real(src, dst, *args, **kwargs)
        return guarded

    def _guard_one(real):  # type: ignore[no-untyped-def]
        def guarded(path, *args, **kwargs):  # type: ignore[no-untyped-def]
            if _held(path):
                _refuse(path)
            return real(path, *args, **kwargs)
        return guarded

    os.replace = _guard_two(os.replace)  # type: ignore[assignment]
    os.rename = _guard_two(os.rename)  # type: ignore[assignment]
    os.unlink = _guard_one(os.unlink)  # type: ignore[assignment]
    os.remove = _guard_one(os.remove)  # type: ignore[assignment]

    # -- output in code page 936 ---------------------------------------------------------------
    for _stream in (sys.stdout, sys.stderr):
        if _stream is not None and not _stream.isatty():
            _stream.reconfigure(encoding="cp936", errors="strict")
