"""Roster intake on a corpus of real-world quirks, generated here, each row's outcome exact."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from helpers import AS_OF, HEADERS, make_id
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from passgen.errors import RosterError
from passgen.intake import sheets
from passgen.intake.roster import RowContext, SheetNotice, read_rosters
from passgen.intake.roster_template import write_template
from passgen.intake.sheets import Limits
from passgen.jobs.cards import check_rosters
from passgen.models import Category, Resident, RowError
from passgen.rules import load_rules

CTX = RowContext(AS_OF)
ID1 = make_id(dt.date(1950, 6, 15), 1)
ID2 = make_id(dt.date(1955, 1, 2), 2)
ID3 = make_id(dt.date(2008, 9, 1), 3)
FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def outcomes(paths: list[Path], ctx: RowContext = CTX) -> tuple[list[Any], list[SheetNotice]]:
    notices: list[SheetNotice] = []
    return list(read_rosters(paths, ctx, Limits(), notices)), notices


def summary(results: list[Any]) -> list[tuple[str, int, str]]:
    """(sheet, row, name or the rejected column) per outcome."""
    return [(r.where.sheet, r.where.row, r.name if isinstance(r, Resident)
             else "✗" + r.where.column) for r in results]


def base(**cells: Any) -> dict[str, Any]:
    row = {h: None for h in HEADERS}
    row.update({"姓名": "张三", "身份证号": ID1, "社区": "桂花社区", "人员状态": "正常",
                "14天内接触疫情较重地区人员": "否", "与观察人员同住": "否"})
    row.update(cells)
    return row


def office_workbook(folder: Path) -> Path:
    """Title rows, a merged title, a blank row, three sheets (one without a header)."""
    book = Workbook()
    one = book.active
    assert one is not None
    one.title = "1栋"
    one.append(["桂花社区老年人花名册"])
    one.merge_cells("A1:H1")
    one.append(["填表日期：2020年3月24日"])
    one.append([f" {h} " if h == "姓名" else h for h in HEADERS])  # header in row 3
    one.append([base()[h] for h in HEADERS])
    one.append([])  # blank row
    one.append([base(姓名="李\u3000四 ", 身份证号=ID2.translate(FULLWIDTH),
                     来南日期=43895, **{"14天内旅居地区": "成都"})[h] for h in HEADERS])
    two = book.create_sheet("2栋")
    two.append(HEADERS)
    two.append([base(姓名="王五", 身份证号=float(ID3[:17]))[h] for h in HEADERS])
    two.append([base(姓名="赵六", 身份证号=ID3.lower(), 类别="学生",
                     **{"与观察人员同住": "Y", "14天内接触疫情较重地区人员": "无"})[h]
                for h in HEADERS])
    notes = book.create_sheet("备注")
    notes.append(["这里是备注"])
    notes.append(["没有表头的一页"])
    path = folder / "office.xlsx"
    book.save(path)
    return path


def test_office_workbook_with_titles_merges_and_several_sheets(tmp_path: Path) -> None:
    results, notices = outcomes([office_workbook(tmp_path)])
    assert summary(results) == [("1栋", 4, "张三"), ("1栋", 6, "李四"),
                                ("2栋", 2, "✗身份证号"), ("2栋", 3, "赵六")]
    li = results[1]
    assert li.id_number == ID2 and li.arrival_date == dt.date(2020, 3, 5)
    assert li.travel_regions == ("成都",)
    zhao = results[3]
    assert zhao.id_number == ID3.upper() and zhao.lives_with_observed is True
    assert zhao.severe_contact is False and zhao.category == Category.STUDENT
    assert "Excel" in results[2].en
    [notice] = notices
    assert notice.sheet == "备注" and notice.rows == 2


def merged_workbook(folder: Path) -> Path:
    """The community cell merged over two rows."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(HEADERS)
    col = HEADERS.index("社区") + 1
    for i, ident in enumerate((ID1, ID2)):
        ws.append([base(姓名=f"人{i}", 身份证号=ident, 社区="西门社区" if i == 0 else None)[h]
                   for h in HEADERS])
    letter = "ABCDEFGHIJKLMNOPQRSTU"[col - 1]
    ws.merge_cells(f"{letter}2:{letter}3")
    path = folder / "merged.xlsx"
    book.save(path)
    return path


