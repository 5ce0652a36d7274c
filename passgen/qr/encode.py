"""Text → QR module matrix, and nothing else: writers take the matrix (segno's split).

The reference is the ``qrcode`` package with automatic masking: ``encode_reference``.  It
spends ~20 ms a code in pure Python, most of it scoring the eight masks.  ``encode`` gives
the *same matrix* about twenty times faster: zxing-cpp's C++ encoder lays out the data (its
layout equals qrcode's, mask for mask) and qrcode's own mask penalty is recomputed with
numpy, including its quirk of scoring with the format and version areas left light.  Texts
where the two encoders could segment differently take the reference path: anything but the
QR alphanumeric set, and runs of digits long enough for zxing-cpp's minimal segmentation to
put them in numeric mode where qrcode (numeric from 20 digits) does not.  A numeric segment
saves 2.17 bits a digit and costs a mode indicator and count (4 + 10 bits, and as much again
to switch back): it pays from 7 digits at the start or end of a text and from 13 inside it
(versions 1–9; later versions need more).  Tests compare both encoders on many payloads and
pin the matrices of the test vectors.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
import qrcode
import qrcode.constants
import zxingcpp


@dataclass(frozen=True, eq=False)
class QrMatrix:
    """Dark modules of a QR symbol without quiet zone: ``modules[y, x]`` is True for dark.

    The array is read-only; two matrices are equal when version and modules are."""

    version: int
    modules: np.ndarray  # (n, n) bool

    @classmethod
    def of(cls, version: int, modules: np.ndarray) -> QrMatrix:
        frozen = np.array(modules, dtype=bool)  # a copy the caller cannot change
        frozen.flags.writeable = False
        return cls(version, frozen)

    @property
    def size(self) -> int:
        """Modules per side."""
        return int(self.modules.shape[0])

    @property
    def rows(self) -> tuple[tuple[bool, ...], ...]:
        return tuple(tuple(row) for row in self.modules.tolist())

    def text(self) -> str:
        """One line per row, ``#`` dark and ``.`` light (the golden files of the tests)."""
        return "\n".join("".join("#" if v else "." for v in row)
                         for row in self.modules.tolist()) + "\n"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, QrMatrix) and self.version == other.version
                and np.array_equal(self.modules, other.modules))

    def __hash__(self) -> int:
        return hash((self.version, self.modules.tobytes()))


LEVELS = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
          "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}
_FAST_TEXT = re.compile(r"^[0-9A-Z $%*+\-./:]*$")
# digit runs zxing-cpp may encode in numeric mode (see the module docstring): the reference
# path takes them.  (Found by the golden matrices: a vector with 13 zeros in a row.)
_NUMERIC_RUN = re.compile(r"^[0-9]{7}|[0-9]{7}$|[0-9]{13}")


def encode_reference(text: str, error: str = "M") -> QrMatrix:
    """The qrcode package: smallest version, automatic mask (the definition of the output)."""
    code = qrcode.QRCode(error_correction=LEVELS[error], border=0)
    code.add_data(text)
    code.make(fit=True)
    return QrMatrix.of(int(code.version), np.array(code.get_matrix(), dtype=bool))


_P1 = int("10111010000", 2)  # dark:light:dark×3:light:dark, then 4 light
_P2 = int("00001011101", 2)  # the same, light area first


def qrcode_penalties(stack: np.ndarray) -> np.ndarray:
    """qrcode.util.lost_point for each matrix of a (k, n, n) stack, vectorised: the same
    four scores, computed for all candidate masks at once."""
    if stack.shape[1] <= _PACKED_MAX:
        return _penalties_packed(stack)
    return _penalties_arrays(stack)


_PACKED_MAX = 61  # versions 1 to 11: a line of modules fits in one 64-bit word


