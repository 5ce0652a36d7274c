"""Benchmark: do the demo cards survive bad printers, copiers and phones?  (issue #19)

    .venv/bin/python bench/printers.py [--pdf CARDS.pdf] [--jobs N] [--only zxing,wechat]

Makes the demo batch (``passgen demo``) unless ``--pdf`` names a card PDF laid out on the
default template, crops every card from its front page and counts, per condition and per
decoder, how many cards decode to exactly the text printed (the clean 600 dpi reading).

Decoders: zxing-cpp (what ``passgen verify`` uses), zbar (pyzbar), OpenCV's
``QRCodeDetector`` (``detectAndDecode``, one card a crop), OpenCV's WeChat detector in its
no-model mode (opencv-contrib), and ``verify``: what ``passgen verify`` reads in a photo
(zxing-cpp on the image and on a 3 × 3 median-filtered copy).
Conditions: pdfium and Ghostscript (no anti-aliasing, hard edges) renders at 300/200/150/100
dpi; phone photos simulated on a 200 dpi render (tilt 25°/40°/50° about the horizontal axis,
Gaussian blur σ 1–3 px, JPEG quality 30, a shadow, low contrast); a bilevel photocopy at
150 dpi (threshold at 50 %) with 0.5/1/2 % of its pixels flipped.

Needs, besides the test extras: ``pip install pyzbar opencv-contrib-python-headless`` and
Debian's ``ghostscript`` and ``libzbar0``.  Run by hand; figures go in docs/performance.md.
Targets (issue #19): zxing-cpp and WeChat ≥ 99 % on the 1 % noise copy and Ghostscript's
150 dpi render; every decoder reads every card at 300 dpi.
"""

from __future__ import annotations

import argparse
import io
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageFilter

from passgen.printing.layout import card_origins, load_template

Crop = np.ndarray  # uint8 greyscale
MARGIN_MM = 2.0


# --- sources -------------------------------------------------------------------------------

def demo_pdf(folder: Path) -> Path:
    from passgen.jobs.demo import run_demo

    result = run_demo(folder / "demo")
    return result.batch.pdfs[0]


def front_pages(pdf_path: Path) -> list[int]:
    """Pages with codes: every other page when backs follow fronts."""
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        count = len(pdf)
    finally:
        pdf.close()
    template = load_template()
    step = 2 if template.back else 1
    return list(range(0, count, step))


def pdfium_pages(pdf_path: Path, dpi: int) -> list[np.ndarray]:
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        return [np.asarray(pdf[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))
                for i in front_pages(pdf_path)]
    finally:
        pdf.close()


def ghostscript_pages(pdf_path: Path, dpi: int, folder: Path) -> list[np.ndarray]:
    """Ghostscript without anti-aliasing: the hard edges of a RIP or a cheap printer."""
    out = folder / f"gs{dpi}-%03d.png"
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pnggray",
                    f"-r{dpi}", "-dTextAlphaBits=1", "-dGraphicsAlphaBits=1",
                    f"-sOutputFile={out}", str(pdf_path)], check=True)
    return [np.asarray(Image.open(folder / f"gs{dpi}-{i + 1:03d}.png").convert("L"))
            for i in front_pages(pdf_path)]


def crops(pages: list[np.ndarray], dpi: int, count: int) -> list[Crop]:
    """Each card with a 2 mm margin, in card order."""
    t = load_template()
    px = dpi / 25.4
    out: list[Crop] = []
    for page in pages:
        for x, y in card_origins(t):
            if len(out) == count:
                return out
            left, top = round((x - MARGIN_MM) * px), round((y - MARGIN_MM) * px)
            right = round((x + t.card_mm[0] + MARGIN_MM) * px)
            bottom = round((y + t.card_mm[1] + MARGIN_MM) * px)
            out.append(np.ascontiguousarray(page[top:bottom, left:right]))
    return out


# --- degradations (pure functions of a crop and a seed) -------------------------------------

def tilt(image: Crop, degrees: float) -> Crop:
    """The card turned ``degrees`` about its horizontal axis, seen by a pinhole camera at
    twice the card's width: the far edge shrinks, the near one does not."""
    import cv2

    h, w = image.shape
    theta = math.radians(degrees)
    distance = 2.0 * w
    focal = distance

    def project(x: float, y: float) -> tuple[float, float]:
        yc = y - h / 2
        z = distance + yc * math.sin(theta)
        return (w / 2 + focal * (x - w / 2) / z, h / 2 + focal * yc * math.cos(theta) / z)

    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([project(x, y) for x, y in src])
    matrix = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(image, matrix, (w, h), flags=cv2.INTER_LINEAR,
                               borderValue=255)


def blur(image: Crop, sigma: float) -> Crop:
    return np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(sigma)))


def jpeg(image: Crop, quality: int) -> Crop:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("L"))


def shadow(image: Crop) -> Crop:
    """A diagonal shadow: brightness falls from 100 % to 35 % across the card."""
    h, w = image.shape
    ramp = np.linspace(1.0, 0.35, w)[None, :] * np.linspace(1.0, 0.8, h)[:, None]
    return (image * ramp).astype(np.uint8)


def low_contrast(image: Crop) -> Crop:
    """Black prints as 40 % grey and white as 65 %: a faded toner on grey paper."""
    return (90 + image.astype(np.float32) * (80 / 255)).astype(np.uint8)


