"""Cell readers: one raw cell → its value, or the Problem that rejects the row.

Pure functions of the cell alone (the ID number's also of the as-of date); the checks between
cells of a row come after, in ``passgen.intake.roster``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from passgen.dates import parse_date
from passgen.intake import idcard
from passgen.intake.columns import (
    AMBIGUOUS_STATUSES,
    CASE_STATUSES,
    CATEGORY_WORDS,
    NO,
    OVERRIDES,
    YES,
)
from passgen.intake.headers import cell_text, fold
from passgen.models import Category, Colour
from passgen.text import visible

_SPLIT = re.compile(r"[、，,;；\s]+")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE][+]?\d+$")


_CJK_NAME = re.compile(r"^[\u3400-\u9fff\U00020000-\U0002ffff·•\s]+$")


def clean_name(text: str) -> str:
    """Trim (U+3000 included); a Chinese name loses the spaces typed to align it (李　四)."""
    text = text.strip()
    if _CJK_NAME.match(text):
        text = re.sub(r"\s+", "", text)
    return text


@dataclass(frozen=True)
class RowContext:
    """What a row is read against: the as-of date, the default community, the office's own
    headers (``columns``: a header as the office writes it → the canonical field it means,
    or "" for 不使用, DESIGN.md §3) and, when only some rows are wanted (a re-issue), those
    rows as (file, sheet, row)."""

    as_of: dt.date
    community: str = ""
    columns: tuple[tuple[str, str], ...] = ()
    rows: frozenset[tuple[str, str, int]] | None = None


@dataclass(frozen=True)
class Header:
    """Where each canonical field sits in a sheet, and the header text as the file spells it."""

    index: dict[str, int]
    text: dict[str, str]


@dataclass(frozen=True)
class Problem:
    """Why a row cannot become a card: the offending value as the clerk sees it, and what to do."""

    shown: str
    zh: str
    en: str


EMPTY_NAME = Problem("", "姓名为空", "name is empty")
DESTROYED_ID = ("身份证号被Excel存成了数字，后几位已经丢失。请把该列设置为“文本”格式后重新输入",
                 "Excel stored the ID number as a number and destroyed its last digits: "
                 "format the column as Text and type the number again")
NO_COMMUNITY = Problem("", "社区为空（可用 --community 统一指定）",
                        "community is empty (or give --community)")
NO_ARRIVAL = Problem("", "填写了旅居地区，但来南日期为空",
                      "travel regions given but the arrival date is empty")
NO_ENTRY = Problem("", "填写了境外国家，但入境日期为空",
                    "countries given but the entry date is empty")

# Longest text a column may hold, in characters: a name must fit the card and the pass, a
# community its card's header line and a file name; anything else, a report cell.
MAX_LENGTH = {"name": 20, "community": 30, "guardian": 20, "address": 120, "venue": 40}
MAX_TEXT = 200
_WHITESPACE = frozenset("\t\n\r\u3000\u00a0")  # not printable, but only spacing: cleaned


def screen(field: str, value: str) -> Problem | None:
    """A text cell that must not reach a card, a report or a file name: too long for its
    column, or holding a control or invisible formatting character (NUL, bell, a bidi
    override such as U+202E, a zero-width space).  Tabs, line breaks and wide spaces pass:
    the readers treat them as spaces."""
    limit = MAX_LENGTH.get(field, MAX_TEXT)
    if len(value) > limit:
        return Problem(visible(value[:20]) + "…", f"内容过长（{len(value)}个字，最多{limit}个）",
                       f"too long ({len(value)} characters, at most {limit})")
    if not value.isprintable():
        for ch in value:
            if not ch.isprintable() and ch not in _WHITESPACE and (
                    unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp")):
                return Problem(visible(value[:40]),
                               f"含有看不见的控制字符 U+{ord(ch):04X}（多见于从网页或聊天软件复制），"
                               "请删除后重新输入",
                               f"holds the invisible control character U+{ord(ch):04X} (often "
                               "copied from a web page or a chat): delete it and type the text "
                               "again")
    return None


def masked_shown(text: str) -> str:
    """An ID number as a rejection shows it: masked like the card's, whatever its length
    (a wrong number is still someone's number)."""
    text = visible(text)
    if len(text) >= 11:
        return text[:6] + "*" * (len(text) - 10) + text[-4:]
    return text[:2] + "*" * max(len(text) - 2, 0)


# Cell readers: one raw cell → its value, or the Problem that rejects the row.  Pure functions
# of the cell alone (the ID number's also of the as-of date); checks between cells come after.


def read_person(value: Any) -> str:
    text = cell_text(value)
    return text if not text or text.isalnum() else clean_name(text)  # nothing to clean


def read_name(value: Any) -> str | Problem:
    name = read_person(value)
    return (personal_number(name) or name) if name else EMPTY_NAME


def read_community(value: Any) -> str | Problem:
    text = cell_text(value)
    return personal_number(text) or text


# seven or more digits, spaces or dashes between them: an ID number (15 or 18 characters) or
# a phone number (7, 8 or 11 digits), never part of a name, a community or a venue
_NUMBER = re.compile(r"\d(?:[\s\-‐–—.·]*\d){6,}[xX]?")


def personal_number(text: str) -> Problem | None:
    """A name, community or venue cell holding what looks like an ID or phone number: it
    would be printed on a card or a poster, signed into a QR code and made a file name
    (issue #36).  Shown with its digits masked."""
    if sum(ch.isdigit() for ch in text) < 7:  # the usual cell: no digits at all
        return None
    folded = unicodedata.normalize("NFKC", text)
    if not _NUMBER.search(folded):
        return None
    shown = _NUMBER.sub(lambda m: m[0][:3] + "*" * max(len(m[0]) - 5, 0) + m[0][-2:], folded)
    return Problem(visible(shown), "含有像身份证号或电话号码的一串数字：这里的内容会印在卡片或海报上、"
                   "放进二维码和文件名，请把号码填到“身份证号”或“联系电话”列",
                   "holds what looks like an ID or phone number: this text is printed on "
                   "cards or posters, signed into QR codes and used in file names; put the "
                   "number in its own column")


def read_id_number(value: Any, as_of: dt.date) -> str | Problem:
    if type(value) is str and len(value) == 18 and value.isascii() and value[:17].isdigit():
        checked, zh, en = idcard.normalise(value, as_of)  # the usual cell, typed as text
        return checked if checked is not None else Problem(value.strip(), zh, en)
    raw = value
    if isinstance(raw, float) and raw.is_integer() and raw < 2**53:
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and len(str(raw)) == 15:
        raw = str(raw)  # an old 15-digit number fits a number cell exactly
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return Problem(excel_general(raw), *DESTROYED_ID)  # as the clerk sees it in Excel
    if isinstance(raw, str) and _SCIENTIFIC.match(raw.strip()):
        return Problem(cell_text(raw), *DESTROYED_ID)
    id_text = cell_text(raw)
    if not (id_text.isascii() and id_text.isalnum()):
        id_text = unicodedata.normalize("NFKC", id_text).replace(" ", "")
    checked, zh, en = idcard.normalise(id_text, as_of)
    if checked is None:
        return Problem(cell_text(raw), zh if raw else "身份证号为空",
                       en if raw else "ID number is empty")
    return checked


def excel_general(number: float) -> str:
    """A number as Excel's General format shows it in a cell: an 18-digit ID stored as a
    number reads 5.11302E+17, not the digits Excel keeps but never shows."""
    try:
        shown = f"{float(number):.5E}"
    except OverflowError:  # an integer beyond any float: its digits, as they are
        return cell_text(number)
    if abs(number) < 1e11 or "E" not in shown:  # small, or inf/nan
        return cell_text(number)
    mantissa, exponent = shown.split("E")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}E{'+' if int(exponent) >= 0 else '-'}{abs(int(exponent)):02d}"


