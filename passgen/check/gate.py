"""``passgen checkpoint``: the scanner loop at a gate.

A USB handheld scanner in keyboard mode types each QR payload followed by Enter.  For every
line the guard sees one large verdict: the colour word with what to do, in the source's words
(查验体温亮码通行 / 检查体温、充分核验后方可通行 / 待转码后方可通行: ``Colour.meaning``, as on the card,
the posters and the phone page) or 无效 INVALID · 不得通行 with the reason, then the name and masked ID number to
compare with the card and the person.  Colours help where the terminal has them (and NO_COLOR
is not set); the words alone say everything on a monochrome screen.  The log keeps time,
serial, verdict and colour, never a name or an ID number.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import select
import signal
import sys
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from passgen.check.inputs import DEFAULT_REVOCATION_MAX_AGE_HOURS, load_lists
from passgen.check.memory import default_seen, fold_seen, seen_beside
from passgen.check.scan import MAX_LINE, byte_lines, mangled, typed
from passgen.check.verify import Verdict, VerifyResult, verify
from passgen.dates import SHANGHAI
from passgen.errors import PassgenError
from passgen.models import Colour, short_serial
from passgen.passes import pg1
from passgen.passes.keys import TrustList
from passgen.passes.revocation import NO_REVOCATIONS, Revocations
from passgen.text import shown

# what the guard does: the source's words, from the one table every surface uses
ACTIONS = {c: c.meaning for c in Colour}
ACTIONS_EN = {c: c.meaning_en for c in Colour}
REASONS = {
    Verdict.EXPIRED: ("已过期", "expired"),
    Verdict.NOT_YET_VALID: ("尚未生效", "not yet valid"),
    Verdict.REVOKED: ("已吊销（已补办新卡或挂失）", "revoked (re-issued or reported lost)"),
    Verdict.BAD_SIGNATURE: ("签名无效：伪造或被改动", "bad signature: forged or altered"),
    Verdict.UNKNOWN_KEY: ("不是受信任的机构签发", "not issued by a trusted office"),
    Verdict.MALFORMED: ("无法识别的二维码", "not a passgen card"),
}
# ANSI: white text on a coloured background, bold
STYLE = {Colour.GREEN: "\033[1;97;42m", Colour.YELLOW: "\033[1;30;43m", Colour.RED: "\033[1;97;41m"}
INVALID_STYLE = "\033[1;97;45m"
RESET = "\033[0m"
LOG_HEADER = ("time", "serial", "verdict", "colour")
WINDOWS = sys.platform == "win32"
IME_HINT = ("提示：扫到的内容被中文输入法改过了。请把输入法切换到英文（按 Shift 或 Ctrl+空格），再扫一次 / "
            "the scan was changed by a Chinese input method: switch it to English and scan "
            "again\n")


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: a CJK character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _centred(text: str, width: int, fill: str = " ") -> str:
    room = max(width - display_width(text), 0)
    return fill * (room // 2) + text + fill * (room - room // 2)


def banner(words: Sequence[str], style: str, colour: bool, width: int) -> list[str]:
    """A verdict several lines tall across the whole width, readable from a step away: on a
    colour terminal a coloured block, on a monochrome one a frame of █."""
    if colour:
        return [style + _centred(w, width) + RESET for w in ("", *words, "")]
    inner = max(width - 4, 0)
    return ["█" * width, *("██" + _centred(w, inner) + "██" for w in words), "█" * width]


def verdict_lines(result: VerifyResult, colour: bool, width: int = 60) -> list[str]:
    """What the guard sees for one scan: a tall banner in the source's words (the colour and
    what to do, or 不得通行 with the reason), then the facts to compare."""
    c = result.claims
    if result.status is Verdict.VALID and c is not None:
        words = [f"{c.colour.word}  {c.colour.english.upper()}", ACTIONS[c.colour]]
        style = STYLE[c.colour]
    else:
        zh, en = REASONS.get(result.status, ("无效", result.status))
        words = ["✗ 无效 INVALID", f"不得通行 · {zh}"]
        style = INVALID_STYLE
    lines = ["", *banner(words, style, colour, width)]
    if result.status is Verdict.VALID and c is not None:
        lines.append(f"  {ACTIONS_EN[c.colour]}")
    else:
        lines.append(f"  原因 reason: {zh} / {en}")
    if c is not None:  # text from a pass is data: shown, never obeyed (DESIGN.md §7)
        lines.append(f"  姓名 name: {shown(c.name)}    证件 ID: {shown(c.masked_id, 18)}")
        lines.append(f"  有效期至 valid until: {pg1.day_text(c)}    "
                     f"编号 serial: {short_serial(c.serial)}    {shown(c.issuer, 16)}")
        if result.status is Verdict.VALID:
            lines.append("  请核对卡上姓名与本人 / compare the name with the card and the person")
    return lines


def show(out: TextIO, result: VerifyResult, colour: bool, width: int = 60) -> None:
    """Write one scan's verdict; if the full verdict cannot be shown, a bare one is, and
    the gate goes on to the next card whatever happens."""
    try:
        text = "\n".join(verdict_lines(result, colour, width)) + "\n"
    except Exception:  # noqa: BLE001 (a pass's content must never stop the gate)
        ok = result.status is Verdict.VALID
        text = f"\n  {'有效 VALID' if ok else '无效 INVALID · 不得通行'}  ({result.status})\n"
    try:
        out.write(text)
        out.flush()
    except (UnicodeError, ValueError):  # a stream that still cannot take it
        with contextlib.suppress(Exception):
            out.write(f"\n  ({result.status})\n")
            out.flush()


@dataclass(frozen=True)
class Summary:
    scans: int
    by_verdict: dict[str, int]

    def line(self) -> str:
        parts = "  ".join(f"{k} {v}" for k, v in sorted(self.by_verdict.items()))
        return f"共扫描 {self.scans} 次 scans: {self.scans}  {parts}".rstrip()


def run(lines: Iterable[str], out: TextIO, trust: TrustList, clock: Callable[[], dt.datetime],
        revoked: Revocations = NO_REVOCATIONS, log: Path | None = None,
        colour: bool = False, width: int = 60) -> Summary:
    """Verify every non-blank line; a bad scan never stops the loop."""
    counts: Counter[str] = Counter()
    log_file = None
    writer = None
    if log is not None:
        new = not log.exists() or log.stat().st_size == 0
        log_file = log.open("a", encoding="utf-8", newline="")
        writer = csv.writer(log_file)
        if new:  # a byte order mark first: Excel and WPS then read the file as UTF-8
            log_file.write("\ufeff")
            writer.writerow(LOG_HEADER)
            log_file.flush()
    try:
        out.write("等待扫码… / waiting for scans (Ctrl-C to stop)\n")
        out.flush()
        hinted = False
        for raw in lines:
            text = typed(raw)
            if not text:
                continue
            now = clock()
            result = verify(text, trust, now, revoked)
            if result.status == Verdict.MALFORMED and not hinted and mangled(raw):
                hinted = True  # once: the worker switches the input method and scans again
                out.write(IME_HINT)
            counts[result.status] += 1
            if writer is not None and log_file is not None:  # logged before it is shown
                c = result.claims
                # the serial as printed on the card, in groups of 4: a spreadsheet keeps it
                # as text (0123… kept its 0, 31415926535E0100 is no number in E-notation)
                writer.writerow((now.isoformat(timespec="seconds"),
                                 short_serial(c.serial) if c else "", result.status,
                                 c.colour.english if c else ""))
                log_file.flush()
            show(out, result, colour, width)
    except KeyboardInterrupt:
        pass
    finally:
        if log_file is not None:
            log_file.close()
    summary = Summary(sum(counts.values()), dict(counts))
    out.write("\n" + summary.line() + "\n")
    out.flush()
    return summary


def scanner_lines(stream: TextIO, poll: float = 0.25) -> Iterator[str]:
    """The lines of a scanner's input, read from its file descriptor.

    Waiting in ``select`` for at most ``poll`` seconds at a time means a Ctrl-C is acted on
    within that time even when it arrives just before a read starts (Python cannot interrupt
    a read already waiting, so the gate used to hang until the next scan).  Bytes that are not
    UTF-8 become replacement characters: a malformed scan, never an exception."""
    fd = stream.fileno()
    pending = b""
    while True:
        ready, _, _ = select.select([fd], [], [], poll)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        *complete, pending = (pending + chunk).split(b"\n")
        for line in complete:
            yield line[:MAX_LINE].decode("utf-8", errors="replace")
        if len(pending) > MAX_LINE:  # no newline for too long: keep the start only
            pending = pending[:MAX_LINE]
    if pending:
        yield pending.decode("utf-8", errors="replace")


def console_lines(getwch: Callable[[], str]) -> Iterator[str]:
    """The lines a scanner types into a Windows console, read a key at a time with
    ``msvcrt.getwch``, which never echoes (a Windows console has no termios: the gate showed
    every scan's QR text between the verdicts, issue #39).  Enter ends a line, Backspace
    takes a character back, Ctrl-C stops, Ctrl-Z on an empty line ends the input."""
    line: list[str] = []
    while True:
        ch = getwch()
        if ch in ("\r", "\n"):
            yield "".join(line)
            line.clear()
        elif ch == "\x03":
            raise KeyboardInterrupt
        elif ch == "\x1a" and not line:
            return
        elif ch == "\x08":
            if line:
                line.pop()
        elif ch in ("\x00", "\xe0"):
            getwch()  # a function or arrow key: its second code is not typed text
        elif len(line) < MAX_LINE:
            line.append(ch)


def _windows_console(stream: object) -> bool:
    try:
        return WINDOWS and os.isatty(stream.fileno())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False


def _has_fd(stream: object) -> bool:
    try:
        return os.name == "posix" and isinstance(stream.fileno(), int)  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False


def serve(lines: Iterable[str], out: TextIO, err: TextIO, trust_path: Path,
          revoked_paths: Sequence[Path] = (), at: dt.datetime | None = None,
          log: Path | None = None, colour: bool = False,
          max_age_hours: float = DEFAULT_REVOCATION_MAX_AGE_HOURS,
          allow_demo: bool = False, width: int = 60) -> Summary:
    """``passgen checkpoint``: load the lists (warnings on ``err``), then judge every scan
    at ``at``, or at the clock's time of each scan."""
    def clock() -> dt.datetime:
        return at or dt.datetime.now(SHANGHAI)

    if log is not None and not log.parent.is_dir():
        raise PassgenError(f"日志所在的文件夹 {log.parent} 不存在", f"the folder of the log, "
                           f"{log.parent}, does not exist")

    if log is not None:  # what a gate before #37 remembered beside its log is kept
        fold_seen(seen_beside(log), default_seen())
    # one memory per user, whatever the log: a new log is no way back to an old list (#37)
    lists = load_lists(trust_path, revoked_paths, clock(), max_age_hours, None, allow_demo)
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C stops the gate even when it was started with SIGINT ignored (as a shell
        # starts a background job): the guard has no other way to end it
        signal.signal(signal.SIGINT, signal.default_int_handler)
    for warning in lists.warnings:
        err.write(warning + "\n")
    if _windows_console(lines):
        import msvcrt  # Windows only

        source: Iterable[str] = console_lines(msvcrt.getwch)  # type: ignore[attr-defined]
    elif _has_fd(lines):
        source = scanner_lines(lines)  # type: ignore[arg-type]
    elif hasattr(lines, "buffer"):
        source = byte_lines(lines.buffer)
    else:
        source = lines
    with no_echo(lines):
        return run(source, out, lists.trust, clock, lists.revoked, log, colour, width)


@contextlib.contextmanager
def no_echo(stream: object) -> Iterator[None]:
    """A scanner types two lines of QR text per card: on a terminal they are not echoed,
    so the screen holds verdicts only (POSIX terminals; elsewhere the text shows)."""
    try:
        import termios

        fd = stream.fileno()  # type: ignore[attr-defined]
        if not os.isatty(fd):
            raise ValueError("not a terminal")
        before = termios.tcgetattr(fd)
    except Exception:  # noqa: BLE001 (no termios, no descriptor, not a terminal: echo stays)
        yield
        return
    quiet = list(before)
    quiet[3] &= ~termios.ECHO
    try:
        termios.tcsetattr(fd, termios.TCSANOW, quiet)
        yield
    finally:
        with contextlib.suppress(OSError):
            termios.tcsetattr(fd, termios.TCSANOW, before)
