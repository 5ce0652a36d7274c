"""Render the README pictures: python docs/render_images.py out/   (after `make demo`)

docs/demo-sheet.png and demo-sheet-back.png come from the demo's card PDF; the two poster
pictures are made here with the bundled poster layouts.
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


def main(out_dir: Path) -> None:
    cards = sorted(out_dir.glob("cards-*.pdf"))[0]
    save(cards, 0, 110, "demo-sheet.png")
    save(cards, 1, 110, "demo-sheet-back.png")
    folder = Path(tempfile.mkdtemp())
    for kind in ("campaign", "checkpoint"):
        venue = single_venue(OneVenue("骏达市场", "西门社区", "0817-2345678"))
        result = run_posters([venue], folder / kind, load_poster_template(kind))
        save(result.pdfs[0], 0, 60, f"poster-{kind}.png")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out"))
