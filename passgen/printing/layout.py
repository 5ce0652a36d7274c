"""Card layouts as data: ``templates/*.toml`` → :class:`CardTemplate`, and the page maths.

Everything here is pure: a template is validated into frozen values (unknown keys or
placeholders are refused with the template line named) and ``card_origins`` computes where
each card sits on the page.  ``passgen.printing.cards`` does the drawing.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from reportlab.lib.units import mm

from passgen.errors import TemplateError

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


_SCHEMA: dict[str, set[str]] = {
    "": {"format", "name", "page", "card", "qr", "band", "mark", "colours", "text", "back",
         "defaults"},
    "back": {"enabled", "text", "legend"},
    "legend": {"x_mm", "y_mm", "row_mm", "mark_mm", "size_pt"},
    "defaults": {"hotline"},
    "page": {"size", "columns", "rows", "column_gap_mm", "row_gap_mm", "crop_marks"},
    "card": {"width_mm", "height_mm", "outline"},
    "qr": {"x_mm", "y_mm", "size_mm", "error"},
    "band": {"x_mm", "y_mm", "width_mm", "height_mm"},
    "mark": {"x_mm", "y_mm", "size_mm"},
    "colours": {"green", "yellow", "red"},
    "colour": {"fill", "pattern", "shape"},
    "text": {"text", "x_mm", "y_mm", "size_pt", "max_width_mm"},
}


class TemplateReader:
    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.lines = text.splitlines()

    def fail(self, needle: str, zh: str, en: str) -> TemplateError:
        for number, line in enumerate(self.lines, start=1):
            if needle and needle in line:
                return TemplateError(f"{self.source} 第{number}行：{zh}",
                                     f"{self.source} line {number}: {en}")
        return TemplateError(f"{self.source}：{zh}", f"{self.source}: {en}")

    def keys(self, table: dict[str, Any], schema: str, where: str,
             schemas: dict[str, set[str]] | None = None) -> None:
        allowed = (schemas or _SCHEMA)[schema]
        for key in table:
            if key not in allowed:
                raise self.fail(key, f"{where}中未知的项“{key}”", f"unknown key {key!r} in {where}")

    def number(self, table: dict[str, Any], key: str, where: str, default: float | None = None,
               minimum: float = 0.0) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            raise self.fail(key, f"{where}.{key} 必须是不小于{minimum}的数",
                            f"{where}.{key} must be a number >= {minimum}")
        return float(value)

    def box(self, table: dict[str, Any], where: str, square: bool = False) -> Box:
        x = self.number(table, "x_mm", where)
        y = self.number(table, "y_mm", where)
        if square:
            side = self.number(table, "size_mm", where, minimum=1.0)
            return Box(x, y, side, side)
        return Box(x, y, self.number(table, "width_mm", where),
                   self.number(table, "height_mm", where))


def read_toml(data: bytes, source: str) -> tuple[TemplateReader, dict[str, Any]]:
    """A layout file's TOML and a reader that names its lines in errors."""
    r = TemplateReader(source, data.decode("utf-8", errors="replace"))
    try:
        return r, tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TemplateError(f"{source}：不是有效的TOML（{exc}）",
                            f"{source}: not valid TOML ({exc})") from None


