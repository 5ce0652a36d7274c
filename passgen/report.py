"""report.xlsx: one line per input row (a card or a rejection) and a summary sheet."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from passgen.files import atomic_write
from passgen.models import Assessment, Card, Colour, Location, RowError
from passgen.roster import SheetNotice

HEADERS = ("文件", "工作表", "行号", "姓名", "身份证号（脱敏）", "结果", "颜色", "依据条款",
           "卡片编号", "说明")
FILLS = {"card": "E2F0D9", "rejected": "F8CBAD"}


@dataclass(frozen=True)
class RowOutcome:
    """What became of one input row: an assessment (and a card, unless only checking),
    or an error; never both, never neither."""

    where: Location
    name: str
    masked_id: str
    assessment: Assessment | None = None
    card: Card | None = None
    error: RowError | None = None


@dataclass(frozen=True)
class Totals:
    rows: int
    cards: int
    rejected: int
    by_colour: tuple[int, int, int]

    def line(self) -> str:
        g, y, r = self.by_colour
        return (f"read {self.rows} rows: {self.cards} cards, {self.rejected} rejected "
                f"(绿码 {g}, 黄码 {y}, 红码 {r})")


def totals(outcomes: Sequence[RowOutcome]) -> Totals:
    colours = Counter(o.assessment.colour for o in outcomes if o.assessment)
    rejected = sum(1 for o in outcomes if o.error)
    return Totals(len(outcomes), len(outcomes) - rejected, rejected,
                  (colours[Colour.GREEN], colours[Colour.YELLOW], colours[Colour.RED]))


def _row(o: RowOutcome) -> list[object]:
    w = o.where
    if o.assessment is not None:
        a = o.assessment
        serial = o.card.claims.serial.hex().upper() if o.card else ""
        return [w.file, w.sheet, w.row, o.name, o.masked_id, "已制卡" if o.card else "通过",
                a.colour.word, "、".join(a.clause_ids), serial, ""]
    assert o.error is not None
    e = o.error
    column = f"【{e.where.column}】" if e.where.column else ""
    value = f"「{e.value}」" if e.value else ""
    return [w.file, w.sheet, w.row, o.name, o.masked_id, "未制卡", "", "", "",
            f"{column}{value}{e.zh} / {e.en}"]


def write_table(path: Path, headers: Sequence[str], widths: Sequence[int],
                rows: Sequence[tuple[list[object], bool]],
                summary: Sequence[tuple[str, object]]) -> None:
    """An outcome report: one line per input row (filled green or, if ``bad``, red), a frozen
    header and autofilter, and a summary sheet.  Written atomically; no cell is ever a
    formula, whatever text the input held."""
    book = Workbook(write_only=True)  # streams rows: fast and small for 100,000 lines
    sheet = book.create_sheet("逐行结果")
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    bold = Font(bold=True)
    fills = {bad: PatternFill("solid", fgColor=FILLS["rejected" if bad else "card"])
             for bad in (False, True)}

    def cell(value: object, fill: PatternFill | None = None) -> WriteOnlyCell:
        c = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            # a value like "=HYPERLINK(...)" from a roster stays text, never a formula
            c.data_type = "s"
        if fill is None:
            c.font = bold
        else:
            c.fill = fill
        return c

    sheet.append([cell(h) for h in headers])
    for values, bad in rows:
        sheet.append([cell(v, fills[bad]) for v in values])
    last = chr(ord("A") + len(headers) - 1)
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    sheet2 = book.create_sheet("汇总")
    for label, value in summary:
        sheet2.append([label, value])
    sheet2.column_dimensions["A"].width = 26
    sheet2.column_dimensions["B"].width = 60
    atomic_write(path, lambda tmp: book.save(tmp))


def write_report(path: Path, outcomes: Sequence[RowOutcome], rules_version: str,
                 notices: Sequence[SheetNotice] = ()) -> None:
    """Write report.xlsx atomically."""
    t = totals(outcomes)
    summary: list[tuple[str, object]] = [
        ("读取行数 rows read", t.rows), ("制卡 cards", t.cards), ("未制卡 rejected", t.rejected),
        ("绿码 green", t.by_colour[0]), ("黄码 yellow", t.by_colour[1]),
        ("红码 red", t.by_colour[2]), ("规则版本 rules version", rules_version)]
    summary += [(f"未读取的工作表 sheet not read: {n.file} · {n.sheet}", f"{n.zh} / {n.en}")
                for n in notices]
    write_table(path, HEADERS, (22, 12, 6, 10, 22, 8, 8, 16, 20, 70),
                [(_row(o), o.error is not None) for o in outcomes], summary)
