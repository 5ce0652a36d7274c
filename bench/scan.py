"""Benchmark: how well printed cards scan, and how fast whole sheets are checked.

    .venv/bin/python bench/scan.py [CARDS]

Prints CARDS cards (default 300, 30 sheets), rasterises the fronts at 150, 200 and 300 dpi,
degrades them like a worn photocopy or a phone photo, and reports the share of cards decoded
and verified per condition.  Then times decode + verify of whole A4 sheets at 200 dpi.
Targets (issue #8): 100 % clean at 150 dpi, ≥ 99.5 % at 200 dpi with medium degradation,
≥ 20 sheets/s.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageFilter

from passgen.check import scan
from passgen.check.inputs import check_found
from passgen.dates import SHANGHAI
from passgen.intake.columns import COLUMNS
from passgen.intake.idcard import check_digit
from passgen.jobs.cards import PrintOptions, run_cards
from passgen.passes import keys
from passgen.printing.layout import load_template
from passgen.rules import load_rules

AS_OF = dt.date(2020, 3, 25)


def make_id(n: int) -> str:
    born = dt.date(1935, 1, 1) + dt.timedelta(days=n * 7)
    first17 = f"511302{born:%Y%m%d}{n % 1000:03d}"
    return first17 + check_digit(first17)


def roster(path: Path, n: int) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    headers = [c.headers[0] for c in COLUMNS]
    sheet.append(headers)
    names = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    for i in range(n):
        cells = {"姓名": names[i % 20] + "秀英建国"[i % 4] + "明华"[i % 2],
                 "身份证号": make_id(i), "社区": "桂花社区", "人员状态": "正常",
                 "14天内接触疫情较重地区人员": "否", "与观察人员同住": "否",
                 "症状": "发热" if i % 5 == 0 else ""}
        sheet.append([cells.get(h) for h in headers])
    book.save(path)
    return path


def degrade(image: Image.Image, level: str, seed: int) -> Image.Image:
    if level == "clean":
        return image
    rng = np.random.default_rng(seed)
    a = np.asarray(image, dtype=float) * (140 / 255) + 60  # contrast squeezed into 60..200
    a += rng.normal(0, 12, a.shape)
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.7))
    if level == "photo":
        out = out.rotate(2.5, expand=True, fillcolor=255, resample=Image.Resampling.BILINEAR)
        buffer = io.BytesIO()
        out.save(buffer, "JPEG", quality=50)
        out = Image.open(io.BytesIO(buffer.getvalue()))
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    folder = Path(tempfile.mkdtemp())
    key = keys.generate("NC-XM-01", dt.date(2020, 1, 1), dt.date(2020, 12, 31),
                        hashlib.sha256(b"bench").digest())
    trust = keys.TrustList((key.entry,))
    expected: set[str] = set()
    result = run_cards([roster(folder / "r.xlsx", n)], key, folder / "out", load_rules(),
                       PrintOptions(load_template(), duplex=False), AS_OF,
                       on_outcome=lambda o: expected.add(o.card.payload) if o.card else None)
    at = dt.datetime(2020, 3, 26, 12, tzinfo=SHANGHAI)
    pdf = pdfium.PdfDocument(str(result.pdfs[0]))
    print(f"cards: {len(expected)} on {len(pdf)} sheets")
    for dpi in (150, 200, 300):
        sheets = [pdf[i].render(scale=dpi / 72, grayscale=True).to_pil() for i in range(len(pdf))]
        for level in ("clean", "medium", "photo"):
            found: set[str] = set()
            for index, sheet in enumerate(sheets):
                codes = scan.decode_image(degrade(sheet, level, index), "bench")
                checked = check_found(codes, trust, at)
                found |= {f.text for f, c in zip(codes, checked, strict=True) if c.result.valid}
            rate = len(found & expected) / len(expected)
            print(f"  {dpi} dpi, {level:6}: {len(found & expected)}/{len(expected)} "
                  f"= {rate:.1%}")
        if dpi == 200:
            times = []
            for _ in range(3):
                start = time.perf_counter()
                for sheet in sheets:
                    check_found(scan.decode_image(sheet, "bench"), trust, at)
                times.append(len(sheets) / (time.perf_counter() - start))
            print(f"  200 dpi whole sheets decoded + verified: median "
                  f"{statistics.median(times):.1f} sheets/s")


if __name__ == "__main__":
    main()
