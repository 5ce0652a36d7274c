"""PG1 text → QR module matrix.  The renderer needs only the matrix (no encoder knowledge)."""

from __future__ import annotations

from dataclasses import dataclass

import qrcode
import qrcode.constants


@dataclass(frozen=True)
class QrMatrix:
    """Dark modules of a QR symbol without quiet zone; ``rows[y][x]`` is True for dark."""

    version: int
    rows: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        return len(self.rows)

    def runs(self) -> list[tuple[int, int, int]]:
        """Horizontal runs of dark modules as (row, first column, length)."""
        out: list[tuple[int, int, int]] = []
        for y, row in enumerate(self.rows):
            x = 0
            n = len(row)
            while x < n:
                if row[x]:
                    start = x
                    while x < n and row[x]:
                        x += 1
                    out.append((y, start, x - start))
                else:
                    x += 1
        return out


def encode(text: str, error: str = "M") -> QrMatrix:
    """The QR symbol of ``text`` (smallest version, automatic mask) at error level ``error``."""
    levels = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
              "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}
    code = qrcode.QRCode(error_correction=levels[error], border=0)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    return QrMatrix(int(code.version), tuple(tuple(bool(v) for v in row) for row in matrix))
