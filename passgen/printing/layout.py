"""Card layouts as data: ``templates/*.toml`` → :class:`CardTemplate`, and the page maths.

Everything here is pure: a template is validated into frozen values (unknown keys or
placeholders are refused with the template line named) and ``card_origins`` computes where
each card sits on the page.  ``passgen.printing.cards`` does the drawing.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from reportlab.lib.units import mm

from passgen.errors import TemplateError
from passgen.printing.colours import (
    COLOUR_STYLES,
    COLOUR_WORDS,
    SHAPES,
    ColourStyle,
    check_colours,
    check_word,
)
from passgen.schema import (
    Document,
    Path_,
    Spec,
    flag,
    free_table,
    integer,
    number,
    optional_table,
    table,
    tables,
    text,
)

FORMAT = "passgen-card/1"
PAGE_SIZES_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0), "A2": (420.0, 594.0)}
PLACEHOLDERS = frozenset({"community", "name", "masked_id", "category", "colour_word",
                          "colour_meaning", "valid_until", "invalid_after", "issued", "serial",
                          "issuer", "rules_version", "hotline"})
PATTERNS = ("lines", "hatch", "crosshatch")
QUIET_MODULES = 4


@dataclass(frozen=True)
class Box:
    x: float  # mm from the card's left edge
    y: float  # mm from the card's top edge
    width: float
    height: float


@dataclass(frozen=True)
class TextItem:
    """A text on a card side and its fitting rule: it is set at ``size``; a text too wide
    for ``max_width`` shrinks, down to ``min_size``; still too wide, it breaks onto up to
    ``lines`` lines set in the height of its one line (so nothing below it moves), at the
    larger of the two-line size and the one-line shrunk size."""

    text: str
    x: float
    y: float  # baseline of the (last) line, mm from the top edge
    size: float  # points
    max_width: float  # mm
    min_size: float = 0.0  # points; 0: the size itself (the text only shrinks to fit)
    lines: int = 1


@dataclass(frozen=True)
class Fitted:
    """A text as set: its size in points and its lines, baselines ``leading`` points apart,
    the last on the item's baseline."""

    size: float
    lines: tuple[str, ...]
    leading: float


LEADING = 1.12  # line distance of broken texts, in sizes


def fit_text(text: str, width_of: Callable[[str, float], float], size: float,
             max_width: float, min_size: float = 0.0, lines: int = 1) -> Fitted:
    """The fitting rule of ``TextItem`` as a pure function (``width_of(text, size)`` in the
    units of ``max_width``).  The result never overflows ``max_width``: a text that fits no
    rule is set smaller than ``min_size``; ``fits_at_minimum`` tells the layout tests."""
    one = width_of(text, size)
    single = size if one <= max_width else size * max_width / max(one, 1e-9)
    if single >= (min_size or size) or lines < 2 or len(text) < 2:
        return Fitted(single, (text,), 0.0)
    best = Fitted(single, (text,), 0.0)
    for count in range(2, lines + 1):
        parts = _break(text, width_of, count)
        widest = max(width_of(p, size) for p in parts)
        # the lines share the height of one line of ``size``
        stacked = min(size / (1 + (count - 1) * LEADING), size * max_width / max(widest, 1e-9))
        if stacked > best.size:
            best = Fitted(stacked, parts, stacked * LEADING)
    return best


def _break(text: str, width_of: Callable[[str, float], float], count: int) -> tuple[str, ...]:
    """``text`` in ``count`` lines of about equal width, broken after a space or a middle
    dot where there is one near the middle, else between characters."""
    parts: list[str] = []
    rest = text
    for remaining in range(count, 1, -1):
        if len(rest) < 2:
            break
        target = width_of(rest, 1.0) / remaining

        def cost(i: int, rest: str = rest, target: float = target) -> float:
            bonus = 0.6 * target if rest[i - 1] in " ·•" else 0.0
            return abs(width_of(rest[:i], 1.0) - target) - bonus

        cut = min(range(1, len(rest)), key=cost)
        parts.append(rest[:cut].rstrip(" "))
        rest = rest[cut:].lstrip(" ")
    parts.append(rest)
    return tuple(p for p in parts if p)


@dataclass(frozen=True)
class Legend:
    """The colour legend on the back: one row per colour with its symbol, word and meaning."""

    x: float
    y: float  # top of the first row, mm from the top edge
    row: float  # mm between rows
    mark: float  # symbol size, mm
    size: float  # text size, points


@dataclass(frozen=True)
class CardTemplate:
    name: str
    page_mm: tuple[float, float]
    columns: int
    rows: int
    column_gap: float
    row_gap: float
    crop_marks: bool
    card_mm: tuple[float, float]
    outline: bool
    qr: Box
    qr_error: str
    band: Box
    mark: Box
    colours: tuple[ColourStyle, ColourStyle, ColourStyle]  # green, yellow, red
    texts: tuple[TextItem, ...]
    back: bool = False
    back_texts: tuple[TextItem, ...] = ()
    legend: Legend | None = None
    hotline: str = ""

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


