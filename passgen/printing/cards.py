"""Draw cards onto PDF pages (reportlab).  The only module that knows about the canvas.

The static part of a card side (outline, colour band, colour mark; the legend on the back)
is one Form XObject, drawn once and reused.  A page's texts are one more form, and its QR
codes another (each code a vector path of horizontal runs, made and compressed by
``qr_page``, possibly in a worker process); both wait compressed in a spill file until the
PDF is saved.  Every string uses the embedded CJK font.  Each front page is followed, unless
simplex, by its back page imposed mirrored for long-edge duplex: the back of the card in
column c is printed in column (columns − 1 − c), so it lands behind its own front.  The
caller writes under a temporary name and renames; with reportlab's invariant mode the same
cards give byte-identical files.
"""

from __future__ import annotations

import os
import tempfile
import zlib
from collections.abc import Iterable
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.colors import HexColor, black, white
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from passgen import fonts
from passgen.dates import day_of
from passgen.models import Card, Colour
from passgen.passes import pg1
from passgen.printing.layout import (
    QUIET_MODULES,
    CardTemplate,
    ColourStyle,
    TextItem,
    card_origins,
    pt,
)
from passgen.qr.encode import QrMatrix, run_path

CROP_OFFSET_MM = 1.0
CROP_LENGTH_MM = 4.0


def short_serial(serial: bytes) -> str:
    h = serial.hex().upper()
    return "-".join(h[i:i + 4] for i in range(0, len(h), 4))


def card_fields(card: Card, hotline: str = "") -> dict[str, str]:
    """The placeholder values of one card, as printed."""
    c = card.claims
    last_day = pg1.last_valid_day(c).isoformat()
    return {
        "community": card.resident.community,
        "name": c.name,
        "masked_id": c.masked_id,
        "category": c.category.word,
        "colour_word": c.colour.word,
        "colour_meaning": c.colour.meaning,
        "valid_until": last_day,
        "invalid_after": last_day,
        "issued": day_of(c.issued_at).isoformat(),
        "serial": short_serial(c.serial),
        "issuer": c.issuer,
        "rules_version": c.rules_version.hex(),
        "hotline": hotline,
    }


def new_canvas(path: Path, size_mm: tuple[float, float], title: str) -> Canvas:
    """A reportlab canvas as passgen writes every PDF: invariant (same input, same bytes),
    compressed binary streams (no ASCII85: a third smaller and faster), every string in the
    embedded CJK font (so not even Helvetica is referenced)."""
    rl_config.useA85 = 0  # read by reportlab when it writes streams
    font = fonts.register()
    c = Canvas(str(path), pagesize=(pt(size_mm[0]), pt(size_mm[1])), invariant=1,
               initialFontName=font, pageCompression=1)
    c.setTitle(title)
    c.setAuthor("passgen")
    c.setCreator("passgen")
    return c


def draw_pattern_box(c: Canvas, style: ColourStyle, x: float, y: float, w: float,
                     h: float) -> None:
    """A box in the colour's fill with its black pattern (none, hatched, cross-hatched):
    the pattern, not the hue, tells the colours apart on a black-and-white print."""
    c.saveState()
    c.setFillColor(HexColor(style.fill))
    c.rect(x, y, w, h, stroke=0, fill=1)
    if style.pattern != "solid":
        path = c.beginPath()
        path.rect(x, y, w, h)
        c.clipPath(path, stroke=0, fill=0)
        c.setStrokeColor(black)
        c.setLineWidth(0.6)
        step = pt(1.6)
        k = -(w + h)
        while k < w + h:
            c.line(x + k, y, x + k + h, y + h)
            if style.pattern == "crosshatch":
                c.line(x + k, y + h, x + k + h, y)
            k += step
    c.restoreState()


