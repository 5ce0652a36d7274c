"""Chinese resident ID numbers (GB 11643-1999): check digit, birth date, old 15-digit form."""

from __future__ import annotations

import datetime as dt
import operator

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits."""
    return _CHECK[sum(map(operator.mul, map(int, first17), _WEIGHTS)) % 11]


def birth_date(id18: str) -> dt.date | None:
    """The birth date encoded in an 18-digit number, or None if it is not a real date."""
    try:
        return dt.date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    except ValueError:
        return None


def normalise(raw: str, today: dt.date) -> tuple[str | None, str, str]:
    """Validate an ID number; return (id18, "", "") or (None, zh message, en message).

    A 15-digit number (issued before 1999, birth year 19xx) is converted to 18 digits.
    """
    text = raw.strip().upper()
    if len(text) == 15 and text.isdigit():
        first17 = text[:6] + "19" + text[6:]
        text = first17 + check_digit(first17)
    if len(text) != 18:
        return None, f"身份证号应为18位，实际为{len(text)}位", f"ID number must have 18 characters, got {len(text)}"
    if not (text[:17].isascii() and text[:17].isdigit()
            and (text[17] in "0123456789X")):
        return None, "身份证号只能是数字，最后一位可以是X", "ID number must be digits, the last may be X"
    born = birth_date(text)
    if born is None:
        return None, "身份证号中的出生日期不存在", "the birth date inside the ID number is not a real date"
    if born > today or born.year < 1890:
        return None, "身份证号中的出生日期不可能", "the birth date inside the ID number is impossible"
    if check_digit(text[:17]) != text[17]:
        return None, "身份证号校验位错误，请核对是否抄错", "ID number check digit is wrong: check for a typing error"
    return text, "", ""


def age_on(id18: str, day: dt.date) -> int:
    """Age in whole years on ``day``."""
    born = birth_date(id18)
    assert born is not None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
