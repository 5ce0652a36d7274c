"""Render the pictures of the README and the clerk's guide (docs/指南.md) from real runs:

    python docs/render_images.py out/      (after `make demo`)

docs/demo-sheet.png and demo-sheet-back.png come from the demo's card PDF, demo-card.png is
one card of it at print size, demo-report.png the first lines and the rejected lines of its
report.xlsx; the two poster pictures are made here with the bundled poster layouts.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pypdfium2 as pdfium

from passgen.intake.venues import OneVenue, single_venue
from passgen.jobs.posters import run_posters
from passgen.printing.posters import load_poster_template


def save(pdf_path: Path, index: int, dpi: int, name: str) -> None:
    pdf = pdfium.PdfDocument(str(pdf_path))
    image = pdf[index].render(scale=dpi / 72).to_pil().convert("P", palette=1, colors=64)
    target = Path(__file__).parent / name
    image.save(target, optimize=True)
    pdf.close()
    print(target)


def card(pdf_path: Path, dpi: int, name: str) -> None:
    """The first card of the sheet, as it comes out of the printer."""
    from passgen.printing.layout import card_origins, load_template

    t = load_template()
    x, y = card_origins(t)[0]
    px = dpi / 25.4
    pdf = pdfium.PdfDocument(str(pdf_path))
    image = pdf[0].render(scale=dpi / 72).to_pil()
    image = image.crop((round((x - 1) * px), round((y - 1) * px),
                        round((x + t.card_mm[0] + 1) * px), round((y + t.card_mm[1] + 1) * px)))
    target = Path(__file__).parent / name
    image.convert("P", palette=1, colors=128).save(target, optimize=True)
    pdf.close()
    print(target)


def report(path: Path, name: str, lines: int = 8) -> None:
    """report.xlsx as a clerk sees it in a spreadsheet program: the header, the first
    lines and every rejected line, filled as the workbook's rules fill them."""
    from openpyxl import load_workbook
    from PIL import Image, ImageDraw, ImageFont

    from passgen import fonts
    from passgen.jobs.report import COLOUR_FILLS, FILLS

    def rgb(hex_colour: str) -> tuple[int, int, int]:
        return (int(hex_colour[:2], 16), int(hex_colour[2:4], 16), int(hex_colour[4:], 16))

    fills = {c.word: rgb(f) for c, f in COLOUR_FILLS.items()}  # as the workbook's rules fill
    rows = list(load_workbook(path)["逐行结果"].iter_rows(values_only=True))
    shown = [rows[0], *rows[1:lines + 1], *[r for r in rows[lines + 1:] if r[5] == "未制卡"]]
    columns = (0, 2, 3, 4, 5, 6, 7, 8, 9)  # file, row, name, ID, outcome, colour, clauses, …
    widths = (120, 40, 80, 150, 60, 50, 90, 150, 520)
    font = ImageFont.truetype(fonts.font_file(), 13)
    image = Image.new("RGB", (sum(widths) + 10, 24 * len(shown) + 10), "white")
    draw = ImageDraw.Draw(image)
    for i, values in enumerate(shown):
        top = 5 + 24 * i
        fill = rgb(FILLS["rejected"]) if values[5] == "未制卡" else fills.get(str(values[6]))
        if i and fill:
            draw.rectangle((5, top, sum(widths) + 5, top + 23), fill=fill)
        left = 5
        for column, width in zip(columns, widths, strict=True):
            text = "" if values[column] is None else str(values[column])
            while text and draw.textlength(text, font=font) > width - 6:
                text = text[:-2] + "…"
            draw.text((left + 3, top + 4), text, fill="black", font=font)
            left += width
        draw.line((5, top + 23, sum(widths) + 5, top + 23), fill=(190, 190, 190))
    target = Path(__file__).parent / name
    image.convert("P", palette=1, colors=64).save(target, optimize=True)
    print(target)


SGR = {"41": (198, 40, 40), "42": (46, 125, 50), "43": (242, 194, 0), "45": (123, 31, 162)}


def gate_screen(out_dir: Path, name: str) -> None:
    """The checkpoint's real screen: ``passgen checkpoint`` run in a pseudo-terminal 80
    columns wide, a valid card and a revoked one scanned, its output (with the terminal's
    colour codes) drawn as a terminal draws it."""
    import datetime as dt
    import os
    import re
    import shutil
    import unicodedata

    import pexpect
    from PIL import Image, ImageDraw, ImageFont

    from passgen import fonts
    from passgen.check.scan import from_path
    from passgen.dates import SHANGHAI
    from passgen.jobs.demo import demo_key
    from passgen.passes import revocation
    from passgen.passes.pg1 import decode_claims, unpack

    texts = [f.text for f in from_path(sorted(out_dir.glob("cards-*.pdf"))[0]) if f.text][:2]
    at = dt.datetime(2020, 3, 26, 9, 30, tzinfo=SHANGHAI)
    listed = out_dir / "gate-revoked.json"
    listed.write_text(revocation.build(demo_key(), [decode_claims(unpack(texts[1]).payload)
                                                    .serial], int(at.timestamp()) - 3600),
                      encoding="utf-8")
    state = Path(tempfile.mkdtemp())
    passgen = shutil.which("passgen") or str(Path(sys.executable).with_name("passgen"))
    child = pexpect.spawn(passgen, ["checkpoint", "--trust", str(out_dir / "trust.json"),
                                    "--revoked", str(listed), "--at", "2020-03-26T09:30",
                                    "--allow-demo"], dimensions=(40, 80), encoding="utf-8",
                          env={**os.environ, "TERM": "xterm", "XDG_STATE_HOME": str(state)},
                          timeout=30)
    child.expect("waiting for scans[^\n]*\n")
    screen = ""
    for text in texts:
        child.sendline(text)
        child.expect("valid until[^\r]*\r\n")
        screen += child.before + child.after
    child.sendeof()
    child.expect(pexpect.EOF)
    lines = screen.replace("\r", "").split("\n")[:-1]
    font = ImageFont.truetype(fonts.font_file(), 18)
    cell, high = 10, 26
    image = Image.new("RGB", (80 * cell + 20, high * len(lines) + 20), (24, 24, 24))
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        x, y, background = 10, 10 + high * row, None
        for part in re.split("(\x1b\\[[0-9;]*m)", line):
            if part.startswith("\x1b["):
                codes = part[2:-1].split(";")
                background = next((SGR[c] for c in codes if c in SGR), None if "0" in codes
                                  else background)
                continue
            for ch in part:
                wide = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
                if background:
                    draw.rectangle((x, y, x + wide * cell, y + high), fill=background)
                draw.text((x, y + 3), "×" if ch == "✗" else ch, fill=(255, 255, 255), font=font)
                x += wide * cell
    target = Path(__file__).parent / name
    image.convert("P", palette=1, colors=32).save(target, optimize=True)
    listed.unlink()
    print(target)


def main(out_dir: Path) -> None:
    cards = sorted(out_dir.glob("cards-*.pdf"))[0]
    save(cards, 0, 110, "demo-sheet.png")
    save(cards, 1, 110, "demo-sheet-back.png")
    card(cards, 200, "demo-card.png")
    report(out_dir / "report.xlsx", "demo-report.png")
    gate_screen(out_dir, "demo-checkpoint.png")
    folder = Path(tempfile.mkdtemp())
    for kind in ("campaign", "checkpoint"):
        venue = single_venue(OneVenue("骏达市场", "西门社区", "0817-2345678"))
        result = run_posters([venue], folder / kind, load_poster_template(kind))
        save(result.pdfs[0], 0, 60, f"poster-{kind}.png")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out"))
