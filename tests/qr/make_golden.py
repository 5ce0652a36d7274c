"""Write the golden QR matrices the encoder is pinned to: one text file per test vector
whose text is a valid pass, plus texts that take the encoder's reference path.

    python tests/qr/make_golden.py        (after changing the vectors; review the diff)

Each file holds the text on its first line, then the matrix, ``#`` dark and ``.`` light.
The matrices come from the ``qrcode`` package (``encode_reference``), the definition of
passgen's QR output; the test checks that ``encode`` still gives exactly these.
"""

from __future__ import annotations

import json
from pathlib import Path

from passgen.qr.encode import encode_reference

HERE = Path(__file__).parent
VECTORS = HERE.parent / "vectors"
# beyond the vectors: lowercase and a long run of digits (the reference path), level H
EXTRA = {"lowercase": ("https://example.gov.cn/guozhouxing?a=1", "M"),
         "digits": ("PG1:" + "1234567890" * 3 + "ABC", "M"),
         "level-h": ("PG1:HELLO WORLD", "H")}


def cases() -> dict[str, tuple[str, str]]:
    out = {}
    for path in sorted(VECTORS.glob("*.json")):
        vector = json.loads(path.read_text(encoding="utf-8"))
        if vector["expected"]["status"] == "valid":
            out[path.stem] = (vector["text"], "M")
    out.update(EXTRA)
    return out


def main() -> None:
    (HERE / "golden").mkdir(exist_ok=True)
    for name, (text, level) in cases().items():
        matrix = encode_reference(text, level)
        (HERE / "golden" / f"{name}.txt").write_text(f"{level} {text}\n{matrix.text()}",
                                                     encoding="utf-8")


if __name__ == "__main__":
    main()
