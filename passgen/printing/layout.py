"""Card layouts as data: ``templates/*.toml`` → :class:`CardTemplate`, and the page maths.

Everything here is pure: a template is validated into frozen values (unknown keys or
placeholders are refused with the template line named) and ``card_origins`` computes where
each card sits on the page.  ``passgen.printing.cards`` does the drawing.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from reportlab.lib.units import mm

from passgen.errors import TemplateError
from passgen.schema import (
    Document,
    Path_,
    Spec,
    flag,
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
PATTERNS = ("solid", "hatch", "crosshatch")
SHAPES = ("circle", "triangle", "cross")
QUIET_MODULES = 4


@dataclass(frozen=True)
class Box:
    x: float  # mm from the card's left edge
    y: float  # mm from the card's top edge
    width: float
    height: float


@dataclass(frozen=True)
class TextItem:
    text: str
    x: float
    y: float  # baseline, mm from the top edge
    size: float  # points
    max_width: float  # mm; the text shrinks to fit


@dataclass(frozen=True)
class ColourStyle:
    fill: str
    pattern: str
    shape: str


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
         "size_pt": number(True, minimum=4.0), "max_width_mm": number(True, minimum=1.0)}
_COLOUR = {"fill": text(True), "pattern": text(True, choices=PATTERNS),
           "shape": text(True, choices=SHAPES)}
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
    "colours": table({c: table(_COLOUR, required=True) for c in ("green", "yellow", "red")},
                     required=True),
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
                       allowed: frozenset[str]) -> None:
    """Every ``{placeholder}`` of every text item must be one the writer fills in."""
    for index, item in enumerate(items):
        body = item["text"]
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(body) if f is not None}
        except ValueError:
            raise doc.fail(where + (index, "text"), "花括号不配对", "unbalanced braces") from None
        unknown = sorted(names - allowed)
        if unknown:
            raise doc.fail(where + (index, "text"), f"未知的占位符 {{{unknown[0]}}}（可用："
                           f"{'、'.join(sorted(allowed))}）",
                           f"unknown placeholder {{{unknown[0]}}} (allowed: "
                           f"{', '.join(sorted(allowed))})")


def _text_items(items: tuple[dict[str, Any], ...]) -> tuple[TextItem, ...]:
    return tuple(TextItem(i["text"], i["x_mm"], i["y_mm"], i["size_pt"], i["max_width_mm"])
                 for i in items)


def parse_template(data: bytes, source: str) -> CardTemplate:
    """Validate template bytes into a CardTemplate; every fault names the template line."""
    doc = template_document(data, source)
    v = doc.check(doc.parse(), CARD_SCHEMA)
    colours = []
    for key in ("green", "yellow", "red"):
        style = v["colours"][key]
        if not _HEX_COLOUR.match(style["fill"]):
            raise doc.fail(("colours", key, "fill"), "颜色要写成 #RRGGBB",
                           "fill must be #RRGGBB")
        colours.append(ColourStyle(style["fill"], style["pattern"], style["shape"]))
    if len({c.pattern for c in colours}) != 3 or len({c.shape for c in colours}) != 3:
        raise doc.fail(("colours", "red", "pattern"),
                       "三种颜色的图案和符号都必须互不相同（黑白打印时靠它们区分）",
                       "the three colours need distinct patterns and shapes "
                       "(for black-and-white print)")
    back = v["back"]
    check_placeholders(doc, v["text"], ("text",), PLACEHOLDERS)
    check_placeholders(doc, back["text"], ("back", "text"), PLACEHOLDERS)
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
        texts=_text_items(v["text"]),
        back=back["enabled"],
        back_texts=_text_items(back["text"]),
        legend=None if legend is None else Legend(legend["x_mm"], legend["y_mm"],
                                                  legend["row_mm"], legend["mark_mm"],
                                                  legend["size_pt"]),
        hotline=v["defaults"]["hotline"],
    )
    _check_fits(template, doc)
    return template


def _check_fits(t: CardTemplate, doc: Document) -> None:
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
