"""PDF primitives shared by the card and poster writers (reportlab): the canvas as passgen
makes it, colour patterns and symbols, QR matrices as paths, text operators in the embedded
font, and content streams parked on disk until a document is saved.

Writers take QR *matrices* (``passgen.qr``); nothing here encodes text.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

import numpy as np
from reportlab import rl_config
from reportlab.lib.colors import HexColor, black
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from passgen import fonts
from passgen.printing.layout import ColourStyle, fit_text, pt
from passgen.qr.encode import QrMatrix


def new_canvas(path: Path, size_mm: tuple[float, float], title: str,
               duplex: bool = False) -> Canvas:
    """A reportlab canvas as passgen writes every PDF: invariant (same input, same bytes),
    compressed binary streams (no ASCII85: a third smaller and faster), every string in the
    embedded CJK font (so not even Helvetica is referenced); and print presets a viewer's
    print dialogue starts from (issue #39): actual size, never "fit to page" (which prints
    cards at about 96 %), and for sheets with backs, long-edge duplex."""
    rl_config.useA85 = 0  # read by reportlab when it writes streams
    font = fonts.register()
    c = Canvas(str(path), pagesize=(pt(size_mm[0]), pt(size_mm[1])), invariant=1,
               initialFontName=font, pageCompression=1)
    c.setTitle(title)
    c.setAuthor("passgen")
    c.setCreator("passgen")
    c.setViewerPreference("PrintScaling", "None")
    c.setViewerPreference("Duplex", "DuplexFlipLongEdge" if duplex else "Simplex")
    return c


# Each pattern: (step between lines in mm, line width in points, directions).  Densities
# and directions differ so the bands stay apart after a 1-bit threshold or dithering, when
# the tint under them has gone white or turned to dots (tests/printing/test_bands.py).
PATTERN_LINES: dict[str, tuple[float, float, tuple[str, ...]]] = {
    "lines": (2.0, 0.7, ("horizontal",)),
    "hatch": (1.8, 0.9, ("rising",)),
    "crosshatch": (1.8, 0.9, ("rising", "falling")),
}


def draw_pattern_box(c: Canvas, style: ColourStyle, x: float, y: float, w: float,
                     h: float) -> None:
    """A box in the colour's fill under its black pattern: sparse horizontal lines,
    diagonal hatching or dense cross-hatching.  The pattern, not the hue, tells the colours
    apart on a black-and-white print; the tint under it is light enough to vanish under a
    threshold rather than blacken the band."""
    c.saveState()
    c.setFillColor(HexColor(style.fill))
    c.rect(x, y, w, h, stroke=0, fill=1)
    if style.pattern in PATTERN_LINES:
        step_mm, width, directions = PATTERN_LINES[style.pattern]
        path = c.beginPath()
        path.rect(x, y, w, h)
        c.clipPath(path, stroke=0, fill=0)
        c.setStrokeColor(black)
        c.setLineWidth(width)
        step = pt(step_mm)
        for direction in directions:
            if direction == "horizontal":
                k = step / 2
                while k < h:
                    c.line(x, y + k, x + w, y + k)
                    k += step
                continue
            k = -h - step / 2
            while k < w + h:
                if direction == "rising":
                    c.line(x + k, y, x + k + h, y + h)
                else:
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
        c.setLineWidth(max(1.6, s / 9))  # black on the light tint: it survives a threshold
        inset = s * 0.22
        c.line(x + inset, y + inset, x + s - inset, y + s - inset)
        c.line(x + inset, y + s - inset, x + s - inset, y + inset)
    c.restoreState()


def draw_qr(c: Canvas, matrix: QrMatrix, x: float, top: float, module: float) -> None:
    """One vector path of merged horizontal runs; (x, top) is the symbol's top-left corner
    in points, without the quiet zone (the caller keeps it white)."""
    c.addLiteral(f"q 0 g {_placed_runs(matrix, x, top, module)} Q")


def qr_operators(matrix: QrMatrix, x: float, top: float, module: float) -> str:
    """The operators of ``draw_qr`` for a content stream of their own (the current fill
    colour is black there)."""
    return f"q {_placed_runs(matrix, x, top, module)} Q"


def _placed_runs(matrix: QrMatrix, x: float, top: float, module: float) -> str:
    """The symbol as a path in module units under one matrix placing its top-left corner
    at (x, top) points: small integers, so it is fast to make and small in the PDF (one
    rectangle per module tripled the file size)."""
    return (f"1 0 0 1 {x:.3f} {top:.3f} cm {module:.4f} 0 0 {-module:.4f} 0 0 cm "
            f"{run_operators(matrix.modules)}")


@functools.cache
def _number_fields(width: int) -> np.ndarray:
    """Row v: the ASCII of v right-aligned in ``width`` bytes padded with NUL, then a space
    (``run_operators`` drops the NULs)."""
    text = "".join(f"{v:\0>{width}} " for v in range(10 ** width))
    return np.frombuffer(text.encode("ascii"), dtype=np.uint8).reshape(10 ** width, width + 1)


def run_operators(dark: np.ndarray) -> str:
    """PDF path operators filling every dark module of a square bool matrix: one
    ``x y w 1 re`` per horizontal run, in module units with y growing downwards (the caller
    sets the matrix), then ``f``.  The records are assembled by numpy at once in fixed-width
    fields, then the padding is dropped."""
    n = dark.shape[0]
    padded = np.zeros((n, n + 2), dtype=np.int8)
    padded[:, 1:-1] = dark
    change = np.diff(padded, axis=1)
    rows, starts = np.nonzero(change == 1)
    _, ends = np.nonzero(change == -1)
    numbers = np.column_stack((starts, rows, ends - starts))  # (runs, 3)
    fields = _number_fields(len(str(n)))[numbers]  # (runs, 3, width + 1)
    record = np.empty((len(numbers), fields.shape[1] * fields.shape[2] + 5), dtype=np.uint8)
    record[:, :-5] = fields.reshape(len(numbers), -1)
    record[:, -5:] = np.frombuffer(b"1 re ", dtype=np.uint8)
    flat = record.ravel()
    return flat[flat != 0].tobytes().decode("ascii") + "f"


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
        self.cache: dict[tuple[str, float, float, float, float, float, int], str] = {}

    def __call__(self, text: str, x: float, y: float, size: float, max_width: float,
                 min_size: float = 0.0, lines: int = 1) -> str:
        """``text`` with its baseline starting at (x, y) points, fitted to ``max_width``
        points by the rule of ``layout.fit_text``, in the current fill colour."""
        key = (text, x, y, size, max_width, min_size, lines)
        ops = self.cache.get(key)
        if ops is None:
            fitted = fit_text(text, self.font.stringWidth, size, max_width, min_size, lines)
            parts = []
            count = len(fitted.lines)
            for index, line in enumerate(fitted.lines):
                baseline = y + (count - 1 - index) * fitted.leading
                parts.append(f"BT 1 0 0 1 {fp_str(x)} {fp_str(baseline)} Tm")
                for subset, chunk in self.font.splitString(line, self.doc):
                    name = self.font.getSubsetInternalName(subset, self.doc)
                    parts.append(f"{name} {fp_str(fitted.size)} Tf ({escapePDF(chunk)}) Tj")
                parts.append("ET")
            ops = " ".join(parts)
            if len(self.cache) > 2_000:  # names and serials rarely recur: keep it bounded
                self.cache.clear()
            self.cache[key] = ops
        return ops
