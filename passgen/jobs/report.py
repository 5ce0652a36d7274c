"""report.xlsx: one line per input row (a card or a rejection) and a summary sheet."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import WorkbookAlreadySaved

from passgen.errors import PassgenError
from passgen.files import atomic_write
from passgen.intake.roster import SheetNotice
from passgen.jobs.parallel import child
from passgen.models import Assessment, Card, Colour, Location, RowError, short_serial
from passgen.text import visible

HEADERS = ("文件", "工作表", "行号", "姓名", "身份证号（脱敏）", "结果", "颜色", "依据条款",
           "卡片编号", "说明")
FILLS = {"card": "E2F0D9", "rejected": "D9D9D9"}
# a resident's line in the colour of their code, so a red resident never looks "all right";
# a rejected row is grey (its 结果 says 未制卡)
COLOUR_FILLS = {Colour.GREEN: "C6EFCE", Colour.YELLOW: "FFEB9C", Colour.RED: "FFC7CE"}


class Outcome(StrEnum):
    """What became of a row, as the report's 结果 column says it."""

    CARD = "已制卡"  # a card was signed and printed
    PASSED = "通过"  # the row is good (roster check: no card is made)
    REJECTED = "未制卡"
    FAILED = "未通过"  # roster check: the row needs fixing (the guide's words)




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
    note: str = ""  # for a card: where its previous colour came from, why its validity is short


@dataclass(frozen=True)
class Totals:
    rows: int
    cards: int
    rejected: int
    by_colour: tuple[int, int, int]

    def line(self, checking: bool = False) -> str:
        """``读取 N 行：制卡 C，未制卡 R（…） / read N rows: C cards, R rejected (…)``; a roster
        check says 通过 / 未通过 (passed / rejected)."""
        g, y, r = self.by_colour
        made, not_made = ("通过", "未通过") if checking else ("制卡", "未制卡")
        return (f"读取 {self.rows} 行：{made} {self.cards}，{not_made} {self.rejected}"
                f"（绿码 {g}，黄码 {y}，红码 {r}） / {self.english(checking)}")

    def english(self, checking: bool = False) -> str:
        g, y, r = self.by_colour
        return (f"read {self.rows} rows: {self.cards} {'passed' if checking else 'cards'}, "
                f"{self.rejected} rejected (绿码 {g}, 黄码 {y}, 红码 {r})")


def _row(o: RowOutcome, checking: bool = False) -> list[object]:
    w = o.where
    if o.assessment is not None:
        a = o.assessment
        serial = short_serial(o.card.claims.serial) if o.card else ""  # as on the card
        return [w.file, w.sheet, w.row, o.name, o.masked_id,
                (Outcome.CARD if o.card else Outcome.PASSED).value,
                a.colour.word, "、".join(a.clause_ids), serial, o.note]
    assert o.error is not None
    e = o.error
    column = f"【{e.where.column}】" if e.where.column else ""
    value = f"「{e.value}」" if e.value else ""
    failed = Outcome.FAILED if checking else Outcome.REJECTED
    return [w.file, w.sheet, w.row, o.name, o.masked_id, failed.value, "", "", "",
            f"{column}{value}{e.zh} / {e.en}"]