def copy(image: Crop, noise: float, seed: int) -> Crop:
    """A bilevel photocopy: threshold at 50 %, then ``noise`` of the pixels flipped."""
    bits = image >= 128
    flips = np.random.default_rng(seed).random(bits.shape) < noise
    return np.where(bits ^ flips, 255, 0).astype(np.uint8)


# --- decoders -------------------------------------------------------------------------------

def zxing(image: Crop) -> set[str]:
    import zxingcpp

    return {r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)}


def zbar(image: Crop) -> set[str]:
    from pyzbar import pyzbar

    return {s.data.decode("ascii", "replace")
            for s in pyzbar.decode(Image.fromarray(image), symbols=[pyzbar.ZBarSymbol.QRCODE])}


def opencv(image: Crop) -> set[str]:
    import cv2

    text, _, _ = cv2.QRCodeDetector().detectAndDecode(image)  # one card a crop
    return {text} if text else set()


_WECHAT = None


def wechat(image: Crop) -> set[str]:
    global _WECHAT
    import cv2

    if _WECHAT is None:
        _WECHAT = cv2.wechat_qrcode_WeChatQRCode()  # no model files: the traditional detector
    texts, _ = _WECHAT.detectAndDecode(image)
    return set(texts)


def verify(image: Crop) -> set[str]:
    """What ``passgen verify`` reads in a photo: zxing-cpp, plus a despeckled reading."""
    from passgen.check.scan import decode_image

    return {f.text for f in decode_image(Image.fromarray(image), "bench", despeckle=True)}


DECODERS: dict[str, Callable[[Crop], set[str]]] = {
    "zxing-cpp": zxing, "zbar": zbar, "opencv": opencv, "wechat": wechat, "verify": verify}


def _decode_task(task: tuple[str, int, Crop, str, tuple[str, ...]]) -> tuple[str, int, dict[str, bool]]:
    condition, index, image, expected, decoders = task
    return condition, index, {d: expected in DECODERS[d](image) for d in decoders}


# --- the run --------------------------------------------------------------------------------

def conditions(pdf: Path, folder: Path, count: int) -> dict[str, list[Crop]]:
    made: dict[str, list[Crop]] = {}
    for dpi in (300, 200, 150, 100):
        made[f"pdfium {dpi} dpi"] = crops(pdfium_pages(pdf, dpi), dpi, count)
    for dpi in (300, 200, 150, 100):
        made[f"ghostscript {dpi} dpi"] = crops(ghostscript_pages(pdf, dpi, folder), dpi, count)
    base = made["pdfium 200 dpi"]
    for degrees in (25, 40, 50):
        made[f"phone tilt {degrees}°"] = [tilt(c, degrees) for c in base]
    for sigma in (1, 2, 3):
        made[f"phone blur {sigma} px"] = [blur(c, sigma) for c in base]
    made["phone JPEG q30"] = [jpeg(c, 30) for c in base]
    made["phone shadow"] = [shadow(c) for c in base]
    made["phone low contrast"] = [low_contrast(c) for c in base]
    copy_base = made["pdfium 150 dpi"]
    for noise in (0.005, 0.01, 0.02):
        made[f"copy 150 dpi {noise:.1%} noise"] = [copy(c, noise, i)
                                                   for i, c in enumerate(copy_base)]
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf", type=Path, help="a card PDF on the default template")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", default=",".join(DECODERS))
    parser.add_argument("--save", type=Path, help="write one PNG per condition of card 1 here")
    args = parser.parse_args()
    decoders = tuple(args.only.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pdf = args.pdf or demo_pdf(folder)
        truth_crops = crops(pdfium_pages(pdf, 600), 600, 10_000)
        truth = [next(iter(zxing(c)), "") for c in truth_crops]
        count = sum(1 for t in truth if t)
        if count != len([t for t in truth if t]) or not count:
            sys.exit("no codes found at 600 dpi")
        truth = truth[:count]
        print(f"{pdf.name}: {count} cards")
        started = time.perf_counter()
        made = conditions(pdf, folder, count)
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            for name, images in made.items():
                Image.fromarray(images[0]).save(args.save / f"{name.replace(' ', '_')}.png")
        tasks = [(name, i, image, truth[i], decoders)
                 for name, images in made.items() for i, image in enumerate(images)]
        with Pool(args.jobs) as pool:
            results = pool.map(_decode_task, tasks, chunksize=8)
    table: dict[str, dict[str, list[int]]] = {}
    for condition, index, hits in results:
        for decoder, hit in hits.items():
            table.setdefault(condition, {}).setdefault(decoder, [])
            if not hit:
                table[condition][decoder].append(index + 1)
    print(f"{'condition':<28}" + "".join(f"{d:>11}" for d in decoders))
    for condition in made:
        row = table[condition]
        print(f"{condition:<28}" + "".join(
            f"{(count - len(row[d])) / count:>11.1%}" for d in decoders))
    print(f"({time.perf_counter() - started:.0f} s)")
    print("cards missed at 300 dpi (pdfium, ghostscript):")
    for condition in ("pdfium 300 dpi", "ghostscript 300 dpi"):
        for d in decoders:
            if table[condition][d]:
                print(f"  {condition} {d}: cards {table[condition][d]}")


if __name__ == "__main__":
    main()
