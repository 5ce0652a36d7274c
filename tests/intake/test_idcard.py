"""ID numbers (GB 11643): MOD 11-2 check digit, 15-digit conversion, real birth dates, ages."""

import datetime as dt

from helpers import make_id
from hypothesis import given
from hypothesis import strategies as st

from passgen.intake import idcard
from passgen.models import mask_id

TODAY = dt.date(2020, 3, 25)


def test_known_good_number_with_x_check_digit() -> None:
    # 11010519491231002X is the example number printed in GB 11643-1999
    assert idcard.normalise("11010519491231002x", TODAY) == ("11010519491231002X", "", "")


def test_wrong_check_digit_is_rejected() -> None:
    good = make_id(dt.date(1950, 6, 15))
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    checked, zh, en = idcard.normalise(bad, TODAY)
    assert checked is None and "校验位" in zh and "check digit" in en


def test_fifteen_digit_number_is_converted() -> None:
    # 15-digit form of 110105491231002 → 11010519491231002X
    assert idcard.normalise("110105491231002", TODAY)[0] == "11010519491231002X"


def test_impossible_and_future_birth_dates() -> None:
    first17 = "51130219500230123"  # 30 February
    assert idcard.normalise(first17 + idcard.check_digit(first17), TODAY)[0] is None
    future = make_id(dt.date(2021, 1, 1))
    assert "不可能" in idcard.normalise(future, TODAY)[1]


def test_wrong_length_and_letters() -> None:
    assert "18位" in idcard.normalise("12345", TODAY)[1]
    assert idcard.normalise("5113021950061512AB", TODAY)[0] is None


def test_age() -> None:
    id18 = make_id(dt.date(1960, 3, 26))
    assert idcard.age_on(id18, TODAY) == 59
    assert idcard.age_on(id18, dt.date(2020, 3, 26)) == 60


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY), st.integers(0, 999))
def test_every_generated_number_validates(born: dt.date, seq: int) -> None:
    id18 = make_id(born, seq)
    assert idcard.normalise(id18, TODAY) == (id18, "", "")
    masked = mask_id(id18)
    assert masked[:6] == id18[:6] and masked[-4:] == id18[-4:] and masked[6:14] == "*" * 8


@given(st.text(max_size=30))
def test_normalise_never_raises(text: str) -> None:
    checked, zh, en = idcard.normalise(text, TODAY)
    assert (checked is None) == bool(zh) == bool(en)