_BOX = {"x_mm": number(True), "y_mm": number(True), "width_mm": number(True),
        "height_mm": number(True)}
_SQUARE = {"x_mm": number(True), "y_mm": number(True), "size_mm": number(True, minimum=1.0)}
_TEXT = {"text": text(True), "x_mm": number(True), "y_mm": number(True),
         "size_pt": number(True, minimum=4.0), "max_width_mm": number(True, minimum=1.0),
         "min_size_pt": number(default=0.0), "lines": integer(default=1)}
_COLOUR = {"fill": text(True), "pattern": text(True, choices=PATTERNS),
           "shape": text(True, choices=SHAPES)}
# a placeholder may be aligned and padded, to at most 40 characters: nothing else
_SPEC = re.compile(r"(?:[^{}]?[<>^])?(?:[1-3]?\d|40)?")
CARD_SCHEMA: dict[str, Spec] = {
    "format": text(True, choices=(FORMAT,)),
    "name": text(),
    "page": table({"size": text(default="A4", choices=tuple(PAGE_SIZES_MM)),
                   "columns": integer(default=2), "rows": integer(default=5),
                   "column_gap_mm": number(default=0.0), "row_gap_mm": number(default=0.0),
                   "crop_marks": flag(True)}, required=True),
    "card": table({"width_mm": number(True, minimum=10), "height_mm": number(True, minimum=10),
                   "outline": flag(True)}, required=True),
    "qr": table({**_SQUARE, "error": text(default="M", choices=("M", "Q", "H"))},
                required=True),
    "band": table(_BOX, required=True),
    "mark": table(_SQUARE, required=True),
    "colours": free_table(),  # only as COLOUR_STYLES, for layouts made before #36
    "text": tables(_TEXT),
    "back": table({"enabled": flag(False), "text": tables(_TEXT),
                   "legend": optional_table({
                       "x_mm": number(True), "y_mm": number(True),
                       "row_mm": number(True, minimum=1.0), "mark_mm": number(True, minimum=1.0),
                       "size_pt": number(True, minimum=4.0)})}),
    "defaults": table({"hotline": text(default="")}),
}
_HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def template_document(data: bytes, source: str) -> Document:
    """A layout file as the schema checks it: errors name the template, line and key."""
    return Document(data, source, TemplateError, "模板", "template")


def check_placeholders(doc: Document, items: tuple[dict[str, Any], ...], where: Path_,
                       allowed: frozenset[str], card: bool = False) -> None:
    """Every ``{placeholder}`` of every text item must be one the writer fills in, with at
    most an alignment and a width up to 40 (``{name:>300000000}`` took 1.8 GB, #36); and on
    a ``card`` no text may spell a colour's word or meaning itself (only ``{colour_word}``
    may: a card's colour is its own)."""
    for index, item in enumerate(items):
        body = item["text"]
        try:
            fields = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(body)
                      if f is not None]
        except ValueError:
            raise doc.fail(where + (index, "text"), "花括号不配对", "unbalanced braces") from None
        names = {f for f, _, _ in fields}
        for f, spec, conv in fields:
            if conv is not None or not _SPEC.fullmatch(spec or ""):
                raise doc.fail(where + (index, "text"),
                               f"占位符 {{{f}}} 的格式“{conv and '!' + conv or ''}{spec and ':' + spec or ''}”"
                               "不允许：只能写对齐方式和不超过40的宽度，如 {name:<10}",
                               f"placeholder {{{f}}}: only an alignment and a width up to 40 "
                               "are allowed, like {name:<10}")
        literal = next((w for w in COLOUR_WORDS if w in body), None) if card else None
        if literal is not None:
            raise doc.fail(where + (index, "text"),
                           f"文字中不能直接写“{literal}”：颜色的说法只能由 {{colour_word}} 和 "
                           "{colour_meaning} 按卡片的真实颜色填入",
                           f"a text may not spell {literal!r} itself: only {{colour_word}} and "
                           "{colour_meaning} say a card's colour")
        unknown = sorted(names - allowed)
        if unknown:
            raise doc.fail(where + (index, "text"), f"未知的占位符 {{{unknown[0]}}}（可用："
                           f"{'、'.join(sorted(allowed))}）",
                           f"unknown placeholder {{{unknown[0]}}} (allowed: "
                           f"{', '.join(sorted(allowed))})")


def _text_items(doc: Document, items: tuple[dict[str, Any], ...],
                where: Path_) -> tuple[TextItem, ...]:
    for index, i in enumerate(items):
        if i["min_size_pt"] and not 4.0 <= i["min_size_pt"] <= i["size_pt"]:
            raise doc.fail(where + (index, "min_size_pt"), "最小字号应在4磅和 size_pt 之间",
                           "min_size_pt must lie between 4 and size_pt")
        if not 1 <= i["lines"] <= 3:
            raise doc.fail(where + (index, "lines"), "行数应为1到3", "lines must be 1 to 3")
    return tuple(TextItem(i["text"], i["x_mm"], i["y_mm"], i["size_pt"], i["max_width_mm"],
                          i["min_size_pt"], i["lines"]) for i in items)


