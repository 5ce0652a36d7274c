"""Synthetic residents for the benchmarks: distinct, valid ID numbers from a counter."""

from __future__ import annotations

import datetime as dt

from passgen.intake.idcard import check_digit


def make_id(n: int) -> str:
    """The n-th synthetic ID number: a birth date cycling over 25,000 days from 1930,
    a sequence number, and the real check digit."""
    born = dt.date(1930, 1, 1) + dt.timedelta(days=n % 25000)
    first17 = f"511302{born:%Y%m%d}{n // 25000 % 1000:03d}"
    return first17 + check_digit(first17)
