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

import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from reportlab.lib.colors import HexColor, black
from reportlab.lib.rl_accel import fp_str

from passgen import fonts
from passgen.dates import day_of
from passgen.models import Card, Colour, short_serial
from passgen.passes import pg1
from passgen.printing.layout import (
    QUIET_MODULES,
    CardTemplate,
    ColourStyle,
    TextItem,
    card_origins,
    module_mm,
    pt,
)
from passgen.printing.pdf import (
    Spill,
    TextOperators,
    add_page_form,
    draw_mark,
    draw_pattern_box,
    font_resources,
    new_canvas,
    qr_operators,
)
from passgen.qr.encode import QrMatrix

Placed = tuple[str, float, float, float, float, float, int]
OUTLINE_PT = 0.4
CROP_OFFSET_MM = 1.0
CROP_LENGTH_MM = 4.0


def card_fields(card: Card, hotline: str = "") -> dict[str, str]:
    """The placeholder values of one card, as printed."""
    c = card.claims
    last_day = pg1.day_text(c)  # a card passgen signs is always within the calendar
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


def qr_page(codes: list[QrMatrix], template: CardTemplate) -> bytes:
    """The QR codes of one page of cards (card ``i`` in slot ``i``) as one content stream
    in page coordinates, Flate-compressed: each code a path of runs in module units under
    its own matrix, integers only.  Worker processes make these (``passgen.jobs.parallel``),
    so encoding and compression, most of the work of a card PDF, are spread over the cores;
    compressing a page's codes together keeps the file small."""
    t = template
    page_h = t.page_mm[1]
    parts = ["0 g"]
    for (x, y), matrix in zip(card_origins(t), codes, strict=False):
        m = module_mm(t.qr.width, matrix.size)
        parts.append(qr_operators(matrix, pt(x + t.qr.x + QUIET_MODULES * m),
                                  pt(page_h - y - t.qr.y - QUIET_MODULES * m), pt(m)))
    # level 5, filtered: within 3 % of the default level's size in half its time
    packer = zlib.compressobj(5, zlib.DEFLATED, 15, 8, zlib.Z_FILTERED)
    return packer.compress(" ".join(parts).encode("ascii")) + packer.flush()


def outline_rect(card_mm: tuple[float, float]) -> tuple[float, float, float, float]:
    """The cut guide (x, y, width, height in points, card coordinates): the stroke lies
    wholly inside the card, because the card's form clips at its edge and a line centred on
    the edge kept only its inner half, which some renderers and printers drop."""
    inset = OUTLINE_PT / 2
    return inset, inset, pt(card_mm[0]) - OUTLINE_PT, pt(card_mm[1]) - OUTLINE_PT


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
        self.canvas = new_canvas(path, template.page_mm, title, self.duplex)
        self.origins = card_origins(template)
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
            c.setLineWidth(OUTLINE_PT)
            c.setStrokeColor(HexColor("#888888"))
            c.rect(*outline_rect(self.t.card_mm), stroke=1, fill=0)

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
    def _placed(self, items: Iterable[TextItem]) -> tuple[Placed, ...]:
        """Template texts with their positions and widths in points on the card, and their
        fitting rules."""
        h = self.t.card_mm[1]
        return tuple((i.text, pt(i.x), pt(h - i.y), i.size, pt(i.max_width), i.min_size,
                      i.lines) for i in items)

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
                    texts: tuple[Placed, ...],
                    fields: list[dict[str, str]]) -> None:
        """The texts of every card on a page as one compressed form (spilled to disk)."""
        ops = []
        for slot, values in zip(slots, fields, strict=True):
            x, y = self.origins[slot]
            ops.append(f"q 1 0 0 1 {fp_str(pt(x))} "
                       f"{fp_str(pt(self.page_h - y - self.t.card_mm[1]))} cm 0 g")
            ops.extend(self.text_ops(text.format_map(values), x_pt, y_pt, size, width, least,
                                     lines)
                       for text, x_pt, y_pt, size, width, least, lines in texts)
            ops.append("Q")
        stream = self.spill.put(zlib.compress(" ".join(ops).encode("latin-1")))
        add_page_form(self.canvas, name, stream, self.page_size, self.font_resources)
        self.canvas.doForm(name)

    # --- pages --------------------------------------------------------------------------
    def page(self, cards: Sequence[Card], codes: bytes) -> None:
        """Lay out up to ``per_page`` cards on a front page (and its back); ``codes`` is
        their ``qr_page``, made from the QR matrices of their payloads."""
        if not cards:
            return
        if len(cards) > self.t.per_page:
            raise ValueError(f"{len(cards)} cards for a page of {self.t.per_page}")
        if self.t.crop_marks:
            self._crop_marks()
        fields = [card_fields(card, self.hotline) for card in cards]
        fronts = list(range(len(cards)))
        for slot, card in enumerate(cards):
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

    def close(self) -> None:
        if self.pages == 0:  # an empty batch still gives a valid (blank) PDF
            self.canvas.showPage()
        try:
            self.canvas.save()
        finally:
            self.spill.close()
