"""Output files: written safely (a temporary name beside the target, then one rename) and
named safely (community names made into file names that are distinct on any system)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path

from passgen.errors import OutputExists


def fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def fsync_dir(folder: Path) -> None:
    """Make renames in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def refuse_existing(path: Path) -> None:
    """Refuse to replace ``path`` unless the user says so (``--force``)."""
    if path.exists():
        raise OutputExists(f"{path} 已存在，如确需覆盖请加 --force",
                           f"{path} exists; use --force to overwrite it")


def atomic_write(path: Path, write: Callable[[Path], object], mode: int | None = None,
                 overwrite: bool = True) -> None:
    """Call ``write(tmp)`` for a temporary file beside ``path``, then rename it into place;
    an interrupted run never leaves a half-written file under the final name.  The
    temporary file is created new (never through a file or link already there) with
    ``mode`` (default: as the umask allows); ``overwrite`` False refuses an existing
    ``path``."""
    if not overwrite:
        refuse_existing(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
        os.close(fd)
        write(tmp)
        if mode is not None:
            os.chmod(tmp, mode)
        fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename == str(tmp):  # name what the user named
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise


_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def safe_stem(name: str, fallback: str = "community") -> str:
    """``name`` made safe as part of a file name on any system."""
    return _UNSAFE.sub("_", name).strip("_.") or fallback


class Stems:
    """Names → safe file-name stems, distinct from every stem given out before even where a
    system ignores case: ``a/b`` and ``a:b`` (both ``a_b``), ``A区`` and ``a区``.  The later
    name gets a digest of itself appended, so two names never write one file."""

    def __init__(self) -> None:
        self.given: dict[str, str] = {}
        self.taken: set[str] = set()

    def __call__(self, name: str) -> str:
        stem = self.given.get(name)
        if stem is None:
            stem = safe_stem(name)
            if stem.casefold() in self.taken:
                stem += "-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
            self.given[name] = stem
            self.taken.add(stem.casefold())
        return stem


def private_file(path: Path) -> None:
    """Create ``path`` empty and readable by its owner only, or make an existing file of
    ours so (SQLite's journal files take the database file's mode)."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        info = path.stat()
        if os.name == "posix" and info.st_mode & 0o077 and info.st_uid == os.getuid():
            path.chmod(0o600)
