"""Text from outside shown safely (DESIGN.md §7): a roster's cells and, above all, what a pass
carries.  A signed name is data, never terminal control: an escape sequence in it could wipe
the gate's INVALID banner and draw a green one, and a right-to-left override could reverse
what a checkpoint worker reads.  Every control, formatting, separator or unassigned character
is shown as <U+XXXX>."""

from __future__ import annotations

import json


def visible(text: str) -> str:
    """``text`` with every control or formatting character shown as <U+XXXX>: safe in a
    report cell and on a terminal."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in " \u3000" else f"<U+{ord(ch):04X}>"
                   for ch in text)


def json_line(obj: object) -> str:
    """One JSON object on one line, its text readable (``ensure_ascii=False``) but every
    character ``visible`` would mark written as a \\uXXXX escape: the same data for a
    program, nothing a terminal obeys (JSON escapes only U+0000..U+001F itself; C1 controls
    such as U+009B and bidi overrides would pass)."""
    text = json.dumps(obj, ensure_ascii=False)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else
                   "".join(f"\\u{u:04x}" for u in _utf16(ch)) for ch in text)


def _utf16(ch: str) -> list[int]:
    data = ch.encode("utf-16-be", "surrogatepass")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


def shown(text: str, limit: int = 60) -> str:
    """``visible`` and at most ``limit`` characters of it (a pass may carry a name of any
    length; a screen line must stay a line)."""
    text = visible(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"
