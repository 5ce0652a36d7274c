"""Output files: written safely (a temporary name beside the target, then one rename) and
named safely (community names made into file names that are distinct on any system)."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path


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


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` for a temporary file beside ``path``, then rename it into place;
    an interrupted run never leaves a half-written file under the final name."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        write(tmp)
        fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
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
