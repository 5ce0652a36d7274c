"""Draw cards onto PDF pages (reportlab).  The only module that knows about the canvas.

The static part of a card (outline, colour band, colour mark) is one Form XObject per colour,
drawn once and reused; the QR is one vector path of merged horizontal runs; every string uses
the embedded CJK font.  PDFs are written to a temporary name and renamed into place, and with
reportlab's invariant mode the same cards give byte-identical files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from reportlab.lib.colors import HexColor, black, white
from reportlab.pdfgen.canvas import Canvas

from passgen import fonts, pg1
from passgen.dates import day_of
from passgen.files import atomic_write
from passgen.layout import QUIET_MODULES, CardTemplate, ColourStyle, card_origins, pt
from passgen.models import Card, Colour
from passgen.qr import QrMatrix, encode

CROP_OFFSET_MM = 1.0
CROP_LENGTH_MM = 4.0


def short_serial(serial: bytes) -> str:
    h = serial.hex().upper()
    return "-".join(h[i:i + 4] for i in range(0, len(h), 4))


def card_fields(card: Card) -> dict[str, str]:
    """The placeholder values of one card, as printed."""
    c = card.claims
    return {
        "community": card.resident.community,
        "name": c.name,
        "masked_id": c.masked_id,
        "category": c.category.word,
        "colour_word": c.colour.word,
        "colour_meaning": c.colour.meaning,
        "valid_until": pg1.last_valid_day(c).isoformat(),
        "issued": day_of(c.issued_at).isoformat(),
        "serial": short_serial(c.serial),
        "issuer": c.issuer,
        "rules_version": c.rules_version.hex(),
    }


class CardSheetWriter:
    """Lays cards out N-up on pages of one PDF."""

    def __init__(self, path: Path, template: CardTemplate, title: str = "居民出行卡") -> None:
        self.t = template
        self.font = fonts.register()
        page_w, page_h = template.page_mm
        self.page_h = page_h
        self.canvas = Canvas(str(path), pagesize=(pt(page_w), pt(page_h)), invariant=1,
                             initialFontName=self.font, pageCompression=1)
        self.canvas.setTitle(title)
        self.canvas.setAuthor("passgen")
        self.canvas.setCreator("passgen")
        self.origins = card_origins(template)
        self.slot = 0
        self.forms: set[int] = set()
        self.pages = 0

    # --- static parts -------------------------------------------------------------------
    def _form(self, colour: Colour) -> str:
        name = f"card-bg-{int(colour)}"
        if colour in self.forms:
            return name
        c, t = self.canvas, self.t
        w, h = t.card_mm
        c.beginForm(name, lowerx=0, lowery=0, upperx=pt(w), uppery=pt(h))
        style = t.colours[colour]
        if t.outline:
            c.setLineWidth(0.3)
            c.setStrokeColor(HexColor("#888888"))
            c.rect(0, 0, pt(w), pt(h), stroke=1, fill=0)
        b = t.band
        self._pattern_box(style, pt(b.x), pt(h - b.y - b.height), pt(b.width), pt(b.height))
        self._mark(style, t.mark.x, t.mark.y, t.mark.width)
        c.endForm()
        self.forms.add(colour)
        return name

    def _pattern_box(self, style: ColourStyle, x: float, y: float, w: float, h: float) -> None:
        c = self.canvas
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
            span = w + h
            k = -span
            while k < span:
                c.line(x + k, y, x + k + h, y + h)
                if style.pattern == "crosshatch":
                    c.line(x + k, y + h, x + k + h, y)
                k += step
        c.restoreState()

    def _mark(self, style: ColourStyle, x_mm: float, y_mm: float, size_mm: float) -> None:
        c = self.canvas
        h = self.t.card_mm[1]
        x, y, s = pt(x_mm), pt(h - y_mm - size_mm), pt(size_mm)
        c.saveState()
        c.setFillColor(HexColor(style.fill))
        c.setStrokeColor(black)
        c.setLineWidth(0.8)
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
            c.setLineWidth(1.6)
            inset = s * 0.22
            c.line(x + inset, y + inset, x + s - inset, y + s - inset)
            c.line(x + inset, y + s - inset, x + s - inset, y + inset)
        c.restoreState()

    def _crop_marks(self) -> None:
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

    # --- one card -----------------------------------------------------------------------
    def _qr(self, matrix: QrMatrix) -> None:
        c, t = self.canvas, self.t
        h = t.card_mm[1]
        m = t.qr.width / (matrix.size + 2 * QUIET_MODULES)
        x0 = t.qr.x + QUIET_MODULES * m
        top = t.qr.y + QUIET_MODULES * m
        path = c.beginPath()
        for row, col, length in matrix.runs():
            path.rect(pt(x0 + col * m), pt(h - top - (row + 1) * m), pt(length * m), pt(m))
        c.setFillColor(black)
        c.drawPath(path, stroke=0, fill=1)

    def _text(self, text: str, x_mm: float, y_mm: float, size: float, max_w: float) -> None:
        c = self.canvas
        fitted = min(size, size * pt(max_w) / max(fonts.width(text, size), 1e-6))
        c.setFont(self.font, fitted)
        c.setFillColor(black)
        c.drawString(pt(x_mm), pt(self.t.card_mm[1] - y_mm), text)

    def add(self, card: Card, matrix: QrMatrix | None = None) -> None:
        if self.slot == 0 and self.t.crop_marks:
            self._crop_marks()
        c, t = self.canvas, self.t
        x, y = self.origins[self.slot]
        form = self._form(card.claims.colour)
        c.saveState()
        c.translate(pt(x), pt(self.page_h - y - t.card_mm[1]))
        c.doForm(form)
        fields = card_fields(card)
        for item in t.texts:
            self._text(item.text.format_map(fields), item.x, item.y, item.size, item.max_width)
        self._qr(matrix if matrix is not None else encode(card.payload, t.qr_error))
        c.restoreState()
        self.slot += 1
        if self.slot == t.per_page:
            self._end_page()

    def _end_page(self) -> None:
        self.canvas.showPage()
        self.pages += 1
        self.slot = 0

    def close(self) -> None:
        if self.slot:
            self._end_page()
        if self.pages == 0:  # an empty batch still gives a valid (blank) PDF
            self.canvas.showPage()
        self.canvas.save()


def write_cards_pdf(path: Path, cards: Sequence[Card] | Iterable[Card], template: CardTemplate,
                    progress: Callable[[int], None] | None = None) -> None:
    """Render ``cards`` N-up into ``path`` atomically."""

    def write(tmp: Path) -> None:
        writer = CardSheetWriter(tmp, template)
        for card in cards:
            writer.add(card)
            if progress:
                progress(1)
        writer.close()

    atomic_write(path, write)