def _packed_lines(stack: np.ndarray) -> np.ndarray:
    """(k, n, n) bool → (k, n) uint64 where bit j of word i is module (i, j)."""
    k, n, _ = stack.shape
    packed = np.packbits(stack, axis=2, bitorder="little")  # (k, n, ⌈n/8⌉) bytes
    words = np.zeros((k, n, 8), dtype=np.uint8)
    words[:, :, :packed.shape[2]] = packed
    return words.view("<u8")[:, :, 0]


def _ones(bits: int) -> np.uint64:
    return np.uint64((1 << bits) - 1)


def _popcount(words: np.ndarray) -> np.ndarray:
    """Set bits per matrix of a (k, n) word array."""
    return np.bitwise_count(words).sum(axis=1, dtype=np.int64)


def _penalties_packed(stack: np.ndarray) -> np.ndarray:
    """The four scores with each line of modules as one 64-bit word: about ten times
    quicker than on arrays of booleans for the versions PG1 passes use."""
    k, n, _ = stack.shape
    rows = _packed_lines(stack)
    lines = np.concatenate((rows, _packed_lines(stack.transpose(0, 2, 1))))  # rows, columns
    light = ~lines & _ones(n)

    def at(words: np.ndarray, offset: int) -> np.ndarray:  # bit j ← module j + offset
        return words >> np.uint64(offset)

    # level 1: each run of ≥ 5 equal modules in a line scores (length − 2), that is one
    # for each window of five equal modules in the run, plus 2 where such a run starts
    same = ~(lines ^ at(lines, 1)) & _ones(n - 1)  # bit j: module j equals module j + 1
    five = same & at(same, 1) & at(same, 2) & at(same, 3)
    starts = five & ~(same << np.uint64(1))
    score = _popcount(five) + 2 * _popcount(starts)
    # level 3: 40 for each 1:1:3:1:1 finder-like pattern beside 4 light modules
    core = at(light, 1) & at(lines, 4) & at(light, 5) & at(lines, 6) & at(light, 9)
    dark_first = lines & at(lines, 2) & at(lines, 3) & at(light, 7) & at(light, 8) \
        & at(light, 10)
    light_first = light & at(light, 2) & at(light, 3) & at(lines, 7) & at(lines, 8) \
        & at(lines, 10)
    score += 40 * _popcount(core & (dark_first | light_first) & _ones(n - 10))
    total = score[:k] + score[k:]
    # level 2: 3 for each 2×2 block of one colour
    same_row = same[:k]
    same_below = ~(rows[:, :-1] ^ rows[:, 1:]) & _ones(n)
    total += 3 * _popcount(same_row[:, :-1] & same_row[:, 1:] & same_below)
    # level 4: balance of dark and light
    dark = _popcount(rows) / (n * n) * 100
    total += (np.abs(dark - 50) / 5).astype(np.int64) * 10
    return total


def _penalties_arrays(stack: np.ndarray) -> np.ndarray:
    """The same scores on arrays of booleans, for symbols wider than 61 modules."""
    k, n, _ = stack.shape
    total = np.zeros(k, dtype=np.int64)
    for grid in (stack, stack.transpose(0, 2, 1)):
        # level 1: each run of ≥ 5 equal modules in a line scores (length − 2)
        edges = np.ones((k, n, n + 1), dtype=bool)
        edges[:, :, 1:n] = grid[:, :, 1:] != grid[:, :, :-1]
        starts = np.flatnonzero(edges.ravel())
        lengths = np.diff(starts)  # line ends add spurious runs of 1
        long = lengths >= 5
        owner = starts[:-1][long] // (n * (n + 1))
        total += np.bincount(owner, weights=lengths[long] - 2, minlength=k).astype(np.int64)
        # level 3: 40 for each finder-like 1:1:3:1:1 pattern beside 4 light modules
        windows = np.zeros((k, n, n - 10), dtype=np.int64)
        for offset in range(11):
            windows = (windows << 1) | grid[:, :, offset:offset + n - 10]
        total += 40 * ((windows == _P1) | (windows == _P2)).sum(axis=(1, 2))
    corner = stack[:, :-1, :-1]  # level 2: 3 for each 2×2 block of one colour
    total += 3 * ((corner == stack[:, :-1, 1:]) & (corner == stack[:, 1:, :-1])
                  & (corner == stack[:, 1:, 1:])).sum(axis=(1, 2))
    dark = stack.sum(axis=(1, 2)) / (n * n) * 100  # level 4: balance of dark and light
    total += (np.abs(dark - 50) / 5).astype(np.int64) * 10
    return total