def parse_template(data: bytes, source: str) -> CardTemplate:
    """Validate template bytes into a CardTemplate; every fault names the template line."""
    doc = template_document(data, source)
    v = doc.check(doc.parse(), CARD_SCHEMA)
    check_colours(doc, v["colours"])
    colours = COLOUR_STYLES
    back = v["back"]
    check_placeholders(doc, v["text"], ("text",), PLACEHOLDERS, card=True)
    check_placeholders(doc, back["text"], ("back", "text"), PLACEHOLDERS, card=True)
    legend = back["legend"]
    page, card, qr = v["page"], v["card"], v["qr"]
    template = CardTemplate(
        name=v["name"] or source,
        page_mm=PAGE_SIZES_MM[page["size"]],
        columns=page["columns"],
        rows=page["rows"],
        column_gap=page["column_gap_mm"],
        row_gap=page["row_gap_mm"],
        crop_marks=page["crop_marks"],
        card_mm=(card["width_mm"], card["height_mm"]),
        outline=card["outline"],
        qr=Box(qr["x_mm"], qr["y_mm"], qr["size_mm"], qr["size_mm"]),
        qr_error=qr["error"],
        band=Box(v["band"]["x_mm"], v["band"]["y_mm"], v["band"]["width_mm"],
                 v["band"]["height_mm"]),
        mark=Box(v["mark"]["x_mm"], v["mark"]["y_mm"], v["mark"]["size_mm"],
                 v["mark"]["size_mm"]),
        colours=(colours[0], colours[1], colours[2]),
        texts=_text_items(doc, v["text"], ("text",)),
        back=back["enabled"],
        back_texts=_text_items(doc, back["text"], ("back", "text")),
        legend=None if legend is None else Legend(legend["x_mm"], legend["y_mm"],
                                                  legend["row_mm"], legend["mark_mm"],
                                                  legend["size_pt"]),
        hotline=v["defaults"]["hotline"],
    )
    _check_fits(template, doc)
    return template


def _check_fits(t: CardTemplate, doc: Document) -> None:
    check_word(t, doc)
    w, h = t.card_mm
    for name, b in (("qr", t.qr), ("band", t.band), ("mark", t.mark)):
        if b.x + b.width > w + 1e-6 or b.y + b.height > h + 1e-6:
            raise doc.fail((name,), "超出了卡片范围", "lies outside the card")
    block_w, block_h = block_size(t)
    if block_w > t.page_mm[0] - 20 or block_h > t.page_mm[1] - 20:
        raise doc.fail(("page",), "卡片排不下：四周至少要留10毫米页边距",
                       "cards do not fit with 10 mm page margins")


def block_size(t: CardTemplate) -> tuple[float, float]:
    """Width and height in mm of the block of cards on a page."""
    w, h = t.card_mm
    return (t.columns * w + (t.columns - 1) * t.column_gap,
            t.rows * h + (t.rows - 1) * t.row_gap)


def card_origins(t: CardTemplate) -> list[tuple[float, float]]:
    """Top-left corner of each card slot in mm from the page's top-left, row by row;
    the block is centred on the page so that printer scaling of 96–103 % clips nothing."""
    bw, bh = block_size(t)
    left = (t.page_mm[0] - bw) / 2
    top = (t.page_mm[1] - bh) / 2
    w, h = t.card_mm
    return [(left + c * (w + t.column_gap), top + r_ * (h + t.row_gap))
            for r_ in range(t.rows) for c in range(t.columns)]


def module_mm(box_mm: float, modules: int) -> float:
    """Module size in mm of a symbol ``modules`` wide drawn with its quiet zone in a square
    box ``box_mm`` wide (cards and posters alike)."""
    return box_mm / (modules + 2 * QUIET_MODULES)


def pt(value_mm: float) -> float:
    return value_mm * mm


def default_template_bytes() -> bytes:
    return (resources.files("passgen.templates") / "card.toml").read_bytes()


def load_template(name_or_path: str | None = None) -> CardTemplate:
    """A template by path, by the name of a bundled one (``card``), or the default."""
    if name_or_path is None or name_or_path == "card":
        return parse_template(default_template_bytes(), "card.toml")
    bundled = resources.files("passgen.templates") / f"{name_or_path}.toml"
    if "/" not in name_or_path and bundled.is_file():
        return parse_template(bundled.read_bytes(), f"{name_or_path}.toml")
    path = Path(name_or_path)
    try:
        data = path.read_bytes()
    except OSError:
        raise TemplateError(f"找不到模板 {name_or_path}", f"template not found: {name_or_path}") from None
    return parse_template(data, path.name)
