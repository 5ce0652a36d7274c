"""The fast QR encoder must give exactly the qrcode package's matrix (automatic mask)."""

import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qrcode import util

from passgen.qr.encode import (
    _penalties_arrays,
    _penalties_packed,
    encode,
    encode_reference,
    qrcode_penalties,
)

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def qrcode_penalty(m: np.ndarray) -> int:
    return int(qrcode_penalties(m[np.newaxis])[0])


def test_penalty_equals_qrcode_lost_point() -> None:
    """Both implementations (64-bit words up to 61 modules, boolean arrays beyond)."""
    rng = np.random.default_rng(7)
    for size in (21, 25, 45, 53, 57, 61, 65, 77):
        for density in (0.1, 0.3, 0.5, 0.7, 0.9):
            m = rng.random((size, size)) < density
            assert qrcode_penalty(m) == util.lost_point(m.tolist()), (size, density)
    finder_like = np.zeros((29, 29), dtype=bool)  # 1:1:3:1:1 with light space, both ways
    finder_like[3, 2:9] = finder_like[3, 4] = True
    finder_like[3, 3] = finder_like[3, 7] = False
    finder_like[10:17, 20] = [True, False, True, True, True, False, True]
    assert qrcode_penalty(finder_like) == util.lost_point(finder_like.tolist())


def test_packed_and_array_penalties_agree() -> None:
    rng = np.random.default_rng(11)
    for size in range(21, 62, 4):
        stack = rng.random((8, size, size)) < rng.random((8, 1, 1))
        assert (_penalties_packed(stack) == _penalties_arrays(stack)).all(), size


def test_same_matrix_as_qrcode_for_many_passes() -> None:
    rnd = random.Random(2020)
    for _ in range(400):
        text = "PG1:" + "".join(rnd.choice(ALNUM) for _ in range(rnd.randint(1, 258)))
        assert encode(text) == encode_reference(text), text


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(alphabet=ALNUM, min_size=1, max_size=300),
                 st.text(min_size=1, max_size=60),
                 st.from_regex(r"PG1:[0-9]{20,40}[A-Z]{5}", fullmatch=True)),
       st.sampled_from(["M", "Q", "H"]))
def test_same_matrix_for_any_text_and_level(text: str, level: str) -> None:
    assert encode(text, level) == encode_reference(text, level)


GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.txt"))


def test_there_are_golden_matrices() -> None:
    assert len(GOLDEN) >= 5


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_encoder_gives_the_golden_matrix(path: Path) -> None:
    """The matrices of the test vectors, pinned (tests/qr/make_golden.py wrote them)."""
    first, _, expected = path.read_text(encoding="utf-8").partition("\n")
    level, _, text = first.partition(" ")
    matrix = encode(text, level)
    assert matrix.text() == expected
    assert matrix == encode_reference(text, level)
    assert matrix.modules.flags.writeable is False  # a matrix cannot be changed after the fact


def test_matrices_are_values() -> None:
    one, two = encode("PG1:HELLO"), encode("PG1:HELLO")
    assert one == two and hash(one) == hash(two) and one != encode("PG1:HELLP")
    assert one.size == len(one.rows) == 21


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", min_size=0, max_size=120),
       st.text(alphabet="0123456789", min_size=1, max_size=25),
       st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", min_size=0, max_size=120))
def test_digit_runs_anywhere_give_the_reference_matrix(head: str, digits: str,
                                                       tail: str) -> None:
    """zxing-cpp puts long digit runs in numeric mode where qrcode does not: such texts
    must take the reference path (13 zeros in a row in a vector once gave another matrix)."""
    text = "PG1:" + head + digits + tail
    assert encode(text) == encode_reference(text)