@dataclass(frozen=True)
class _Layout:
    """Per version: the 8 mask patterns over the data modules, and qrcode's format cells."""

    mask_stack: np.ndarray  # (8, n, n): where each mask flips a data module
    format_cells: tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]
    blank: np.ndarray  # left light while qrcode scores masks (format, dark module, version)


@functools.cache
def _layout(version: int) -> _Layout:
    n = 17 + 4 * version
    function = np.zeros((n, n), dtype=bool)
    for r, c in ((0, 0), (0, n - 8), (n - 8, 0)):  # finders with separators
        function[r:r + 8, c:c + 8] = True
    finders = function.copy()
    centres = qrcode.util.pattern_position(version)
    for r in centres:  # alignment patterns, except where a finder sits (not the timing lines)
        for c in centres:
            if not finders[r, c]:
                function[r - 2:r + 3, c - 2:c + 3] = True
    function[6, :] = function[:, 6] = True  # timing
    vertical = tuple((i if i < 6 else i + 1 if i < 8 else n - 15 + i, 8) for i in range(15))
    horizontal = tuple((8, n - i - 1 if i < 8 else 15 - i if i < 9 else 15 - i - 1)
                       for i in range(15))
    blank = np.zeros((n, n), dtype=bool)
    for cell in vertical + horizontal + ((n - 8, 8),):
        blank[cell] = True
    if version >= 7:
        for bit in range(18):
            blank[bit // 3, bit % 3 + n - 11] = blank[bit % 3 + n - 11, bit // 3] = True
    function |= blank
    i, j = np.indices((n, n))
    formulas = ((i + j) % 2 == 0, i % 2 == 0, j % 3 == 0, (i + j) % 3 == 0,
                (i // 2 + j // 3) % 2 == 0, (i * j) % 2 + (i * j) % 3 == 0,
                ((i * j) % 2 + (i * j) % 3) % 2 == 0, ((i + j) % 2 + (i * j) % 3) % 2 == 0)
    data = ~function
    return _Layout(np.stack([f & data for f in formulas]), (vertical, horizontal), blank)


def _quick(text: str) -> bool:
    """Whether zxing-cpp segments ``text`` as qrcode does (one alphanumeric segment)."""
    return bool(_FAST_TEXT.match(text)) and not _NUMERIC_RUN.search(text)


def encode(text: str, error: str = "M") -> QrMatrix:
    """The QR symbol of ``text`` exactly as ``encode_reference`` makes it, faster."""
    if not _quick(text):
        return encode_reference(text, error)
    version, modules = _modules(text, error)
    modules.flags.writeable = False  # made here and nowhere else: no copy needed
    return QrMatrix(version, modules)


def _modules(text: str, error: str) -> tuple[int, np.ndarray]:
    """Version and dark modules of an alphanumeric text (the quick path of ``encode``)."""
    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=error,
                                   data_mask=0)
    masked0 = np.asarray(code.to_image(add_quiet_zones=False)) < 128
    version = (masked0.shape[0] - 17) // 4
    layout = _layout(version)
    plain = masked0 ^ layout.mask_stack[0]
    candidates = plain[np.newaxis] ^ layout.mask_stack
    best_k = int(np.argmin(qrcode_penalties(candidates & ~layout.blank)))  # first minimum
    bits = qrcode.util.BCH_type_info((LEVELS[error] << 3) | best_k)
    final = candidates[best_k]
    for cells in layout.format_cells:
        for i, cell in enumerate(cells):
            final[cell] = (bits >> i) & 1 == 1
    final[final.shape[0] - 8, 8] = True  # the dark module
    return version, final