def parse_template(data: bytes, source: str) -> CardTemplate:
    """Validate template bytes into a CardTemplate; every fault names the template line."""
    r, doc = read_toml(data, source)
    r.keys(doc, "", "模板")
    if doc.get("format") != FORMAT:
        raise r.fail("format", f"format 必须是 {FORMAT}", f"format must be {FORMAT}")
    for table in ("page", "card", "qr", "band", "mark", "colours"):
        if not isinstance(doc.get(table), dict):
            raise r.fail("", f"缺少 [{table}]", f"missing table [{table}]")
        r.keys(doc[table], table if table != "colours" else "colours", f"[{table}]")
    page, card, qr = doc["page"], doc["card"], doc["qr"]
    size = page.get("size", "A4")
    if size not in PAGE_SIZES_MM:
        raise r.fail("size", f"纸张只能是 {'、'.join(PAGE_SIZES_MM)}",
                     f"page size must be one of {', '.join(PAGE_SIZES_MM)}")
    colours = []
    for key in ("green", "yellow", "red"):
        style = doc["colours"].get(key)
        if not isinstance(style, dict):
            raise r.fail("colours", f"缺少 [colours.{key}]", f"missing [colours.{key}]")
        r.keys(style, "colour", f"[colours.{key}]")
        fill = str(style.get("fill", ""))
        if not (len(fill) == 7 and fill[0] == "#" and all(c in string.hexdigits for c in fill[1:])):
            raise r.fail("fill", "颜色要写成 #RRGGBB", "fill must be #RRGGBB")
        if style.get("pattern") not in PATTERNS or style.get("shape") not in SHAPES:
            raise r.fail(key, f"pattern 只能是 {'/'.join(PATTERNS)}，shape 只能是 {'/'.join(SHAPES)}",
                         f"pattern must be one of {PATTERNS}, shape one of {SHAPES}")
        colours.append(ColourStyle(fill, style["pattern"], style["shape"]))
    if len({c.pattern for c in colours}) != 3 or len({c.shape for c in colours}) != 3:
        raise r.fail("pattern", "三种颜色的图案和符号都必须互不相同（黑白打印时靠它们区分）",
                     "the three colours need distinct patterns and shapes "
                     "(for black-and-white print)")
    texts = _texts(r, doc.get("text", []), "[[text]]")
    back = doc.get("back", {})
    r.keys(back, "back", "[back]")
    legend = None
    if "legend" in back:
        raw = back["legend"]
        r.keys(raw, "legend", "[back.legend]")
        legend = Legend(r.number(raw, "x_mm", "[back.legend]"),
                        r.number(raw, "y_mm", "[back.legend]"),
                        r.number(raw, "row_mm", "[back.legend]", minimum=1.0),
                        r.number(raw, "mark_mm", "[back.legend]", minimum=1.0),
                        r.number(raw, "size_pt", "[back.legend]", minimum=4.0))
    defaults = doc.get("defaults", {})
    r.keys(defaults, "defaults", "[defaults]")
    if qr.get("error", "M") not in ("M", "Q", "H"):
        raise r.fail("error", "二维码纠错等级只能是 M、Q、H", "QR error level must be M, Q or H")
    template = CardTemplate(
        name=str(doc.get("name", source)),
        page_mm=PAGE_SIZES_MM[size],
        columns=int(r.number(page, "columns", "[page]", 2, 1)),
        rows=int(r.number(page, "rows", "[page]", 5, 1)),
        column_gap=r.number(page, "column_gap_mm", "[page]", 0.0),
        row_gap=r.number(page, "row_gap_mm", "[page]", 0.0),
        crop_marks=bool(page.get("crop_marks", True)),
        card_mm=(r.number(card, "width_mm", "[card]", minimum=10),
                 r.number(card, "height_mm", "[card]", minimum=10)),
        outline=bool(card.get("outline", True)),
        qr=r.box(qr, "[qr]", square=True),
        qr_error=qr.get("error", "M"),
        band=r.box(doc["band"], "[band]"),
        mark=r.box(doc["mark"], "[mark]", square=True),
        colours=(colours[0], colours[1], colours[2]),
        texts=texts,
        back=bool(back.get("enabled", False)),
        back_texts=_texts(r, back.get("text", []), "[[back.text]]"),
        legend=legend,
        hotline=str(defaults.get("hotline", "")),
    )
    _check_fits(template, r)
    return template


def _texts(r: TemplateReader, items: list[Any], where: str) -> tuple[TextItem, ...]:
    out = []
    for item in items:
        r.keys(item, "text", where)
        body = item.get("text")
        if not isinstance(body, str):
            raise r.fail("text", f"{where} 缺少 text", f"{where} needs text")
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(body) if f is not None}
        except ValueError:
            raise r.fail(body, "花括号不配对", "unbalanced braces") from None
        unknown = names - PLACEHOLDERS
        if unknown:
            name = sorted(unknown)[0]
            raise r.fail("{" + name, f"未知的占位符 {{{name}}}", f"unknown placeholder {{{name}}}")
        out.append(TextItem(body, r.number(item, "x_mm", where), r.number(item, "y_mm", where),
                            r.number(item, "size_pt", where, minimum=4.0),
                            r.number(item, "max_width_mm", where, minimum=1.0)))
    return tuple(out)


def _check_fits(t: CardTemplate, r: TemplateReader) -> None:
    w, h = t.card_mm
    for name, b in (("qr", t.qr), ("band", t.band), ("mark", t.mark)):
        if b.x + b.width > w + 1e-6 or b.y + b.height > h + 1e-6:
            raise r.fail(f"[{name}]", f"[{name}] 超出了卡片范围", f"[{name}] lies outside the card")
    block_w, block_h = block_size(t)
    if block_w > t.page_mm[0] - 20 or block_h > t.page_mm[1] - 20:
        raise r.fail("[page]", "卡片排不下：四周至少要留10毫米页边距",
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
