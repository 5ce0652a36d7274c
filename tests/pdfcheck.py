"""Reading PDFs back in tests: rasterise pages, decode QR codes, inspect fonts and text."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as raw
import zxingcpp
from PIL import Image


def pages(path: Path, dpi: int = 200) -> list[Image.Image]:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return [pdf[i].render(scale=dpi / 72, grayscale=True).to_pil() for i in range(len(pdf))]
    finally:
        pdf.close()


def decode(image: Image.Image) -> list[str]:
    results = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    return [r.text for r in results]


def fonts(path: Path) -> list[tuple[str, bool]]:
    """(base font name, embedded?) for every text object on every page."""
    pdf = pdfium.PdfDocument(str(path))
    out = []
    try:
        for i in range(len(pdf)):
            for obj in pdf[i].get_objects(max_depth=5):
                if obj.type != raw.FPDF_PAGEOBJ_TEXT:
                    continue
                font = raw.FPDFTextObj_GetFont(obj.raw)
                buf = ctypes.create_string_buffer(256)
                raw.FPDFFont_GetBaseFontName(font, buf, 256)
                out.append((buf.value.decode(), bool(raw.FPDFFont_GetIsEmbedded(font))))
    finally:
        pdf.close()
    return out


def text(path: Path) -> str:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()
