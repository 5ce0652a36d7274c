"""Calendar helpers: PG1 dates are Asia/Shanghai days (UTC+8, no daylight saving since 1991)."""

from __future__ import annotations

import datetime as dt
import re

SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

_DATE_RE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def day_start(day: dt.date) -> int:
    """Unix seconds at 00:00 Asia/Shanghai of ``day``."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).timestamp())


_UNIX_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def day_of(unix: int) -> dt.date:
    """The Asia/Shanghai day containing ``unix`` (UTC+8: plain arithmetic, no tz database)."""
    return dt.date.fromordinal(_UNIX_EPOCH_ORDINAL + (unix + 8 * 3600) // 86400)


def today() -> dt.date:
    """Today in Asia/Shanghai (only the CLI calls this; the library takes dates as arguments)."""
    return dt.datetime.now(SHANGHAI).date()


def one_year_after(day: dt.date) -> dt.date:
    """The same day a year later; 29 February goes to 1 March."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, month=3, day=1)


def noon(day: dt.date) -> dt.datetime:
    """12:00 Asia/Shanghai of ``day``: the moment a bare date stands for when checking."""
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI)


def parse_date(value: object) -> dt.date | None:
    """A roster date: a date cell, an Excel serial number or text like 2020-03-05,
    2020/3/5, 2020.3.5, 2020年3月5日.  None if it is none of these or not a real date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if value != int(value) or not 1 <= value <= 2958465:
            return None
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    if isinstance(value, str):
        m = _DATE_RE.match(value)
        if not m:
            return None
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    return None


Days = tuple[dt.date, dt.date]  # an inclusive run of days


def add_days(runs: tuple[Days, ...], new: Days | None) -> tuple[Days, ...]:
    """``runs`` with the run ``new`` added, merged where they touch."""
    out: list[Days] = []
    for a, b in sorted([*runs, *([new] if new else [])]):
        if out and a <= out[-1][1] + dt.timedelta(days=1):
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple(out)


def without(runs: tuple[Days, ...], cuts: tuple[Days, ...]) -> tuple[Days, ...]:
    """The days of ``runs`` outside every run of ``cuts``."""
    one = dt.timedelta(days=1)
    out = list(runs)
    for c0, c1 in cuts:
        kept: list[Days] = []
        for a, b in out:
            if b < c0 or a > c1:
                kept.append((a, b))
                continue
            if a < c0:
                kept.append((a, c0 - one))
            if b > c1:
                kept.append((c1 + one, b))
        out = kept
    return tuple(out)
