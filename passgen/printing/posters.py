"""Posters: campaign posters (扫码申领健康码) and checkpoint signs, in batches of thousands.

VENUES is a spreadsheet read by the same strict reader as rosters, with its own headers
(名称, 社区, 地址, 类型, 咨询电话, and optionally 二维码内容).  Every venue row ends as a
poster or a rejection in report.xlsx.  Layouts are data (``templates/poster-*.toml``), in
millimetres on A4 and scaled for A3 and A2; QR modules are kept at 1.5 mm or more with a
4-module quiet zone so a phone reads them from a metre away.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from reportlab.lib.colors import black

from passgen import fonts
from passgen.errors import RosterError, TemplateError
from passgen.files import atomic_write
from passgen.intake.roster import cell_text, header_key
from passgen.intake.sheets import DEFAULT_LIMITS, Limits, read_sheets
from passgen.jobs.report import write_table
from passgen.models import Colour, Location, RowError
from passgen.printing.cards import draw_mark, draw_qr, new_canvas
from passgen.printing.layout import PAGE_SIZES_MM, QUIET_MODULES, load_template, pt, read_toml
from passgen.qr.encode import QrMatrix, encode

FORMAT = "passgen-poster/1"
KINDS = ("campaign", "checkpoint")
SCALE = {"A4": 1.0, "A3": math.sqrt(2), "A2": 2.0}
MIN_MODULE_MM = 1.5
PLACEHOLDERS = frozenset({"venue", "community", "address", "type", "hotline"})
VENUE_COLUMNS = {"venue": ("名称", "场所名称", "点位名称"), "community": ("社区",),
                 "address": ("地址",), "type": ("类型", "场所类型"),
                 "hotline": ("咨询电话", "电话"), "qr_content": ("二维码内容",)}
_HEADER_INDEX = {header_key(h): f for f, hs in VENUE_COLUMNS.items() for h in hs}
_PHONE = re.compile(r"^[0-9+\-() ]{3,20}$")


# --- layout ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PosterText:
    text: str
    x: float
    y: float
    size: float
    max_width: float
    centre: bool


@dataclass(frozen=True)
class PosterLegend:
    x: float
    y: float
    row: float
    mark: float
    size: float
    meaning_size: float
    stacked: bool


@dataclass(frozen=True)
class PosterTemplate:
    name: str
    kind: str
    qr_content: str
    hotline: str
    frame_mm: float
    frame_pt: float
    qr: tuple[float, float, float] | None  # x, y, size (mm on A4, quiet zone included)
    qr_error: str
    legend: PosterLegend | None
    texts: tuple[PosterText, ...]


_SCHEMA = {
    "": {"format", "name", "kind", "qr_content", "hotline", "page", "qr", "legend", "text"},
    "page": {"frame_mm", "frame_pt"},
    "qr": {"x_mm", "y_mm", "size_mm", "error"},
    "legend": {"x_mm", "y_mm", "row_mm", "mark_mm", "size_pt", "meaning_size_pt", "layout"},
    "text": {"text", "x_mm", "y_mm", "size_pt", "max_width_mm", "align"},
}


def parse_poster_template(data: bytes, source: str) -> PosterTemplate:
    """Validate poster layout bytes; every fault names the template line."""
    r, doc = read_toml(data, source)

    def keys(table: dict[str, Any], schema: str, where: str) -> None:
        r.keys(table, schema, where, _SCHEMA)

    keys(doc, "", "模板")
    if doc.get("format") != FORMAT:
        raise r.fail("format", f"format 必须是 {FORMAT}", f"format must be {FORMAT}")
    if doc.get("kind") not in KINDS:
        raise r.fail("kind", "kind 只能是 campaign 或 checkpoint",
                     "kind must be campaign or checkpoint")
    page = doc.get("page", {})
    keys(page, "page", "[page]")
    qr = None
    if "qr" in doc:
        keys(doc["qr"], "qr", "[qr]")
        qr = (r.number(doc["qr"], "x_mm", "[qr]"), r.number(doc["qr"], "y_mm", "[qr]"),
              r.number(doc["qr"], "size_mm", "[qr]", minimum=20))
        if qr[0] + qr[2] > 210 or qr[1] + qr[2] > 297:
            raise r.fail("[qr]", "[qr] 超出了A4页面", "[qr] lies outside the A4 page")
    legend = None
    if "legend" in doc:
        raw = doc["legend"]
        keys(raw, "legend", "[legend]")
        if raw.get("layout", "inline") not in ("inline", "stacked"):
            raise r.fail("layout", "layout 只能是 inline 或 stacked",
                         "layout must be inline or stacked")
        legend = PosterLegend(r.number(raw, "x_mm", "[legend]"), r.number(raw, "y_mm", "[legend]"),
                              r.number(raw, "row_mm", "[legend]", minimum=1),
                              r.number(raw, "mark_mm", "[legend]", minimum=1),
                              r.number(raw, "size_pt", "[legend]", minimum=4),
                              r.number(raw, "meaning_size_pt", "[legend]",
                                       default=raw.get("size_pt", 12), minimum=4),
                              raw.get("layout", "inline") == "stacked")
    texts = []
    for item in doc.get("text", []):
        keys(item, "text", "[[text]]")
        body = item.get("text")
        if not isinstance(body, str):
            raise r.fail("text", "[[text]] 缺少 text", "[[text]] needs text")
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(body) if f is not None}
        except ValueError:
            raise r.fail(body, "花括号不配对", "unbalanced braces") from None
        unknown = sorted(names - PLACEHOLDERS)
        if unknown:
            name = unknown[0]
            raise r.fail("{" + name, f"未知的占位符 {{{name}}}", f"unknown placeholder {{{name}}}")
        if item.get("align", "left") not in ("left", "center"):
            raise r.fail("align", "align 只能是 left 或 center", "align must be left or center")
        texts.append(PosterText(body, r.number(item, "x_mm", "[[text]]"),
                                r.number(item, "y_mm", "[[text]]"),
                                r.number(item, "size_pt", "[[text]]", minimum=4),
                                r.number(item, "max_width_mm", "[[text]]", minimum=1),
                                item.get("align") == "center"))
    error = doc.get("qr", {}).get("error", "M")
    if error not in ("M", "Q", "H"):
        raise r.fail("error", "二维码纠错等级只能是 M、Q、H", "QR error level must be M, Q or H")
    return PosterTemplate(str(doc.get("name", source)), doc["kind"],
                          str(doc.get("qr_content", "")), str(doc.get("hotline", "")),
                          r.number(page, "frame_mm", "[page]", 6.0),
                          r.number(page, "frame_pt", "[page]", 3.0), qr, error, legend,
                          tuple(texts))


def load_poster_template(kind: str, name_or_path: str | None = None) -> PosterTemplate:
    """A poster layout by path, by bundled name, or the default for ``kind``."""
    name = name_or_path or f"poster-{kind}"
    bundled = resources.files("passgen.templates") / f"{name}.toml"
    if "/" not in name and bundled.is_file():
        template = parse_poster_template(bundled.read_bytes(), f"{name}.toml")
    else:
        try:
            data = Path(name).read_bytes()
        except OSError:
            raise TemplateError(f"找不到海报模板 {name}", f"poster template not found: {name}") \
                from None
        template = parse_poster_template(data, Path(name).name)
    if template.kind != kind:
        raise TemplateError(f"模板 {name} 是 {template.kind} 海报，不是 {kind}",
                            f"template {name} is a {template.kind} poster, not {kind}")
    return template


# --- venues ------------------------------------------------------------------------------
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
            header: dict[str, int] | None = None
            for number, cells in sheet.rows:
                if all(c is None or not str(c).strip() for c in cells):
                    continue
                if header is None:
                    found = {_HEADER_INDEX[k]: i for i, c in enumerate(cells)
                             if c is not None and (k := header_key(str(c))) in _HEADER_INDEX}
                    if "venue" in found and "community" in found:
                        header = found
                    elif number > 30:
                        raise RosterError(f"{path.name} · {sheet.name}: 没有找到表头（需要“名称”和“社区”）",
                                          f"{path.name} · {sheet.name}: no header with 名称 "
                                          "and 社区 in the first 30 rows")
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


# --- drawing -----------------------------------------------------------------------------
def qr_for(content: str, t: PosterTemplate, scale: float) -> tuple[QrMatrix, float]:
    """The matrix and its module size in mm on the chosen paper size."""
    assert t.qr is not None
    matrix = encode(content, t.qr_error)
    return matrix, t.qr[2] * scale / (matrix.size + 2 * QUIET_MODULES)


class PosterWriter:
    def __init__(self, path: Path, template: PosterTemplate, size: str) -> None:
        self.t = template
        self.k = SCALE[size]
        self.w, self.h = PAGE_SIZES_MM[size]
        self.font = fonts.register()
        self.c = new_canvas(path, (self.w, self.h), template.name)
        self.static: str | None = None
        self.qr_forms: dict[QrMatrix, str] = {}  # a QR shared by many posters is drawn once
        self.card_styles = load_template().colours  # the same colours and symbols as cards

    def _y(self, y_mm: float) -> float:
        return pt(self.h - y_mm * self.k)

    def _text(self, text: str, x_mm: float, y_mm: float, size: float, max_w: float,
              centre: bool) -> None:
        size *= self.k
        width = fonts.width(text, size)
        fitted = min(size, size * pt(max_w * self.k) / max(width, 1e-6))
        self.c.setFont(self.font, fitted)
        self.c.setFillColor(black)
        if centre:
            self.c.drawCentredString(pt(x_mm * self.k), self._y(y_mm), text)
        else:
            self.c.drawString(pt(x_mm * self.k), self._y(y_mm), text)

    def _static_form(self) -> str:
        """Frame and colour legend: the same on every poster of the batch."""
        if self.static is None:
            self.static = "poster-static"
            c = self.c
            c.beginForm(self.static, lowerx=0, lowery=0, upperx=pt(self.w), uppery=pt(self.h))
            inset = pt(self.t.frame_mm * self.k)
            c.setLineWidth(self.t.frame_pt * self.k)
            c.setStrokeColor(black)
            c.rect(inset, inset, pt(self.w) - 2 * inset, pt(self.h) - 2 * inset, stroke=1,
                   fill=0)
            legend = self.t.legend
            if legend is not None:
                for index, colour in enumerate(Colour):
                    top = legend.y + index * legend.row
                    draw_mark(c, self.card_styles[colour], pt(legend.x * self.k),
                              self._y(top + legend.mark), pt(legend.mark * self.k))
                    x = legend.x + legend.mark + 4
                    if legend.stacked:
                        self._text(colour.word, x, top + legend.mark * 0.55, legend.size,
                                   200 - x, False)
                        self._text(colour.meaning, x, top + legend.mark * 1.0,
                                   legend.meaning_size, 200 - x, False)
                    else:
                        self._text(f"{colour.word}　{colour.meaning}", x,
                                   top + legend.mark * 0.8, legend.size, 200 - x, False)
            c.endForm()
        return self.static

    def add(self, venue: Venue, matrix: QrMatrix | None) -> None:
        fields = {"venue": venue.venue, "community": venue.community,
                  "address": venue.address, "type": venue.type,
                  "hotline": venue.hotline or self.t.hotline}
        self.c.doForm(self._static_form())
        for item in self.t.texts:
            self._text(item.text.format_map(fields), item.x, item.y, item.size, item.max_width,
                       item.centre)
        if matrix is not None and self.t.qr is not None:
            self.c.doForm(self._qr_form(matrix))
        self.c.showPage()

    def _qr_form(self, matrix: QrMatrix) -> str:
        name = self.qr_forms.get(matrix)
        if name is None:
            assert self.t.qr is not None
            name = self.qr_forms[matrix] = f"poster-qr-{len(self.qr_forms)}"
            x, y, size = self.t.qr
            module = size * self.k / (matrix.size + 2 * QUIET_MODULES)
            self.c.beginForm(name, lowerx=0, lowery=0, upperx=pt(self.w), uppery=pt(self.h))
            draw_qr(self.c, matrix, pt(x * self.k + QUIET_MODULES * module),
                    self._y(y + QUIET_MODULES * module / self.k), pt(module))
            self.c.endForm()
        return name

    def close(self) -> None:
        self.c.save()


# --- batch -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PosterOutcome:
    where: Location
    venue: str
    community: str
    error: RowError | None = None


@dataclass(frozen=True)
class PosterResult:
    outcomes: tuple[PosterOutcome, ...]
    pdfs: tuple[Path, ...]
    report: Path

    @property
    def printed(self) -> int:
        return sum(1 for o in self.outcomes if o.error is None)

    def line(self) -> str:
        rejected = len(self.outcomes) - self.printed
        return f"read {len(self.outcomes)} rows: {self.printed} posters, {rejected} rejected"


def _safe(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", name).strip("_.") or "community"


def run_posters(venues: Iterable[Venue | RowError], out_dir: Path, template: PosterTemplate,
                size: str = "A4", pages_per_volume: int = 500,
                progress: Callable[[int], None] | None = None) -> PosterResult:
    """One PDF series per community (split every N pages) and report.xlsx."""
    if size not in SCALE:
        raise TemplateError(f"纸张只能是 {'、'.join(SCALE)}", f"size must be one of {list(SCALE)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    outcomes: list[PosterOutcome] = []
    good: dict[str, list[tuple[Venue, QrMatrix | None]]] = {}
    codes: dict[str, tuple[QrMatrix, float]] = {}  # most rows share the template's link
    for item in venues:
        if isinstance(item, RowError):
            outcomes.append(PosterOutcome(item.where, item.name, "", item))
            continue
        matrix = None
        if template.qr is not None:
            content = item.qr_content or template.qr_content
            if not content:
                outcomes.append(PosterOutcome(item.where, item.venue, item.community, RowError(
                    item.where, "", "没有二维码内容（模板和本行都没有）",
                    "no QR content in the row or the template", item.venue)))
                continue
            if content not in codes:
                codes[content] = qr_for(content, template, SCALE[size])
            matrix, module = codes[content]
            if module < MIN_MODULE_MM:
                outcomes.append(PosterOutcome(item.where, item.venue, item.community, RowError(
                    Location(item.where.file, item.where.sheet, item.where.row, "二维码内容"),
                    content[:40], f"二维码内容太长：模块只有 {module:.2f} 毫米（至少 1.5 毫米），"
                    "请缩短链接或用更大的纸张",
                    f"QR content too long: {module:.2f} mm modules (1.5 mm at least); "
                    "shorten it or use a larger size", item.venue)))
                continue
        outcomes.append(PosterOutcome(item.where, item.venue, item.community))
        good.setdefault(item.community, []).append((item, matrix))
    pdfs = []
    for community, members in good.items():
        for part, start in enumerate(range(0, len(members), pages_per_volume), start=1):
            path = out_dir / f"posters-{template.kind}-{_safe(community)}-{part:03d}.pdf"
            chunk = members[start:start + pages_per_volume]

            def write(tmp: Path, chunk: list[tuple[Venue, QrMatrix | None]] = chunk) -> None:
                writer = PosterWriter(tmp, template, size)
                for venue, matrix in chunk:
                    writer.add(venue, matrix)
                    if progress:
                        progress(1)
                writer.close()

            atomic_write(path, write)
            pdfs.append(path)
    report = out_dir / "report.xlsx"
    rows = [[o.where.file, o.where.sheet, o.where.row, o.venue, o.community,
             "未印制" if o.error else "已印制",
             f"【{o.error.where.column}】{o.error.zh} / {o.error.en}" if o.error else ""]
            for o in outcomes]
    printed = sum(1 for o in outcomes if o.error is None)
    write_table(report, ("文件", "工作表", "行号", "名称", "社区", "结果", "说明"),
                (22, 12, 6, 24, 14, 8, 70), rows,
                [("读取行数 rows read", len(outcomes)), ("海报 posters", printed),
                 ("未印制 rejected", len(outcomes) - printed), ("模板 template", template.name),
                 ("纸张 size", size)], 5, "未印制")
    return PosterResult(tuple(outcomes), tuple(pdfs), report)


def single_venue(venue: str, community: str, hotline: str, qr_content: str = "",
                 address: str = "", kind: str = "") -> Venue | RowError:
    """A venue given on the command line (--venue/--community/--hotline)."""
    return check_venue(Venue(venue.strip(), community.strip(), address.strip(), kind.strip(),
                             unicodedata.normalize("NFKC", hotline.strip()), qr_content.strip(),
                             Location("命令行", "--venue", 1)))

