"""The embedded CJK font: WenQuanYi Micro Hei from the ``paperang-p2-fonts-cjk`` wheel.

It has TrueType outlines, so reportlab embeds it as a subset; it covers the GB2312 hanzi and
Latin.  Every string passgen prints uses it, so a PDF never depends on a reader's fonts.
"""

from __future__ import annotations

import functools
from importlib import resources

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT = "WQYMicroHei"


def font_file() -> str:
    return str(resources.files("paperang_p2_fonts_cjk") / "fonts" / "wqy-microhei.ttc")


@functools.cache
def register() -> str:
    """Register the font with reportlab once per process; return its name."""
    pdfmetrics.registerFont(TTFont(FONT, font_file(), subfontIndex=0))
    return FONT


@functools.cache
def _covered() -> frozenset[int]:
    register()
    font = pdfmetrics.getFont(FONT)
    return frozenset(font.face.charToGlyph)  # type: ignore[attr-defined]


def missing_glyphs(text: str) -> str:
    """The characters of ``text`` the font cannot draw (they would print as empty boxes)."""
    covered = _covered()
    return "".join(dict.fromkeys(ch for ch in text if ord(ch) not in covered and ch != " "))


def width(text: str, size: float) -> float:
    register()
    return float(pdfmetrics.stringWidth(text, FONT, size))
