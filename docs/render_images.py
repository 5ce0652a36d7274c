"""Render the README pictures from the demo output: python docs/render_images.py out/"""

from __future__ import annotations

import sys
from pathlib import Path

import pypdfium2 as pdfium


def main(out_dir: Path) -> None:
    docs = Path(__file__).parent
    pdf = pdfium.PdfDocument(str(sorted(out_dir.glob("cards-*.pdf"))[0]))
    for index, name in ((0, "demo-sheet.png"), (1, "demo-sheet-back.png")):
        image = pdf[index].render(scale=110 / 72).to_pil().convert("P", palette=1, colors=64)
        image.save(docs / name, optimize=True)
        print(docs / name)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out"))