def shows_as_number(text: str) -> bool:
    """Whether a cell's text is a number in Excel's scientific form (nothing to mask)."""
    return _SCIENTIFIC.match(text.strip()) is not None


def read_category(value: Any) -> Category | None | Problem:
    """None for a blank cell: the category then follows from the age."""
    text = cell_text(value)
    if not text:
        return None
    category = CATEGORY_WORDS.get(text)
    if category is None:
        return Problem(text, "类别只能是 老年人、学生、其他",
                       "category must be 老年人 (elderly), 学生 (student) or 其他 (other)")
    return category


def read_folded(value: Any) -> str:
    """Text with full-width digits and letters folded (phone numbers)."""
    text = cell_text(value)
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def read_items(value: Any) -> tuple[str, ...]:
    """A list of places or symptoms, split at 、，,;； and spaces; 无 is none."""
    text = unicodedata.normalize("NFKC", cell_text(value))
    if text in ("", "无"):
        return ()
    return tuple(p for p in _SPLIT.split(text) if p)


def read_date(value: Any) -> dt.date | None | Problem:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    parsed = parse_date(value)
    if parsed is None:
        return Problem(cell_text(value), "日期无法识别或不存在，请写成2020-03-05",
                       "not a real date; write it as 2020-03-05")
    return parsed


