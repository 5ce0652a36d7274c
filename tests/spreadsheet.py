"""How a spreadsheet opens a CSV file, as far as the checkpoint logs care (issue #35): Excel
and WPS read a UTF-8 file as UTF-8 only when it starts with a byte order mark (else in the
system's code page, GBK on a Chinese PC), and give each unquoted-or-quoted cell in the
General format a type of its own: numbers (leading zeros lost, 15 significant digits kept,
E-notation read as an exponent), percentages and dates.  ``open_as_spreadsheet`` does the
same to a file, so a test can see what a clerk would see."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

_NUMBER = re.compile(r"^[+-]?(\d+|\d{1,3}(,\d{3})+)?(\.\d*)?([eE][+-]?\d+)?%?$")
_DATE = re.compile(r"^(\d{1,4})[-/](\d{1,2})([-/](\d{1,4}))?$")


def cell_value(text: str) -> Any:
    """What a General-format cell holds after the file is opened: a float for anything the
    spreadsheet reads as a number or a date (as its serial number), else the text."""
    t = text.strip()
    if t and any(c.isdigit() for c in t) and _NUMBER.match(t):
        value = float(t.rstrip("%").replace(",", ""))
        return float(f"{value / 100 if t.endswith('%') else value:.15g}")
    date = _DATE.match(t)
    if date and 1 <= int(date.group(2)) <= 12:
        return float(int(date.group(1)) * 400 + int(date.group(2)) * 31)  # some date
    return text


def open_as_spreadsheet(data: bytes) -> list[list[Any]]:
    """The rows of a CSV file as a spreadsheet opens it (see the module's note)."""
    text = data[3:].decode("utf-8") if data.startswith(b"\xef\xbb\xbf") \
        else data.decode("gbk", errors="replace")
    return [[cell_value(c) for c in row] for row in csv.reader(io.StringIO(text, newline=""))]