class TableWriter:
    """An outcome report written as rows arrive: one line per input row, filled red where
    the ``outcome_column`` says ``bad_word`` and green elsewhere, a frozen header and
    autofilter, and a summary sheet.  openpyxl's write-only mode keeps the rows in a
    temporary file, not in memory; ``save`` writes the workbook atomically.  No cell is ever
    a formula, whatever text the input held.

    The fills are two conditional-formatting rules, not a style on every cell: openpyxl
    spends more on hashing per-cell styles than on writing the cells themselves."""

    def __init__(self, headers: Sequence[str], widths: Sequence[int], outcome_column: int,
                 bad_word: str, colour_column: int | None = None,
                 wrap_column: int | None = None) -> None:
        self.book = Workbook(write_only=True)
        self.sheet = sheet = self.book.create_sheet("逐行结果")
        sheet.freeze_panes = "A2"
        for index, width in enumerate(widths):
            sheet.column_dimensions[get_column_letter(index + 1)].width = width
        bold = Font(bold=True)
        cells = []
        for h in headers:
            c = WriteOnlyCell(sheet, value=h)
            c.font = bold
            cells.append(c)
        sheet.append(cells)
        self.columns = len(headers)
        self.outcome_column = outcome_column
        self.bad_word = bad_word
        self.colour_column = colour_column
        self.wrap_column = wrap_column  # long text there wraps (a message of 190 characters)
        self.rows = 0

    def _text(self, value: str) -> WriteOnlyCell:
        c = WriteOnlyCell(self.sheet, value=value)
        c.data_type = "s"  # "=HYPERLINK(...)" from a roster stays text, never a formula
        return c

    def append(self, values: Sequence[object]) -> None:
        # text is data: a control character (in a file or sheet name) shown as <U+XXXX>,
        # which openpyxl would refuse to write, losing the report (issue #29)
        values = [visible(v) if isinstance(v, str) and not v.isprintable() else v
                  for v in values]
        cells: list[object] = [self._text(v) if isinstance(v, str) and v.startswith(_NOT_PLAIN)
                               else v for v in values]
        w = self.wrap_column
        long = values[w] if w is not None and w < len(values) else None
        if w is not None and isinstance(long, str) and len(long) > WRAP_OVER:
            cell = self._text(long)  # styled only where needed: styles cost
            cell.alignment = _WRAP
            cells[w] = cell
        self.sheet.append(cells)
        self.rows += 1

    def save(self, path: Path, summary: Sequence[tuple[str, object]],
             tag: str | None = None) -> None:
        last = get_column_letter(self.columns)
        self.sheet.auto_filter.ref = f"A1:{last}{self.rows + 1}"
        if self.rows:
            cells = f"A2:{last}{self.rows + 1}"
            column = get_column_letter(self.outcome_column + 1)
            rules = [(f'${column}2="{self.bad_word}"', FILLS["rejected"])]
            if self.colour_column is None:
                rules.append((f'${column}2<>"{self.bad_word}"', FILLS["card"]))
            else:
                by = get_column_letter(self.colour_column + 1)
                rules += [(f'${by}2="{c.word}"', fill) for c, fill in COLOUR_FILLS.items()]
            for formula, colour in rules:
                self.sheet.conditional_formatting.add(cells, FormulaRule(
                    formula=[formula], fill=PatternFill("solid", bgColor=colour)))
        sheet2 = self.book.create_sheet("汇总")
        for label, value in summary:
            sheet2.append([visible(label), visible(value) if isinstance(value, str) else value])
        sheet2.column_dimensions["A"].width = 26
        sheet2.column_dimensions["B"].width = 60
        atomic_write(path, lambda tmp: self.book.save(tmp), 0o600, tag=tag)  # names: private


    def discard(self) -> None:
        """Finish the temporary file of a report that will not be saved (openpyxl removes
        it when the process ends); nothing to do once a save was attempted."""
        with contextlib.suppress(WorkbookAlreadySaved):
            self.sheet.close()


def write_table(path: Path, headers: Sequence[str], widths: Sequence[int],
                rows: Iterable[Sequence[object]], summary: Sequence[tuple[str, object]],
                outcome_column: int, bad_word: str, colour_column: int | None = None) -> int:
    """A whole outcome report at once (see ``TableWriter``); returns the rows written."""
    table = TableWriter(headers, widths, outcome_column, bad_word, colour_column)
    for values in rows:
        table.append(values)
    table.save(path, summary)
    return table.rows


# openpyxl reads a string starting with "=" as a formula and "#N/A" and the like as errors
_NOT_PLAIN = ("=", "#")
WRAP_OVER = 24  # characters of 说明 beyond which the cell wraps
_WRAP = Alignment(wrap_text=True, vertical="top")


class Tally:
    """Totals kept as outcomes stream past (nothing else of them is kept)."""

    def __init__(self) -> None:
        self.rows = self.rejected = 0
        self.colours: Counter[Colour] = Counter()

    def add(self, o: RowOutcome) -> None:
        self.rows += 1
        if o.error is not None:
            self.rejected += 1
        elif o.assessment is not None:
            self.colours[o.assessment.colour] += 1

    def totals(self) -> Totals:
        c = self.colours
        return Totals(self.rows, self.rows - self.rejected, self.rejected,
                      (c[Colour.GREEN], c[Colour.YELLOW], c[Colour.RED]))