def draw_mark(c: Canvas, style: ColourStyle, x: float, y: float, s: float) -> None:
    """The colour's symbol (● ▲ ✕) in a square of side ``s`` with bottom-left (x, y), points."""
    c.saveState()
    c.setFillColor(HexColor(style.fill))
    c.setStrokeColor(black)
    c.setLineWidth(max(0.8, s / 20))
    if style.shape == "circle":
        c.circle(x + s / 2, y + s / 2, s / 2, stroke=1, fill=1)
    elif style.shape == "triangle":
        p = c.beginPath()
        p.moveTo(x, y)
        p.lineTo(x + s, y)
        p.lineTo(x + s / 2, y + s)
        p.close()
        c.drawPath(p, stroke=1, fill=1)
    else:
        c.rect(x, y, s, s, stroke=1, fill=1)
        c.setStrokeColor(white)
        c.setLineWidth(max(1.6, s / 9))
        inset = s * 0.22
        c.line(x + inset, y + inset, x + s - inset, y + s - inset)
        c.line(x + inset, y + s - inset, x + s - inset, y + inset)
    c.restoreState()


def draw_qr(c: Canvas, matrix: QrMatrix, x: float, top: float, module: float) -> None:
    """One vector path of merged horizontal runs; (x, top) is the symbol's top-left corner
    in points, without the quiet zone (the caller keeps it white)."""
    c.addLiteral(qr_operators(matrix, x, top, module))


def qr_operators(matrix: QrMatrix, x: float, top: float, module: float) -> str:
    """The operators of ``draw_qr``: the path is written in module units under one matrix,
    small integers, so it is fast to make and small in the PDF (one rectangle per module
    tripled the file size)."""
    return (f"q 0 g 1 0 0 1 {x:.3f} {top:.3f} cm {module:.4f} 0 0 {-module:.4f} 0 0 cm "
            f"{matrix.path_operators()} Q")


def qr_page(payloads: list[str], template: CardTemplate) -> bytes:
    """The QR codes of one page of cards (card ``i`` in slot ``i``) as one content stream
    in page coordinates, Flate-compressed: each code a path of runs in module units under
    its own matrix, integers only.  Worker processes make these, so encoding and
    compression, most of the work of a card PDF, are spread over the cores; compressing
    a page's codes together keeps the file small."""
    t = template
    page_h = t.page_mm[1]
    parts = ["0 g"]
    for (x, y), text in zip(card_origins(t), payloads, strict=False):
        size, path = run_path(text, t.qr_error)
        m = t.qr.width / (size + 2 * QUIET_MODULES)
        left, top = pt(x + t.qr.x + QUIET_MODULES * m), pt(page_h - y - t.qr.y - QUIET_MODULES * m)
        parts.append(f"q 1 0 0 1 {left:.3f} {top:.3f} cm {pt(m):.4f} 0 0 {-pt(m):.4f} 0 0 cm "
                     f"{path} Q")
    # level 5, filtered: within 3 % of the default level's size in half its time
    packer = zlib.compressobj(5, zlib.DEFLATED, 15, 8, zlib.Z_FILTERED)
    return packer.compress(" ".join(parts).encode("ascii")) + packer.flush()


def qr_pages(payloads: list[str], template: CardTemplate) -> list[bytes]:
    """``qr_page`` for consecutive pages of ``payloads`` (one worker task)."""
    n = template.per_page
    return [qr_page(payloads[i:i + n], template) for i in range(0, len(payloads), n)]


