"""Chinese resident ID numbers (GB 11643-1999): check digit, birth date, old 15-digit form."""

from __future__ import annotations

import datetime as dt
import functools

_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits."""
    if not (len(first17) == 17 and first17.isascii() and first17.isdigit()):
        raise ValueError(f"not 17 digits: {first17!r}")
    return _check(first17)


def _check(first17: str) -> str:
    # The standard weights the i-th digit (i = 1..17) by 2**(18 - i) mod 11.  As 13 = 2 mod 11,
    # the weighted sum is 2 * int(first17, 13) mod 11: one C call instead of 17 multiplications.
    return _CHECK[2 * int(first17, 13) % 11]


def birth_date(id18: str) -> dt.date | None:
    """The birth date encoded in an 18-digit number, or None if it is not a real date."""
    return _date_of(id18[6:14])


@functools.lru_cache(maxsize=8192)  # a roster's residents share a few thousand birthdays
def _date_of(yyyymmdd: str) -> dt.date | None:
    try:
        return dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None


def normalise(raw: str, today: dt.date) -> tuple[str | None, str, str]:
    """Validate an ID number; return (id18, "", "") or (None, zh message, en message).

    A 15-digit number (issued before 1999, birth year 19xx) is converted to 18 digits.
    """
    text = raw.strip().upper()
    if len(text) == 15 and text.isdecimal():  # decimal: what int() reads
        first17 = text[:6] + "19" + text[6:]
        text = first17 + _check(first17)
    if len(text) != 18:
        return None, f"身份证号应为18位，实际为{len(text)}位", f"ID number must have 18 characters, got {len(text)}"
    first17 = text[:17]
    if not (first17.isascii() and first17.isdigit() and (text[17] in "0123456789X")):
        return None, "身份证号只能是数字，最后一位可以是X", "ID number must be digits, the last may be X"
    born = _date_of(text[6:14])
    if born is None:
        return None, "身份证号中的出生日期不存在", "the birth date inside the ID number is not a real date"
    if born > today or born.year < 1890:
        return None, "身份证号中的出生日期不可能", "the birth date inside the ID number is impossible"
    if _check(first17) != text[17]:
        return None, "身份证号校验位错误，请核对是否抄错", "ID number check digit is wrong: check for a typing error"
    return text, "", ""


def age_on(id18: str, day: dt.date) -> int:
    """Age in whole years on ``day``."""
    born = birth_date(id18)
    assert born is not None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
