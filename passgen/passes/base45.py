"""Base45 (RFC 9285), the text form of a PG1 pass inside a QR alphanumeric segment.

numpy does the arithmetic for a whole pass at once: the ``base45`` package's pure Python
takes about 100 µs a pass each way, two thirds of a checkpoint's budget beside Ed25519.
Tests compare both on arbitrary input.
"""

from __future__ import annotations

import numpy as np

B45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_VALUES = bytes(B45_ALPHABET.index(chr(i)) if chr(i) in B45_ALPHABET else 255
                    for i in range(256))


_B45_PAIRS = np.array([[ord(B45_ALPHABET[v % 45]), ord(B45_ALPHABET[v // 45])]
                       for v in range(45 * 45)], dtype=np.uint8)  # v → two characters


def b45encode(data: bytes) -> str:
    """RFC 9285 encoding, with numpy (the ``base45`` package's pure Python takes ~100 µs a
    pass; tests compare both)."""
    whole = len(data) - len(data) % 2
    words = np.frombuffer(data, ">u2", whole // 2).astype(np.int32)
    low, high = np.divmod(words, 2025)[::-1]  # low < 2025: two characters; high < 33
    chars = np.empty((len(words), 3), dtype=np.uint8)
    chars[:, :2] = _B45_PAIRS[low]
    chars[:, 2] = _B45_PAIRS[high, 0]
    text = chars.tobytes().decode("ascii")
    if whole < len(data):
        text += _B45_PAIRS[data[-1]].tobytes().decode("ascii")
    return text


_B45_WEIGHTS = np.array([1, 45, 2025], dtype=np.int64)  # c + 45·d + 45²·e


def b45decode(text: str) -> bytes:
    """Strict RFC 9285 decoding.  The ``base45`` package does the same in pure Python at
    about 100 µs per pass, two thirds of a checkpoint's budget beside Ed25519; this one
    translates the whole text at once and combines the triples with numpy (tests compare
    both on arbitrary input)."""
    if not text.isascii():
        raise ValueError("not Base45")
    values = text.encode("ascii").translate(_B45_VALUES)
    if 255 in values or len(values) % 3 == 1:
        raise ValueError("not Base45")
    whole = len(values) - len(values) % 3
    words = np.frombuffer(values, np.uint8, whole).reshape(-1, 3) @ _B45_WEIGHTS
    if words.size and int(words.max()) > 0xFFFF:
        raise ValueError("not Base45")
    out = words.astype(">u2").tobytes()
    if whole < len(values):
        last = values[-2] + 45 * values[-1]
        if last > 0xFF:
            raise ValueError("not Base45")
        out += bytes((last,))
    return out
