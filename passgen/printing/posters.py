"""Poster layouts and the poster writer: campaign posters (扫码申领健康码) and checkpoint signs.

Layouts are data (``templates/poster-*.toml``), in millimetres on A4 and scaled for A3 and
A2; QR modules are kept at 1.5 mm or more with a 4-module quiet zone so a phone reads them
from a metre away.  The writer takes each poster's QR *matrix*; ``passgen.jobs.posters``
makes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from reportlab.lib.colors import black

from passgen import fonts
from passgen.errors import TemplateError
from passgen.intake.venues import Venue
from passgen.models import Colour
from passgen.printing.layout import (
    COLOUR_STYLES,
    PAGE_SIZES_MM,
    QUIET_MODULES,
    check_placeholders,
    module_mm,
    pt,
    template_document,
)
from passgen.printing.pdf import draw_mark, draw_qr, new_canvas
from passgen.qr.encode import QrMatrix
from passgen.schema import Spec, number, optional_table, table, tables, text

FORMAT = "passgen-poster/1"
KINDS = ("campaign", "checkpoint")
SCALE = {"A4": 1.0, "A3": math.sqrt(2), "A2": 2.0}
MIN_MODULE_MM = 1.5
PLACEHOLDERS = frozenset({"venue", "community", "address", "type", "hotline"})


# --- layout ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PosterText:
    text: str
    x: float
    y: float
    size: float
    max_width: float
    centre: bool


@dataclass(frozen=True)
class PosterLegend:
    x: float
    y: float
    row: float
    mark: float
    size: float
    meaning_size: float
    stacked: bool


@dataclass(frozen=True)
class PosterTemplate:
    name: str
    kind: str
    qr_content: str
    hotline: str
    frame_mm: float
    frame_pt: float
    qr: tuple[float, float, float] | None  # x, y, size (mm on A4, quiet zone included)
    qr_error: str
    legend: PosterLegend | None
    texts: tuple[PosterText, ...]


POSTER_SCHEMA: dict[str, Spec] = {
    "format": text(True, choices=(FORMAT,)),
    "name": text(),
    "kind": text(True, choices=KINDS),
    "qr_content": text(default=""),
    "hotline": text(default=""),
    "page": table({"frame_mm": number(default=6.0), "frame_pt": number(default=3.0)}),
    "qr": optional_table({"x_mm": number(True), "y_mm": number(True),
                          "size_mm": number(True, minimum=20),
                          "error": text(default="M", choices=("M", "Q", "H"))}),
    "legend": optional_table({"x_mm": number(True), "y_mm": number(True),
                              "row_mm": number(True, minimum=1),
                              "mark_mm": number(True, minimum=1),
                              "size_pt": number(True, minimum=4),
                              "meaning_size_pt": number(minimum=4),
                              "layout": text(default="inline", choices=("inline", "stacked"))}),
    "text": tables({"text": text(True), "x_mm": number(True), "y_mm": number(True),
                    "size_pt": number(True, minimum=4), "max_width_mm": number(True, minimum=1),
                    "align": text(default="left", choices=("left", "center"))}),
}


def parse_poster_template(data: bytes, source: str) -> PosterTemplate:
    """Validate poster layout bytes; every fault names the template line."""
    doc = template_document(data, source)
    v = doc.check(doc.parse(), POSTER_SCHEMA)
    qr = None
    if v["qr"] is not None:
        q = v["qr"]
        qr = (q["x_mm"], q["y_mm"], q["size_mm"])
        if qr[0] + qr[2] > 210 or qr[1] + qr[2] > 297:
            raise doc.fail(("qr",), "超出了A4页面", "lies outside the A4 page")
    legend = None
    if v["legend"] is not None:
        raw = v["legend"]
        legend = PosterLegend(raw["x_mm"], raw["y_mm"], raw["row_mm"], raw["mark_mm"],
                              raw["size_pt"],
                              raw["size_pt"] if raw["meaning_size_pt"] is None
                              else raw["meaning_size_pt"],
                              raw["layout"] == "stacked")
    check_placeholders(doc, v["text"], ("text",), PLACEHOLDERS)
    texts = tuple(PosterText(i["text"], i["x_mm"], i["y_mm"], i["size_pt"], i["max_width_mm"],
                             i["align"] == "center") for i in v["text"])
    page = v["page"]
    return PosterTemplate(v["name"] or source, v["kind"], v["qr_content"], v["hotline"],
                          page["frame_mm"], page["frame_pt"], qr,
                          "M" if v["qr"] is None else v["qr"]["error"], legend, texts)


def load_poster_template(kind: str, name_or_path: str | None = None) -> PosterTemplate:
    """A poster layout by path, by bundled name, or the default for ``kind``."""
    name = name_or_path or f"poster-{kind}"
    bundled = resources.files("passgen.templates") / f"{name}.toml"
    if "/" not in name and bundled.is_file():
        template = parse_poster_template(bundled.read_bytes(), f"{name}.toml")
    else:
        try:
            data = Path(name).read_bytes()
        except OSError:
            raise TemplateError(f"找不到海报模板 {name}", f"poster template not found: {name}") \
                from None
        template = parse_poster_template(data, Path(name).name)
    if template.kind != kind:
        raise TemplateError(f"模板 {name} 是 {template.kind} 海报，不是 {kind}",
                            f"template {name} is a {template.kind} poster, not {kind}")
    return template


# --- drawing -----------------------------------------------------------------------------
class PosterWriter:
    def __init__(self, path: Path, template: PosterTemplate, size: str) -> None:
        self.t = template
        self.k = SCALE[size]
        self.w, self.h = PAGE_SIZES_MM[size]
        self.font = fonts.register()
        self.c = new_canvas(path, (self.w, self.h), template.name)
        self.static: str | None = None
        self.qr_forms: dict[QrMatrix, str] = {}  # a QR shared by many posters is drawn once
        self.card_styles = COLOUR_STYLES  # the same colours and symbols as cards

    def _y(self, y_mm: float) -> float:
        return pt(self.h - y_mm * self.k)

    def _text(self, text: str, x_mm: float, y_mm: float, size: float, max_w: float,
              centre: bool) -> None:
        size *= self.k
        width = fonts.width(text, size)
        fitted = min(size, size * pt(max_w * self.k) / max(width, 1e-6))
        self.c.setFont(self.font, fitted)
        self.c.setFillColor(black)
        if centre:
            self.c.drawCentredString(pt(x_mm * self.k), self._y(y_mm), text)
        else:
            self.c.drawString(pt(x_mm * self.k), self._y(y_mm), text)

    def _static_form(self) -> str:
        """Frame and colour legend: the same on every poster of the batch."""
        if self.static is None:
            self.static = "poster-static"
            c = self.c
            c.beginForm(self.static, lowerx=0, lowery=0, upperx=pt(self.w), uppery=pt(self.h))
            inset = pt(self.t.frame_mm * self.k)
            c.setLineWidth(self.t.frame_pt * self.k)
            c.setStrokeColor(black)
            c.rect(inset, inset, pt(self.w) - 2 * inset, pt(self.h) - 2 * inset, stroke=1,
                   fill=0)
            legend = self.t.legend
            if legend is not None:
                for index, colour in enumerate(Colour):
                    top = legend.y + index * legend.row
                    draw_mark(c, self.card_styles[colour], pt(legend.x * self.k),
                              self._y(top + legend.mark), pt(legend.mark * self.k))
                    x = legend.x + legend.mark + 4
                    if legend.stacked:
                        self._text(colour.word, x, top + legend.mark * 0.55, legend.size,
                                   200 - x, False)
                        self._text(colour.meaning, x, top + legend.mark * 1.0,
                                   legend.meaning_size, 200 - x, False)
                    else:
                        self._text(f"{colour.word}　{colour.meaning}", x,
                                   top + legend.mark * 0.8, legend.size, 200 - x, False)
            c.endForm()
        return self.static

    def add(self, venue: Venue, matrix: QrMatrix | None) -> None:
        fields = {"venue": venue.venue, "community": venue.community,
                  "address": venue.address, "type": venue.type,
                  "hotline": venue.hotline or self.t.hotline}
        self.c.doForm(self._static_form())
        for item in self.t.texts:
            self._text(item.text.format_map(fields), item.x, item.y, item.size, item.max_width,
                       item.centre)
        if matrix is not None and self.t.qr is not None:
            self.c.doForm(self._qr_form(matrix))
        self.c.showPage()

    def _qr_form(self, matrix: QrMatrix) -> str:
        name = self.qr_forms.get(matrix)
        if name is None:
            assert self.t.qr is not None
            name = self.qr_forms[matrix] = f"poster-qr-{len(self.qr_forms)}"
            x, y, size = self.t.qr
            module = module_mm(size * self.k, matrix.size)
            self.c.beginForm(name, lowerx=0, lowery=0, upperx=pt(self.w), uppery=pt(self.h))
            draw_qr(self.c, matrix, pt(x * self.k + QUIET_MODULES * module),
                    self._y(y + QUIET_MODULES * module / self.k), pt(module))
            self.c.endForm()
        return name

    def close(self) -> None:
        self.c.save()