WIDTHS = (22, 12, 6, 10, 22, 8, 8, 16, 20, 48)
_BATCH = 256  # rows per message to a background writer


def _new_table(checking: bool = False) -> TableWriter:
    bad = Outcome.FAILED if checking else Outcome.REJECTED
    return TableWriter(HEADERS, WIDTHS, HEADERS.index("结果"), bad.value, HEADERS.index("颜色"),
                       HEADERS.index("说明"))


def _write_in_background(conn: Connection) -> None:
    """A child process's loop: rows arrive in batches, then ("save", path, summary, tag)."""
    table = _new_table()
    while True:
        message = conn.recv()
        if message[0] == "rows":
            for values in message[1]:
                table.append(values)
        else:
            try:
                table.save(Path(message[1]), message[2], message[3])
            except PassgenError as exc:  # a clerk's message (a report open in Excel): as is
                conn.send((exc.zh, exc.en))
            except Exception as exc:  # reported to the parent, which raises it
                conn.send(f"{type(exc).__name__}: {exc}")
            else:
                conn.send(None)
            return


class ReportWriter:
    """report.xlsx for a cards batch or a roster check, written as outcomes stream past.

    With ``background``, a child process (forked now, before any worker pool) turns the
    rows into the workbook while this one goes on: writing a row costs openpyxl about as
    much as signing a card, and on a multi-core machine it need not wait for either."""

    def __init__(self, background: bool = False, checking: bool = False) -> None:
        self.checking = checking  # roster check: 通过 / 未通过, as the guide says
        self.tally = Tally()
        self.table: TableWriter | None = None
        self.process: BaseProcess | None = None
        self.rows: list[list[object]] = []
        if background:
            self.conn, self.process = child(_write_in_background)
        else:
            self.table = _new_table(checking)

    def add(self, o: RowOutcome) -> None:
        self.tally.add(o)
        if self.table is not None:
            self.table.append(_row(o, self.checking))
            return
        self.rows.append(_row(o, self.checking))
        if len(self.rows) == _BATCH:
            self.conn.send(("rows", self.rows))
            self.rows = []

    def save(self, path: Path, rules_version: str, notices: Sequence[SheetNotice] = (),
             context: Sequence[tuple[str, object]] = (), tag: str | None = None) -> None:
        """Write the workbook; ``context`` adds lines to the summary sheet (the as-of date,
        the key, the ledger: what a clerk needs to tell one batch's report from another);
        ``tag``, the batch's id, names its temporary file as the batch's (see atomic_write)."""
        t = self.tally.totals()
        summary: list[tuple[str, object]] = [
            ("读取行数 rows read", t.rows),
            *((("通过 passed", t.cards), ("未通过 rejected", t.rejected)) if self.checking else
              (("制卡 cards", t.cards), ("未制卡 rejected", t.rejected))),
            ("绿码 green", t.by_colour[0]),
            ("黄码 yellow", t.by_colour[1]), ("红码 red", t.by_colour[2]),
            ("规则版本 rules version", rules_version), *context]
        summary += [(f"未读取的工作表 sheet not read: {n.file} · {n.sheet}" if n.sheet
                     else f"注意 notice: {n.file}", f"{n.zh} / {n.en}") for n in notices]
        if self.table is not None:
            try:
                self.table.save(path, summary, tag)
            except OSError as exc:
                raise PassgenError(f"报告无法写入：{exc}", f"cannot write the report: {exc}") \
                    from None
            return
        try:
            if self.rows:
                self.conn.send(("rows", self.rows))
            self.conn.send(("save", str(path), summary, tag))
            problem = self.conn.recv()
        except (EOFError, OSError):
            problem = "the report process ended unexpectedly"
        self.close()
        if isinstance(problem, tuple):
            raise PassgenError(*problem)
        if problem is not None:
            raise PassgenError(f"报告无法写入：{problem}", f"cannot write the report: {problem}")

    def close(self) -> None:
        """End the background process: at once if ``save`` has not finished it (a batch
        that failed), else by waiting for it."""
        if self.process is not None:
            self.process.join(timeout=5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
            self.conn.close()
            self.process = None

    def abort(self) -> None:
        """Give up the report of a failed batch."""
        if self.table is not None:
            self.table.discard()
        if self.process is not None and self.process.is_alive():
            self.process.kill()
        self.close()
