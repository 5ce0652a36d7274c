"""Venue lists for posters: the same strict reading as rosters, with their own headers
(名称, 社区, 地址, 类型, 咨询电话, and optionally 二维码内容).  Every non-blank row is a
:class:`Venue` or a :class:`RowError`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from passgen import fonts
from passgen.errors import RosterError
from passgen.intake.cells import personal_number, screen
from passgen.intake.headers import HeaderIndex, cell_text, is_blank, locate_header
from passgen.intake.sheets import DEFAULT_LIMITS, Limits, read_sheets
from passgen.models import Location, RowError

VENUE_COLUMNS = {"venue": ("名称", "场所名称", "点位名称"), "community": ("社区",),
                 "address": ("地址",), "type": ("类型", "场所类型"),
                 "hotline": ("咨询电话", "电话"), "qr_content": ("二维码内容",)}
VENUE_HEADERS = HeaderIndex(VENUE_COLUMNS)
_PHONE = re.compile(r"^[0-9+\-() ]{3,20}$")


@dataclass(frozen=True)
class Venue:
    venue: str
    community: str
    address: str
    type: str
    hotline: str
    qr_content: str
    where: Location


def read_venues(paths: Sequence[Path], limits: Limits = DEFAULT_LIMITS
                ) -> Iterator[Venue | RowError]:
    """Every non-blank venue row as a Venue or a RowError (blank name or community)."""
    for path in paths:
        for sheet in read_sheets(path, limits):
            rows = iter(sheet.rows)
            search = locate_header(rows, VENUE_HEADERS,
                                   lambda index: "venue" in index and "community" in index)
            if search.index is None:
                if search.searched:
                    raise RosterError(
                        f"{path.name} · {sheet.name}: 没有找到表头（前 {search.searched} 行中"
                        "没有同时含“名称”和“社区”的一行）",
                        f"{path.name} · {sheet.name}: no header with 名称 and 社区 in the "
                        f"first {search.searched} rows")
                continue
            header = search.index
            for number, cells in rows:
                if is_blank(cells):
                    continue
                values = {f: cell_text(cells[i]) if i < len(cells) else ""
                          for f, i in header.items()}
                where = Location(path.name, sheet.name, number)
                venue = Venue(values.get("venue", ""), values.get("community", ""),
                              values.get("address", ""), values.get("type", ""),
                              unicodedata.normalize("NFKC", values.get("hotline", "")),
                              values.get("qr_content", ""), where)
                yield check_venue(venue)


def check_venue(v: Venue) -> Venue | RowError:
    def bad(column: str, value: str, zh: str, en: str) -> RowError:
        w = v.where
        return RowError(Location(w.file, w.sheet, w.row, column), value, zh, en, v.venue)

    for column, field, value in (("名称", "venue", v.venue), ("社区", "community", v.community),
                                 ("地址", "address", v.address), ("类型", "type", v.type),
                                 ("二维码内容", "qr_content", v.qr_content)):
        problem = screen(field, value) or (personal_number(value) if field in (
            "venue", "community", "address") else None)
        if problem is not None:
            return bad(column, problem.shown, problem.zh, problem.en)
    if not v.venue:
        return bad("名称", "", "名称为空", "venue name is empty")
    if not v.community:
        return bad("社区", "", "社区为空", "community is empty")
    if v.hotline and not _PHONE.match(v.hotline):
        return bad("咨询电话", v.hotline, "电话号码只能包含数字、空格和 - + ( )",
                   "a phone number may hold digits, spaces and - + ( ) only")
    for column, value in (("名称", v.venue), ("社区", v.community), ("地址", v.address)):
        missing = fonts.missing_glyphs(value)
        if missing:
            return bad(column, value, f"字体中没有“{missing}”，无法打印",
                       f"the font cannot print {missing}")
    return v


class OneVenue(NamedTuple):
    """A venue given on the command line (--venue, --community, --hotline, --qr-content)."""

    venue: str
    community: str
    hotline: str = ""
    qr_content: str = ""
    address: str = ""
    kind: str = ""


def single_venue(one: OneVenue) -> Venue | RowError:
    """The venue given on the command line, checked as a row would be."""
    return check_venue(Venue(one.venue.strip(), one.community.strip(), one.address.strip(),
                             one.kind.strip(), unicodedata.normalize("NFKC", one.hotline.strip()),
                             one.qr_content.strip(), Location("命令行", "--venue", 1)))


def checked_hotline(text: str) -> str:
    """A hotline given on the command line (``posters --hotline``), folded and checked as a
    venue list's 咨询电话 cell is."""
    phone = unicodedata.normalize("NFKC", text.strip())
    if not _PHONE.match(phone):
        raise RosterError(f"--hotline「{text}」：电话号码只能包含数字、空格和 - + ( )",
                          f"--hotline {text!r}: a phone number may hold digits, spaces and "
                          "- + ( ) only")
    return phone
