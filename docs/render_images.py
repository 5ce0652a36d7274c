"""Render the README pictures from the demo output: python docs/render_images.py out/"""

from __future__ import annotations

import sys
from pathlib import Path

import pypdfium2 as pdfium


def main(out_dir: Path) -> None:
    docs = Path(__file__).parent
    pdf = pdfium.PdfDocument(str(out_dir / "cards.pdf"))
    image = pdf[0].render(scale=110 / 72).to_pil().convert("P", palette=1, colors=64)
    image.save(docs / "demo-sheet.png", optimize=True)
    print(docs / "demo-sheet.png")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out"))
