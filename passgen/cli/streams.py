"""Standard output and error that cannot fail on a character (DESIGN.md §9).

A Windows console shows any character, but output piped or redirected there is encoded in
the ANSI code page: 936 (GBK) on a Chinese system, which has no − (U+2212), ✗ or •.  Python
then raises UnicodeEncodeError in the middle of a command (``rules show`` always; the gate at
its first refused card; ``verify`` of a name holding •).  Here a character the stream cannot
encode becomes its closest look-alike that it can (− → -, ✗ → ×, • → ·), or its compatibility
form, or ``?``: a person still reads the line, and the command goes on.
"""

from __future__ import annotations

import codecs
import io
import sys
import unicodedata

HANDLER = "passgen-readable"

# look-alikes that GBK (and so cp936) has, tried in order; the first the stream can encode wins
LOOK_ALIKES = {
    "\u2212": "-",  # − minus sign
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",  # hyphens and en dash
    "\u2717": "×", "\u2718": "×", "\u2715": "×",  # ✗ ✘ ✕
    "\u2713": "√", "\u2714": "√",  # ✓ ✔
    "\u2022": "·", "\u2219": "·", "\u00b7": "·",  # • ∙ ·
    "\u2588": "#",  # █ (the banner's fill on a monochrome screen)
    "\u2026": "...",
}


def _fits(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def readable(error: UnicodeError) -> tuple[str, int]:
    """The codecs error handler: a look-alike for each character ``error`` could not
    encode (see the module's docstring)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for ch in error.object[error.start:error.end]:
        for candidate in (LOOK_ALIKES.get(ch, ""), unicodedata.normalize("NFKC", ch), "?"):
            if candidate and candidate != ch and _fits(candidate, error.encoding):
                out.append(candidate)
                break
        else:
            out.append("?")
    return "".join(out), error.end


codecs.register_error(HANDLER, readable)


def make_readable() -> None:
    """Give standard output and error the ``readable`` handler (in place: what was already
    written stays written)."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors in ("strict", None):
            stream.reconfigure(errors=HANDLER)