def test_merged_community_cells_fill_every_row(tmp_path: Path) -> None:
    results, _ = outcomes([merged_workbook(tmp_path)])
    assert [r.community for r in results] == ["西门社区", "西门社区"]


def csv_text(rows: list[dict[str, Any]], sep: str = ",") -> str:
    """A CSV file as Excel writes one (fields with quotes or separators are quoted)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow(["" if row[h] is None else str(row[h]) for h in HEADERS])
    return out.getvalue()


@pytest.mark.parametrize("line", ['"511302195001020015', '"5113"02195001020015'])
def test_a_stray_quote_in_a_csv_refuses_the_file(tmp_path: Path, line: str) -> None:
    """A quote never closed would swallow the rows below it into one cell: refuse instead."""
    rows = csv_text([base(), base(姓名="李四", 身份证号=ID2)]).splitlines()
    rows[1] = rows[1].replace(base()["身份证号"], line)
    path = tmp_path / "r.csv"
    path.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    with pytest.raises(RosterError, match="line 2") as info:
        check_rosters([path], tmp_path, load_rules(), AS_OF)
    assert "r.csv" in info.value.zh and "第2行" in info.value.zh


@pytest.mark.parametrize("encoding, sep", [("gb18030", ","), ("gbk", "\t"), ("utf-8-sig", ","),
                                           ("utf-8", ";")])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str, sep: str) -> None:
    rows = [base(姓名="欧阳秀英", 人员状态="治愈出院居家观察", 状态日期="2020/3/20"),
            base(姓名="钱七", 身份证号="5.11302E+17"),
            base(姓名="孙八", 身份证号=ID2, 症状="发热、干咳", 来南日期="2020.3.5",
                 **{"14天内旅居地区": "湖北省武汉市"})]
    path = tmp_path / f"roster-{encoding}.csv"
    path.write_bytes(csv_text(rows, sep).encode(encoding))
    results, _ = outcomes([path])
    assert summary(results) == [("CSV", 2, "欧阳秀英"), ("CSV", 3, "✗身份证号"),
                                ("CSV", 4, "孙八")]
    assert results[0].status_date == dt.date(2020, 3, 20)
    assert results[2].symptoms == ("发热", "干咳") and results[2].arrival_date == dt.date(2020, 3, 5)


def test_gb18030_only_characters(tmp_path: Path) -> None:
    # 䶮 (U+4DAE) is in GB18030 but not in GBK: a real GB18030 file, not a GBK one
    path = tmp_path / "r.csv"
    path.write_bytes(csv_text([base(姓名="刘䶮")]).encode("gb18030"))
    with pytest.raises(UnicodeEncodeError):
        "刘䶮".encode("gbk")
    results, _ = outcomes([path])
    assert isinstance(results[0], Resident) and results[0].name == "刘䶮"


def test_undecodable_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(b"\xff\xfe\x00\x00" * 10 + b"\x81")
    with pytest.raises(RosterError, match="encoding"):
        outcomes([path])


def test_legacy_xls_with_numeric_ids(tmp_path: Path) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("老人")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for c, h in enumerate(HEADERS):
        sheet.write(0, c, h)
    rows = [base(), base(姓名="李四", 身份证号=float(ID2[:17] + "0")),
            base(姓名="王五", 身份证号=int("110105491231002"), 入境日期=dt.date(2020, 3, 18),
                 **{"14天内境外旅居国家": "泰国"})]
    for r, row in enumerate(rows, start=1):
        for c, h in enumerate(HEADERS):
            value = row[h]
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            elif value is not None:
                sheet.write(r, c, value)
    path = tmp_path / "old.xls"
    book.save(str(path))
    results, _ = outcomes([path])
    assert summary(results) == [("老人", 2, "张三"), ("老人", 3, "✗身份证号"), ("老人", 4, "王五")]
    wang = results[2]
    assert wang.id_number == "11010519491231002X"  # 15-digit number kept exactly, converted
    assert wang.entry_date == dt.date(2020, 3, 18)


def test_formulas_are_never_evaluated(tmp_path: Path) -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(HEADERS)
    ws.append([base(姓名='=CONCATENATE("张","三")')[h] for h in HEADERS])
    path = tmp_path / "f.xlsx"
    book.save(path)
    [result], _ = outcomes([path])
    assert isinstance(result, RowError) and result.where.column == "姓名"


def test_missing_health_column_names_what_was_found(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    headers = [h for h in HEADERS if h != "与观察人员同住"]
    path.write_text(",".join(["桂花社区花名册"]) + "\n" + ",".join(headers) + "\n张三,x\n",
                    encoding="utf-8")
    [rejected], notices = outcomes([path])
    assert isinstance(rejected, RowError) and rejected.where.row == 3
    assert [n.rows for n in notices if "与观察人员同住" in n.zh] == [1]
    assert "与观察人员同住" in rejected.zh and "第2行" in rejected.zh
    assert "14天内旅居地区" in rejected.zh  # the headers that were found are listed


def test_limits_refuse_big_files(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(csv_text([base(身份证号=make_id(dt.date(1950, 1, 1), i))
                              for i in range(20)]), encoding="utf-8")
    with pytest.raises(RosterError, match="max-rows"):
        list(read_rosters([path], CTX, Limits(max_rows=10)))
    with pytest.raises(RosterError, match="max-mb"):
        list(read_rosters([path], CTX, Limits(max_mb=0.001)))


def test_filled_template_reads_back_without_rejections(tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    write_template(path)
    book = load_workbook(path)
    ws = book["花名册"]
    assert ws.freeze_panes == "A2"
    id_col = HEADERS.index("身份证号") + 1
    assert ws.cell(2, id_col).number_format == "@"
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert kinds == {"list", "date", "whole"}
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert any("确诊" in f for f in lists) and any("红码" in f for f in lists)
    help_rows = list(book["填写说明"].iter_rows(values_only=True))
    assert {r[0] for r in help_rows[2:]} == set(HEADERS)
    filled = [base(), base(姓名="李四", 身份证号=ID2, 类别="学生", 上次颜色="黄码", 连续申报天数=14,
                          **{"14天内旅居地区": "成都", "来南日期": dt.date(2020, 3, 20)})]
    for r, row in enumerate(filled, start=2):
        for c, h in enumerate(HEADERS, start=1):
            ws.cell(r, c).value = row[h]
    book.save(path)
    result = check_rosters([path], tmp_path, load_rules(), AS_OF)
    assert (result.totals.rows, result.totals.rejected) == (2, 0)
    assert result.notices == ()  # the instructions sheet is recognised, not reported


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)


@st.composite
def messy_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for i in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["good", "bad-id", "bad-date", "blank-name", "bad-flag",
                                     "numeric-id", "fullwidth", "unknown-region", "dup"]))
        row = base(姓名=f"居民{i}", 身份证号=make_id(dt.date(1950, 1, 1) + dt.timedelta(days=i), i))
        if kind == "bad-id":
            row["身份证号"] = draw(TEXT)
        elif kind == "bad-date":
            row.update({"14天内旅居地区": "成都", "来南日期": draw(TEXT)})
        elif kind == "blank-name":
            row["姓名"] = draw(st.sampled_from(["", " ", "\u3000"]))
        elif kind == "bad-flag":
            row["与观察人员同住"] = draw(TEXT)
        elif kind == "numeric-id":
            row["身份证号"] = draw(st.floats(allow_nan=False, allow_infinity=False))
        elif kind == "fullwidth":
            row["身份证号"] = row["身份证号"].translate(FULLWIDTH)
        elif kind == "unknown-region":
            row.update({"14天内旅居地区": draw(TEXT.filter(bool)),
                        "来南日期": "2020-03-20"})
        elif kind == "dup" and rows:
            row["身份证号"] = rows[0]["身份证号"]
        rows.append(row)
    return rows


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messy_rows(), st.sampled_from(["xlsx", "csv"]))
def test_every_row_is_accounted_for(tmp_path: Path, rows: list[dict[str, Any]],
                                    kind: str) -> None:
    path = tmp_path / f"messy.{kind}"
    if kind == "csv":
        path.write_text(csv_text(rows), encoding="utf-8")
    else:
        book = Workbook()
        ws = book.active
        assert ws is not None
        ws.append(HEADERS)
        for row in rows:
            ws.append([row[h] for h in HEADERS])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
        book.save(path)
    non_blank = sum(1 for row in rows if any(
        v is not None and str(v).strip() for v in row.values()))
    result = check_rosters([path], tmp_path, load_rules(), AS_OF)
    t = result.totals
    assert t.rows == t.cards + t.rejected
    assert t.rows == non_blank


# --- big workbooks parsed in a child process (sheets.spooled) ---------------------------


def spooled_and_not(monkeypatch: pytest.MonkeyPatch, paths: list[Path], limits: Limits,
                    notices: bool = True) -> list[tuple[list[Any], list[SheetNotice], str]]:
    """(outcomes read before any error, notices, the error) with and without the spool."""
    monkeypatch.setattr(sheets, "SPOOL_MIN_BYTES", 0)
    runs = []
    for spool in (False, True):
        got: list[Any] = []
        found: list[SheetNotice] = []
        error = ""
        try:
            for outcome in read_rosters(paths, CTX, limits, found if notices else None, spool):
                got.append(outcome)
        except RosterError as exc:
            error = str(exc)
        runs.append((got, found, error))
    return runs


def test_a_spooled_workbook_reads_exactly_as_in_process(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = sheets.spooled
    monkeypatch.setattr(sheets, "spooled", lambda *a: calls.append(a) or real(*a))
    paths = [office_workbook(tmp_path), merged_workbook(tmp_path)]
    for notices in (True, False):  # without notices a header-less sheet is left half-read
        plain, spooled = spooled_and_not(monkeypatch, paths, Limits(), notices)
        assert spooled == plain and len(plain[0]) == 6 and plain[2] == ""
    assert len(calls) == 4


def test_a_spooled_error_comes_after_the_same_rows(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(HEADERS)
    for i in range(2500):  # more than two of the child's batches of rows
        ws.append([base(姓名=f"人{i}", 身份证号=make_id(dt.date(1950, 1, 1), i))[h]
                   for h in HEADERS])
    stated = tmp_path / "stated.xlsx"
    book.save(stated)
    plain, spooled = spooled_and_not(monkeypatch, [stated], Limits(max_rows=2300))
    assert spooled == plain and "2,501" in plain[2] and plain[0] == []  # its <dimension> said
    path = tmp_path / "big.xlsx"  # without a <dimension>: counted while streaming
    with zipfile.ZipFile(stated) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<dimension [^>]*/>", b"", data)
            new.writestr(item.filename, data)
    plain, spooled = spooled_and_not(monkeypatch, [path], Limits(max_rows=2300))
    assert spooled == plain and "2,501" in plain[2] and plain[0] == []  # rows counted unpacking
    # the reader's own count, for a file the checks before it cannot see into (CSV)
    csv_path = tmp_path / "big.csv"
    csv_path.write_text(",".join(HEADERS) + "\n" + "".join(
        ",".join(str(base(姓名=f"人{i}", 身份证号=make_id(dt.date(1950, 1, 1), i))[h] or "")
                 for h in HEADERS) + "\n" for i in range(2500)), encoding="utf-8")
    rows: list[object] = []
    with pytest.raises(RosterError) as info:
        rows.extend(read_rosters([csv_path], RowContext(AS_OF), Limits(max_rows=2300)))
    assert "2300" in info.value.en and len(rows) == 2299  # + the header
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not really a workbook")
    plain, spooled = spooled_and_not(monkeypatch, [damaged], Limits())
    assert spooled == plain and "damaged.xlsx" in plain[2] and plain[0] == []


@pytest.mark.parametrize(("script", "says"), [
    ("echo 'MemoryError: out of memory' >&2\nexit 3", "MemoryError: out of memory"),
    ("echo 'not rows at all'", "incomplete output"),  # exits 0 but wrote no spool
    ("exit 0", "incomplete output"),
])
def test_a_failing_spool_process_is_a_clear_error(tmp_path: Path, script: str, says: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "broken-python"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sheets.sys, "executable", str(fake))
    monkeypatch.setattr(sheets, "SPOOL_MIN_BYTES", 0)
    with pytest.raises(RosterError) as info:
        list(read_rosters([office_workbook(tmp_path)], CTX, spool=True))
    assert "office.xlsx" in info.value.zh and "子进程" in info.value.zh
    assert says in info.value.en


def test_small_workbooks_and_csv_are_never_spooled(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheets, "spooled", lambda *a: pytest.fail("spooled a small file"))
    csv_path = tmp_path / "r.csv"
    csv_path.write_text(csv_text([base()]), encoding="utf-8")
    office = office_workbook(tmp_path)
    assert office.stat().st_size < sheets.SPOOL_MIN_BYTES
    assert len(list(read_rosters([office, csv_path], CTX, spool=True))) == 5
    monkeypatch.setattr(sheets, "SPOOL_MIN_BYTES", 0)
    assert len(list(read_rosters([csv_path], CTX, spool=True))) == 1


def test_a_merged_two_row_header_is_read_and_the_other_sheets_go_on(tmp_path: Path) -> None:
    """Issue #39 finding 4: a merged two-row header refused the whole workbook with "第3行的
    表头缺少必需的列…", naming neither the merge nor row 4, and the other sheets went
    unchecked.  The lower row completes the upper; a header still short rejects its own
    sheet's rows only."""
    from openpyxl import Workbook

    upper, lower = [], []
    for h in HEADERS:
        if h in ("14天内旅居地区", "来南日期"):
            upper.append("14天内旅居" if h == "14天内旅居地区" else None)
            lower.append("地区" if h == "14天内旅居地区" else "来南日期")
        elif h in ("症状", "人员状态"):
            upper.append("健康状况" if h == "症状" else None)
            lower.append(h)
        else:
            upper.append(h)
            lower.append(None)
    book = Workbook()
    merged = book.active
    assert merged is not None
    merged.title = "合并表头"
    merged.append(["桂花社区老年人花名册"])
    merged.append(upper)
    merged.append(lower)
    merged.merge_cells("I2:J2")
    person = base(**{"14天内旅居地区": "武汉", "来南日期": "2020-03-20"})
    merged.append([person.get(h) for h in HEADERS])
    short = book.create_sheet("缺列")
    short.append([h for h in HEADERS if h != "症状"])
    short.append([base(身份证号=make_id(dt.date(1951, 1, 1))).get(h) for h in HEADERS
                  if h != "症状"])
    fine = book.create_sheet("正常")
    fine.append(HEADERS)
    fine.append([base(身份证号=make_id(dt.date(1952, 1, 1))).get(h) for h in HEADERS])
    path = tmp_path / "book.xlsx"
    book.save(path)
    read, notices = outcomes([path])
    assert summary(read) == [("合并表头", 4, "张三"), ("缺列", 2, "✗症状"), ("正常", 2, "张三")]
    person_read = read[0]
    assert isinstance(person_read, Resident) and person_read.travel_regions == ("武汉",)
    assert [n.sheet for n in notices if "缺少必需的列" in n.zh] == ["缺列"]