class Spill:
    """Compressed content streams parked in an anonymous temporary file until the PDF is
    saved, so a volume of thousands of cards does not hold them all in memory (reportlab
    keeps a whole document until ``save``)."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()

    def put(self, data: bytes) -> SpilledStream:
        offset = self.file.seek(0, os.SEEK_END)
        self.file.write(data)
        return SpilledStream(self, offset, len(data))

    def get(self, offset: int, length: int) -> bytes:
        self.file.seek(offset)
        return self.file.read(length)

    def close(self) -> None:
        self.file.close()


class SpilledStream(pdfdoc.PDFStream):  # type: ignore[misc]
    """A Flate-compressed stream whose bytes wait in a ``Spill``: reportlab reads
    ``content`` when it writes the file, and sees a Filter entry, so adds no other."""

    def __init__(self, spill: Spill, offset: int, length: int) -> None:
        self.spill, self.offset, self.length = spill, offset, length
        super().__init__()
        self.dictionary["Filter"] = pdfdoc.PDFName("FlateDecode")

    @property  # type: ignore[override]
    def content(self) -> bytes:
        return self.spill.get(self.offset, self.length)

    @content.setter
    def content(self, value: object) -> None:
        """PDFStream.__init__ sets it to None: the bytes live in the spill."""


def font_resources() -> pdfdoc.PDFResourceDictionary:
    """Resources naming the document's fonts, for forms that draw text: one object a
    document can give all of them (thousands of pages' worth of objects otherwise)."""
    resources = pdfdoc.PDFResourceDictionary()
    resources.basicFonts()
    return resources


_NO_RESOURCES = pdfdoc.PDFDictionary({})  # paths only


def add_page_form(c: Canvas, name: str, stream: pdfdoc.PDFStream, size: tuple[float, float],
                  resources: pdfdoc.PDFObject = _NO_RESOURCES) -> None:
    """Register a page-sized compressed content ``stream`` as Form XObject ``name`` with
    ``resources`` (``font_resources()`` if it draws text).  Draw it with ``c.doForm(name)``."""
    xobject = pdfdoc.PDFFormXObject(0, 0, *size)
    xobject.Resources = resources
    xobject.Contents = stream
    c._doc.addForm(name, xobject)


class TextOperators:
    """PDF text operators for strings in the embedded font, made without reportlab's text
    objects (a sixth of the time, which matters at 16 strings a card): the font's subset
    chunks, as reportlab's ``ttfonts`` module documents for dynamic fonts.  Strings that
    recur (labels, dates, colour words) are made once per document."""

    def __init__(self, canvas: Canvas, font_name: str) -> None:
        font = pdfmetrics.getFont(font_name)
        assert isinstance(font, TTFont)
        self.font = font
        self.font_name = font_name
        self.doc = canvas._doc  # the subsets belong to this document
        self.cache: dict[tuple[str, float, float, float, float], str] = {}

    def __call__(self, text: str, x: float, y: float, size: float, max_width: float) -> str:
        """``text`` with its baseline starting at (x, y) points, shrunk to fit ``max_width``
        points, in the current fill colour."""
        key = (text, x, y, size, max_width)
        ops = self.cache.get(key)
        if ops is None:
            width = self.font.stringWidth(text, size)
            fitted = fp_str(min(size, size * max_width / max(width, 1e-6)))
            parts = [f"BT 1 0 0 1 {fp_str(x)} {fp_str(y)} Tm"]
            for subset, chunk in self.font.splitString(text, self.doc):
                name = self.font.getSubsetInternalName(subset, self.doc)
                parts.append(f"{name} {fitted} Tf ({escapePDF(chunk)}) Tj")
            parts.append("ET")
            ops = " ".join(parts)
            if len(self.cache) > 2_000:  # names and serials rarely recur: keep it bounded
                self.cache.clear()
            self.cache[key] = ops
        return ops


def back_slot(t: CardTemplate, slot: int) -> int:
    """Where the back of the card in ``slot`` goes on the back page (long-edge duplex)."""
    row, column = divmod(slot, t.columns)
    return row * t.columns + (t.columns - 1 - column)


class CardSheetWriter:
    """Lays cards out N-up on the pages of one PDF, fronts and (unless simplex) backs."""

    def __init__(self, path: Path, template: CardTemplate, duplex: bool | None = None,
                 hotline: str | None = None, title: str = "居民出行卡") -> None:
        self.t = template
        self.duplex = template.back if duplex is None else duplex and template.back
        self.hotline = template.hotline if hotline is None else hotline
        self.font = fonts.register()
        self.page_h = template.page_mm[1]
        self.canvas = new_canvas(path, template.page_mm, title)
        self.origins = card_origins(template)
        self.pending: list[Card] = []
        self.text_ops = TextOperators(self.canvas, self.font)
        self.front_texts = self._placed(template.texts)
        self.back_texts = self._placed(template.back_texts)
        self.forms: set[str] = set()
        self.pages = 0
        self.page_size = (pt(template.page_mm[0]), pt(template.page_mm[1]))
        self.spill = Spill()
        self.font_resources = font_resources()

    # --- static parts -------------------------------------------------------------------
    def _front_form(self, colour: Colour) -> str:
        name = f"card-front-{int(colour)}"
        if name not in self.forms:
            t = self.t
            self._begin_form(name)
            style = t.colours[colour]
            b = t.band
            h = t.card_mm[1]
            self._pattern_box(style, pt(b.x), pt(h - b.y - b.height), pt(b.width), pt(b.height))
            self._mark(style, t.mark.x, t.mark.y, t.mark.width)
            self.canvas.endForm()
            self.forms.add(name)
        return name

    def _back_form(self) -> str:
        name = "card-back"
        if name not in self.forms:
            self._begin_form(name)
            legend = self.t.legend
            if legend is not None:
                for index, colour in enumerate(Colour):
                    top = legend.y + index * legend.row
                    self._mark(self.t.colours[colour], legend.x, top, legend.mark)
                    self._text(f"{colour.word}  {colour.meaning}", legend.x + legend.mark + 2,
                               top + legend.mark * 0.82, legend.size,
                               self.t.card_mm[0] - legend.x - legend.mark - 4)
            self.canvas.endForm()
            self.forms.add(name)
        return name

    def _begin_form(self, name: str) -> None:
        c = self.canvas
        w, h = self.t.card_mm
        c.beginForm(name, lowerx=0, lowery=0, upperx=pt(w), uppery=pt(h))
        if self.t.outline:
            c.setLineWidth(0.3)
            c.setStrokeColor(HexColor("#888888"))
            c.rect(0, 0, pt(w), pt(h), stroke=1, fill=0)

    def _pattern_box(self, style: ColourStyle, x: float, y: float, w: float, h: float) -> None:
        draw_pattern_box(self.canvas, style, x, y, w, h)

    def _mark(self, style: ColourStyle, x_mm: float, y_mm: float, size_mm: float) -> None:
        h = self.t.card_mm[1]
        draw_mark(self.canvas, style, pt(x_mm), pt(h - y_mm - size_mm), pt(size_mm))

    def _crop_marks(self) -> None:
        """The page's crop marks: one form per document, as every page has the same."""
        name = "crop-marks"
        if name not in self.forms:
            self.canvas.beginForm(name, lowerx=0, lowery=0, upperx=self.page_size[0],
                                  uppery=self.page_size[1])
            self._draw_crop_marks()
            self.canvas.endForm()
            self.forms.add(name)
        self.canvas.doForm(name)

    def _draw_crop_marks(self) -> None:
        c, t = self.canvas, self.t
        w, h = t.card_mm
        xs = sorted({x for x, _ in self.origins} | {x + w for x, _ in self.origins})
        ys = sorted({y for _, y in self.origins} | {y + h for _, y in self.origins})
        left, right, top, bottom = xs[0], xs[-1], ys[0], ys[-1]
        c.saveState()
        c.setLineWidth(0.25)
        c.setStrokeColor(black)
        for x in xs:
            for y0, y1 in ((top - CROP_OFFSET_MM, top - CROP_OFFSET_MM - CROP_LENGTH_MM),
                           (bottom + CROP_OFFSET_MM, bottom + CROP_OFFSET_MM + CROP_LENGTH_MM)):
                c.line(pt(x), pt(self.page_h - y0), pt(x), pt(self.page_h - y1))
        for y in ys:
            for x0, x1 in ((left - CROP_OFFSET_MM, left - CROP_OFFSET_MM - CROP_LENGTH_MM),
                           (right + CROP_OFFSET_MM, right + CROP_OFFSET_MM + CROP_LENGTH_MM)):
                c.line(pt(x0), pt(self.page_h - y), pt(x1), pt(self.page_h - y))
        c.restoreState()

    # --- one card side ------------------------------------------------------------------
    def _placed(self, items: Iterable[TextItem]) -> tuple[tuple[str, float, float, float,
                                                                   float], ...]:
        """Template texts with their positions and widths in points on the card."""
        h = self.t.card_mm[1]
        return tuple((i.text, pt(i.x), pt(h - i.y), i.size, pt(i.max_width)) for i in items)

    def _text(self, text: str, x_mm: float, y_mm: float, size: float, max_w: float) -> None:
        self.canvas.addLiteral("0 g " + self.text_ops(text, pt(x_mm), pt(self.t.card_mm[1] - y_mm),
                                                      size, pt(max_w)))

    def _side(self, slot: int, form: str) -> None:
        """The static form of a card side in its slot."""
        x, y = self.origins[slot]
        self.canvas.addLiteral(f"q 1 0 0 1 {fp_str(pt(x))} "
                               f"{fp_str(pt(self.page_h - y - self.t.card_mm[1]))} cm")
        self.canvas.doForm(form)
        self.canvas.addLiteral("Q")

    def _texts_form(self, name: str, slots: list[int],
                    texts: tuple[tuple[str, float, float, float, float], ...],
                    fields: list[dict[str, str]]) -> None:
        """The texts of every card on a page as one compressed form (spilled to disk)."""
        ops = []
        for slot, values in zip(slots, fields, strict=True):
            x, y = self.origins[slot]
            ops.append(f"q 1 0 0 1 {fp_str(pt(x))} "
                       f"{fp_str(pt(self.page_h - y - self.t.card_mm[1]))} cm 0 g")
            ops.extend(self.text_ops(text.format_map(values), *where) for text, *where in texts)
            ops.append("Q")
        stream = self.spill.put(zlib.compress(" ".join(ops).encode("latin-1")))
        add_page_form(self.canvas, name, stream, self.page_size, self.font_resources)
        self.canvas.doForm(name)

    # --- pages --------------------------------------------------------------------------
    def emit(self, codes: bytes | None = None) -> None:
        """Lay out the pending cards on a front page (and its back); ``codes`` is their
        ``qr_page`` when made elsewhere (a worker process)."""
        if not self.pending:
            return
        if codes is None:
            codes = qr_page([card.payload for card in self.pending], self.t)
        if self.t.crop_marks:
            self._crop_marks()
        fields = [card_fields(card, self.hotline) for card in self.pending]
        fronts = list(range(len(self.pending)))
        for slot, card in enumerate(self.pending):
            self._side(slot, self._front_form(card.claims.colour))
        self._texts_form(f"tf{self.pages}", fronts, self.front_texts, fields)
        name = f"qr{self.pages}"
        add_page_form(self.canvas, name, self.spill.put(codes), self.page_size)
        self.canvas.doForm(name)
        self.canvas.showPage()
        self.pages += 1
        if self.duplex:
            if self.t.crop_marks:
                self._crop_marks()
            backs = [back_slot(self.t, slot) for slot in fronts]
            for slot in backs:
                self._side(slot, self._back_form())
            self._texts_form(f"tb{self.pages}", backs, self.back_texts, fields)
            self.canvas.showPage()
            self.pages += 1
        self.pending = []

    def close(self) -> None:
        self.emit()
        if self.pages == 0:  # an empty batch still gives a valid (blank) PDF
            self.canvas.showPage()
        try:
            self.canvas.save()
        finally:
            self.spill.close()
