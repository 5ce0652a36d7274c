"""Output files: written safely (a temporary name beside the target, then one rename) and
named safely (community names made into file names that are distinct on any system)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import stat
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import filelock

from passgen import signals
from passgen.errors import OutputBusy, OutputExists, PassgenError


def is_regular(path: Path) -> bool:
    """Whether ``path`` is a regular file (a link to one counts): a device, a pipe or a
    folder given as a roster, key or list would be read without end, or hang (issue #29)."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (OSError, ValueError):
        return False


def read_regular(path: Path, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes of a regular file: it is opened without waiting (a pipe
    would block) and checked after opening, so nothing swapped in between is read.
    OSError if it is not a regular file."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def fsync_dir(folder: Path) -> None:
    """Make renames in ``folder`` durable where the system can: POSIX systems sync a folder
    through a descriptor of it; Windows refuses to open a folder (its file system journals
    renames itself), so there, and wherever a folder cannot be opened, this does nothing."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except (PermissionError, IsADirectoryError):  # a folder that cannot be opened
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems (network shares) cannot sync a folder
        pass
    finally:
        os.close(fd)


class FileHeldOpen(PassgenError):
    "Another program (WPS, Excel, a PDF reader) holds a file that passgen must replace."


def held_open(path: Path) -> FileHeldOpen:
    """What a clerk is told when ``path`` cannot be replaced or removed: on Windows that
    means another program has it open (WPS or Excel keeps a workbook open while shown)."""
    return FileHeldOpen(
        f"无法替换或删除 {path}：它可能正在 WPS、Excel 或 PDF 阅读器中打开。请关闭这个文件后再运行一次"
        "（或者它所在的文件夹没有写入权限）",
        f"cannot replace or remove {path}: another program (WPS, Excel, a PDF reader) may "
        "have it open. Close the file and run the command again (or the folder is not "
        "writable)")


# A file just written may be held for a moment by an antivirus scanner or a sync client
# (OneDrive, 坚果云) the clerk never opened: tried again after these pauses (3.1 s in all)
# before the clerk is asked to close it (issue #39).
RETRY_PAUSES = (0.1, 0.2, 0.4, 0.8, 1.6)
_pause = time.sleep  # (tests count the pauses instead of waiting them out)


def _patiently(action: Callable[[], object]) -> None:
    """``action``, tried again after each of ``RETRY_PAUSES`` while it meets a
    PermissionError (what Windows raises for a file another program holds)."""
    for pause in RETRY_PAUSES:
        try:
            action()
            return
        except PermissionError:
            _pause(pause)
    action()


def replace(source: Path, target: Path) -> None:
    """``os.replace``, tried again for a few seconds while the file is held (``_patiently``),
    with a clear message if it still is (``held_open``): it names ``source`` when that is
    one of the clerk's files (being moved aside), else ``target`` (a temporary file held on
    its way to that name is named by that name)."""
    try:
        _patiently(lambda: os.replace(source, target))
    except PermissionError:
        ours = source.name.startswith(TEMPORARY_PREFIX)
        raise held_open(target if ours else source) from None


def remove(path: Path) -> None:
    """Remove ``path`` if it is there, tried again for a few seconds while it is held, with
    a clear message if it still is."""
    try:
        _patiently(lambda: path.unlink(missing_ok=True))
    except PermissionError:
        raise held_open(path) from None


def refuse_existing(path: Path) -> None:
    """Refuse to replace ``path`` unless the user says so (``--force``)."""
    if path.exists():
        raise OutputExists(f"{path} 已存在，如确需覆盖请加 --force",
                           f"{path} exists; use --force to overwrite it")


def atomic_write(path: Path, write: Callable[[Path], object], mode: int | None = None,
                 overwrite: bool = True, tag: str | None = None) -> None:
    """Call ``write(tmp)`` for a temporary file beside ``path``, then rename it into place;
    an interrupted run never leaves a half-written file under the final name.  The
    temporary file is created new (never through a file or link already there) with
    ``mode`` (default: as the umask allows); ``overwrite`` False refuses an existing
    ``path``; ``tag`` (default: this process's id) names it as a batch's, which recovery
    removes if a kill left it."""
    if not overwrite:
        refuse_existing(path)
    tmp = path.with_name(temporary_name(path.name, tag or str(os.getpid())))
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
        os.close(fd)
        write(tmp)
        if mode is not None:
            os.chmod(tmp, mode)
        fsync_file(tmp)
        replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename == str(tmp):  # name what the user named
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise


TEMPORARY_PREFIX = ".pg-"
MAX_STEM = 40  # characters of a name kept in a file name (a CJK character is 3 bytes)


def temporary_name(final: str, tag: str) -> str:
    """A short hidden name for ``final`` while it is written: a digest of the final name
    (which may be long, or not safe yet) and ``tag`` (a process or batch id)."""
    return f"{TEMPORARY_PREFIX}{hashlib.sha256(final.encode()).hexdigest()[:12]}-{tag}.part"


_KEEP = frozenset("-_.()（）·")


def _safe_char(ch: str) -> bool:
    """Letters and digits of any script, and a few marks: nothing a shell, a file system or
    a bidirectional-text trick (U+202E) can misread."""
    return ch in _KEEP or unicodedata.category(ch)[0] in "LN"


def safe_stem(name: str, fallback: str = "community") -> str:
    """``name`` made safe as part of a file name on any system: letters, digits and
    ``-_.()（）·`` only, runs of anything else one ``_``, at most ``MAX_STEM`` characters
    (a longer name keeps its start and a digest of the whole)."""
    stem = re.sub(r"_+", "_", "".join(ch if _safe_char(ch) else "_" for ch in name)).strip("_.")
    if len(stem) > MAX_STEM:
        stem = stem[:MAX_STEM - 9] + "_" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return stem or fallback


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


@contextlib.contextmanager
def exclusive(path: Path, busy: OutputBusy,
              wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` until the block ends (``filelock``: ``flock`` on
    Linux and macOS, ``LockFileEx`` on Windows).  If another process holds it: raise
    ``busy`` at once, or, given ``wait``, call it (to say so) and wait for the lock (Ctrl-C
    still ends the wait).  ``path`` is created if missing, and must not be a file with
    content of its own (Windows locks are mandatory: a locked database could not be read).
    A lock file named ``.pg-…`` is removed at the end, while still held: a process that
    opened it just before finds it gone (filelock checks) and tries again."""
    lock = filelock.FileLock(str(path), mode=0o600, thread_local=False)
    try:  # an interrupt lands between the steps, never inside one (a file made, not locked)
        if not _try_lock(lock):
            if wait is None:
                raise busy from None
            wait()
            while not _try_lock(lock):
                time.sleep(0.05)  # Ctrl-C ends the wait here
        yield
    finally:
        with signals.deferred():
            if lock.is_locked:
                if path.name.startswith(TEMPORARY_PREFIX):
                    with contextlib.suppress(OSError):  # Windows: filelock removes it too
                        path.unlink()
                lock.release(force=True)


def _try_lock(lock: filelock.BaseFileLock) -> bool:
    with signals.deferred():
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            return False
    return True
