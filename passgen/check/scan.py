"""Find PG1 texts in what a checkpoint has: photos, scans, PDFs, text files, standard input."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from passgen.errors import ScanError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp"})
TEXT_SUFFIXES = frozenset({".txt", ".text", ".csv", ".log"})
DEFAULT_DPI = 200


@dataclass(frozen=True)
class Found:
    """One code found in an input; ``text`` is empty when an image held no readable code."""

    source: str
    text: str


def from_lines(lines: Iterable[str], source: str) -> list[Found]:
    """One payload per non-blank line (a USB scanner types the payload and Enter), as
    ``typed`` folds it back."""
    return [Found(f"{source}:{n}", typed(line))
            for n, line in enumerate(lines, start=1) if line.strip()]


# what a Chinese input method makes of the characters a PG1 text is written in (Base45's
# 0-9 A-Z space $ % * + - . / : and the prefix); NFKC folds the full-width forms (Ｐ ： ＋)
_IME = str.maketrans({"。": ".", "．": ".", "￥": "$", "¥": "$", "、": "/", "—": "-", "–": "-",
                      "－": "-", "·": ".", "：": ":", "　": " "})


def typed(line: str) -> str:
    """A scanned line as the card printed it: a USB scanner typing through a Chinese input
    method gives full-width letters and a full-width colon (``ＰＧ１：``), Chinese punctuation
    and lower case with Caps Lock; all of it is folded back (issue #39).  A line that is
    ASCII already is only trimmed."""
    text = line.strip()
    if text.isascii():
        return text if text[:4] != "pg1:" else text.upper()
    return unicodedata.normalize("NFKC", text.translate(_IME)).upper()


def mangled(line: str) -> bool:
    """Whether a line that is not a card looks like one an input method turned into Chinese
    characters or full-width forms (then: switch the input method to English)."""
    text = line.strip()
    return not text.isascii() and (len(text) > 20 or "PG" in unicodedata.normalize(
        "NFKC", text).upper())


MAX_LINE = 4096  # characters kept of one line: a PG1 text has at most 1,024


def byte_lines(stream: BinaryIO) -> Iterator[str]:
    """The lines of a byte stream (a scanner, a pipe, a file), each decoded on its own:
    bytes that are not UTF-8 become replacement characters (a malformed code, never an
    exception) and a line is cut at ``MAX_LINE`` characters, the rest of it skipped, so
    a stream without newlines cannot fill the memory."""
    while True:
        line = stream.readline(MAX_LINE)
        if not line:
            return
        if not line.endswith(b"\n") and len(line) == MAX_LINE:
            while (rest := stream.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                pass
        yield line.decode("utf-8", errors="replace").lstrip("\ufeff")


def from_stream(stream: Any, source: str) -> list[Found]:
    """``from_lines`` of standard input or any text stream, read as bytes when it has them."""
    raw = getattr(stream, "buffer", None)
    if raw is None and isinstance(stream, io.BufferedIOBase | io.BytesIO):
        raw = stream
    return from_lines(byte_lines(raw) if raw is not None else stream, source)


def decode_image(image: Any, source: str, despeckle: bool = False) -> list[Found]:
    """Every QR code in a PIL image, in reading order; one empty Found if there is none.

    With ``despeckle`` (photos and scans), the image is also read through a 3 × 3 median
    filter and the codes of both readings are merged: zxing-cpp misses a quarter of the
    cards on a photocopy speckled with 1 % noise, and none once the specks are gone
    (bench/printers.py)."""
    import zxingcpp

    grey = image.convert("L")
    images = [grey]
    if despeckle:
        from PIL import ImageFilter

        images.append(grey.filter(ImageFilter.MedianFilter(3)))
    seen: dict[str, Any] = {}
    for each in images:
        for r in zxingcpp.read_barcodes(each,
                                        formats=zxingcpp.BarcodeFormat.QRCode):  # type: ignore[arg-type]
            seen.setdefault(r.text, r)
    ordered = sorted(seen.values(),
                     key=lambda r: (r.position.top_left.y // 50, r.position.top_left.x))
    if not ordered:
        return [Found(source, "")]
    return [Found(f"{source}#{i}", r.text) for i, r in enumerate(ordered, start=1)]


MAX_PIXELS = 100_000_000  # a 100-megapixel photo or scan; a page rendered for reading too


def _too_big(source: str, pixels: float) -> ScanError:
    return ScanError(f"{source}: 图像有 {pixels / 1e6:,.0f} 百万像素，超过上限 "
                     f"{MAX_PIXELS / 1e6:,.0f} 百万像素，请缩小后再试",
                     f"{source}: {pixels / 1e6:,.0f} megapixels, over the "
                     f"{MAX_PIXELS / 1e6:,.0f}-megapixel limit: scale it down and try again")


def from_image(path: Path) -> list[Found]:
    """Codes in a photo or scan; its size is read from the header and checked before any
    pixel is decoded (a 76 KB PNG can claim 20,000 × 20,000 pixels)."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise _too_big(path.name, width * height)
                image.load()
                return decode_image(image, path.name, despeckle=True)
    except Image.DecompressionBombError:
        raise _too_big(path.name, MAX_PIXELS * 2) from None
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        raise ScanError(f"无法打开图片 {path}", f"cannot open image {path}") from None


DEFAULT_MAX_PAGES = 100  # pages of one PDF rasterised (a 2,000-page PDF of 274 KB took 60 s)
PAGE_PIXELS = 10_000_000  # ... and at most this many pixels a page on average


def from_pdf(path: Path, dpi: int = DEFAULT_DPI, max_pages: int = DEFAULT_MAX_PAGES,
             skipped: list[str] | None = None) -> list[Found]:
    """The first ``max_pages`` pages rasterised at ``dpi`` (and at most ``PAGE_PIXELS``
    pixels a page on average) and searched for QR codes.  Pages without a code (the backs
    of cards) are passed over; a PDF without any code is one empty Found.  Pages left
    unchecked are said in ``skipped`` and count as an input with no readable code."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError):
        raise ScanError(f"无法打开PDF {path}", f"cannot open PDF {path}") from None
    found: list[Found] = []
    budget = max_pages * PAGE_PIXELS
    try:
        total, checked = len(pdf), 0
        for index in range(min(total, max_pages)):
            page = pdf[index]
            width, height = page.get_size()  # points: checked before any pixel is made
            pixels = width * height * (dpi / 72) ** 2
            if pixels > MAX_PIXELS:
                raise _too_big(f"{path.name} p{index + 1}", pixels)
            if pixels > budget:
                page.close()
                break
            budget -= pixels
            image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            found.extend(f for f in decode_image(image, f"{path.name} p{index + 1}") if f.text)
            page.close()
            checked += 1
    finally:
        pdf.close()
    if checked < total:
        unchecked = f"p{checked + 1}–p{total}" if checked + 1 < total else f"p{total}"
        if skipped is not None:
            skipped.append(f"{path.name}: 共 {total} 页，只检查了前 {checked} 页，{unchecked} 没有检查"
                           f"（可用 --max-pages 调高）/ {path.name}: {total} pages, only the "
                           f"first {checked} checked, {unchecked} not (see --max-pages)")
        found.append(Found(f"{path.name} {unchecked}", ""))
    return found or [Found(path.name, "")]


def from_path(path: Path, dpi: int = DEFAULT_DPI, max_pages: int = DEFAULT_MAX_PAGES,
              skipped: list[str] | None = None) -> list[Found]:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ScanError(f"找不到文件 {path}", f"file not found: {path}")
    if suffix == ".pdf":
        return from_pdf(path, dpi, max_pages, skipped)
    if suffix in IMAGE_SUFFIXES:
        return from_image(path)
    if suffix in TEXT_SUFFIXES:
        try:
            with path.open("rb") as stream:
                return from_lines(byte_lines(stream), path.name)
        except OSError:
            raise ScanError(f"无法读取文本文件 {path}", f"cannot read text file {path}") from None
    raise ScanError(f"{path.name}: 不支持的文件类型（可用 PDF、图片、.txt）",
                    f"{path.name}: unsupported file type (use PDF, an image or .txt)")