def read_status(value: Any) -> str | Problem:
    status = cell_text(value) or "正常"
    if status in AMBIGUOUS_STATUSES:
        one, other = AMBIGUOUS_STATUSES[status]
        return Problem(status, f"“{status}”不明确：治愈出院后居家观察的病人请填“{one}”，"
                       f"居家隔离医学观察的密切接触者请填“{other}”",
                       f"{status!r} is ambiguous: a discharged patient in home observation is "
                       f"{one!r}, a close contact in home medical observation {other!r}")
    if status not in CASE_STATUSES:
        return Problem(status, "人员状态无法识别，可填：" + "、".join(CASE_STATUSES),
                       "unknown case status")
    return status


def read_yes_no(value: Any) -> bool | Problem:
    """是/否 and the usual spellings (有/无, Y/N, yes/no, √/×, TRUE/FALSE); blank is 否."""
    if value is None or value == "否":
        return False
    if isinstance(value, bool):
        return value
    word = fold(cell_text(value))
    if word in YES:
        return True
    if word in NO:
        return False
    return Problem(cell_text(value), "只能填“是”或“否”", "must be 是 (yes) or 否 (no)")


def read_override(value: Any) -> str | Problem:
    text = cell_text(value)
    if text and text not in OVERRIDES:
        return Problem(text, "人工认定只能是 高风险 或 中风险",
                       "manual classification must be 高风险 or 中风险")
    return text


def read_previous(value: Any) -> Colour | None | Problem:
    text = cell_text(value)
    if not text:
        return None
    colour = Colour.from_word(text)
    if colour is None:
        return Problem(text, "上次颜色只能是 绿码、黄码、红码",
                       "previous colour must be 绿码, 黄码 or 红码")
    return colour


def category_by_age(age: int) -> Category:
    """A blank 类别 (DESIGN.md §3): 老年人 from 60, 学生 under 18 (the source names students
    as a group), else 其他."""
    if age >= 60:
        return Category.ELDERLY
    return Category.STUDENT if age < 18 else Category.OTHER


MAX_REPORT_DAYS = 1000  # a streak longer than the epidemic is a typo


def read_report_days(value: Any) -> int | Problem:
    """连续申报天数: a whole number of days from 0 to ``MAX_REPORT_DAYS``; blank is 0."""
    text = unicodedata.normalize("NFKC", cell_text(value)).replace("−", "-")
    if not text:
        return 0
    if re.fullmatch(r"[+-]?\d+(\.0*)?", text) is None:
        return Problem(text, "连续申报天数必须是整数（天数，如 14）", "must be a whole number of days")
    days = int(float(text)) if "." in text else int(text)
    if not 0 <= days <= MAX_REPORT_DAYS:
        return Problem(text, f"连续申报天数必须在 0 到 {MAX_REPORT_DAYS} 之间（截至签发日期连续申报的天数）",
                       f"report days must be between 0 and {MAX_REPORT_DAYS}")
    return days


