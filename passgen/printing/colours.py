"""What a colour looks like on paper (DESIGN.md §4, §6): one table in code, the same on every
card, poster and legend.  A layout places and sizes the band, the symbol and the colour
word; it cannot restyle, hide or swap them (issue #36)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from passgen.schema import Document

MIN_FILL_LUMINANCE = 0.55  # a band's tint must vanish under a 50 % threshold, with margin
SHAPES = ("circle", "triangle", "cross")


@dataclass(frozen=True)
class ColourStyle:
    fill: str
    pattern: str
    shape: str


# its tint, the pattern over it and its symbol (issue #36: swapping the red and green
# styles printed red cards as green ones)
COLOUR_STYLES = (ColourStyle("#7CC68A", "lines", "circle"),
                 ColourStyle("#FFD23F", "hatch", "triangle"),
                 ColourStyle("#F47C7C", "crosshatch", "cross"))
COLOUR_KEYS = ("green", "yellow", "red")
COLOUR_WORDS = ("绿码", "黄码", "红码", "查验体温亮码通行", "检查体温、充分核验后方可通行",
                "待转码后方可通行")
MIN_WORD_PT = 12.0  # the colour word, read at arm's length
MIN_MARK_MM = 4.0
MIN_BAND_MM = 3.0


def luminance(fill: str) -> float:
    """Relative brightness 0..1 of a #RRGGBB colour as a greyscale printer or copier sees it
    (ITU-R BT.601 weights)."""
    r, g, b = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    return (0.299 * r + 0.587 * g + 0.114 * b) / 255


def check_colours(doc: Document, given: dict[str, Any] | None) -> None:
    """A layout made before issue #36 may keep a [colours] table only as the vocabulary
    has it; any other tint, pattern or symbol is refused."""
    if not given:
        return
    for key, style in zip(COLOUR_KEYS, COLOUR_STYLES, strict=True):
        if given.get(key) != {"fill": style.fill, "pattern": style.pattern,
                              "shape": style.shape} or set(given) - set(COLOUR_KEYS):
            raise doc.fail(("colours", key),
                           "颜色的底色、花纹和符号由 passgen 统一规定，模板不能修改：请删去 [colours] 这一节",
                           "a colour's tint, pattern and symbol are passgen's, the same on "
                           "every card: remove the [colours] section")


def check_word(t: Any, doc: Document) -> None:
    """The colour word is on the front of the card template ``t`` (a ``CardTemplate``),
    large, on the card; the band and the symbol are there too, large enough to see: a layout
    cannot hide what colour a card is."""
    w, h = t.card_mm
    words = [(i, item) for i, item in enumerate(t.texts) if "{colour_word" in item.text]
    shown = [i for i, item in words if item.size >= MIN_WORD_PT and
             (item.min_size or item.size) >= MIN_WORD_PT - 2 and 0 <= item.x < w - 5
             and 5 <= item.y <= h]
    if not shown:
        raise doc.fail(("text", words[0][0] if words else 0, "text"),
                       f"卡片正面必须有 {{colour_word}}（颜色的字），字号至少 {MIN_WORD_PT:g} 磅，"
                       "而且在卡片范围内",
                       f"the front needs {{colour_word}} at {MIN_WORD_PT:g} pt or more, on the "
                       "card")
    if t.band.width < MIN_BAND_MM or t.band.height < h / 2:
        raise doc.fail(("band", "width_mm"), f"色带至少要 {MIN_BAND_MM:g} 毫米宽、半张卡高",
                       f"the colour band must be at least {MIN_BAND_MM:g} mm wide and half "
                       "the card high")
    if t.mark.width < MIN_MARK_MM:
        raise doc.fail(("mark", "size_mm"), f"颜色符号至少要 {MIN_MARK_MM:g} 毫米",
                       f"the colour symbol must be at least {MIN_MARK_MM:g} mm")
