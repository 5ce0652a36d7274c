"""An office's own headers (列对应, DESIGN.md §3): the mapped meaning is what the engine sees,
the report says so, a column mapped to 不使用 is never read, and a mapping never supplies a
column the sheet does not have."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from helpers import AS_OF, HEADERS, make_id, row, write_roster
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passgen.errors import RosterError
from passgen.intake.columns import COLUMNS
from passgen.intake.mapping import (
    column_map,
    column_map_json,
    load_column_map,
    survey_headers,
)
from passgen.intake.roster import RowContext, SheetNotice, read_rosters
from passgen.models import Resident, RowError

THEIRS = {"症状": "身体状况", "人员状态": "目前状态", "姓名": "名字"}


def renamed(headers: list[str], names: dict[str, str]) -> list[str]:
    return [names.get(h, h) for h in headers]


def office_roster(path: Path) -> Path:
    """A roster in an office's own words: 名字, 身体状况, 目前状态, and a 备注2."""
    rows = [row(姓名="王五", 症状="发热"), row(姓名="赵六", 身份证号=make_id(dt.date(1960, 1, 2)))]
    data = [{THEIRS.get(h, h): v for h, v in r.items()} | {"备注2": "楼下"} for r in rows]
    return write_roster(path, data, [*renamed(HEADERS, THEIRS), "备注2"])


def read(paths: list[Path], columns: tuple[tuple[str, str], ...] = ()
         ) -> tuple[list[Resident | RowError], list[SheetNotice]]:
    notices: list[SheetNotice] = []
    return list(read_rosters(paths, RowContext(AS_OF, "", columns), notices=notices)), notices


def test_without_the_mapping_the_sheet_is_refused_and_with_it_the_mapped_meaning_is_read(
        tmp_path: Path) -> None:
    path = office_roster(tmp_path / "ours.xlsx")
    rows, _ = read([path])
    assert rows == []  # no 姓名: no header found, nothing read as a resident
    columns = column_map({"名字": "姓名", "身体状况": "症状", "目前状态": "人员状态",
                          "备注2": "不使用"})
    rows, notices = read([path], columns)
    people = [r for r in rows if isinstance(r, Resident)]
    assert [p.name for p in people] == ["王五", "赵六"]
    assert people[0].symptoms and not people[1].symptoms  # 发热 read from 身体状况
    said = " ".join(n.zh for n in notices)
    assert "身体状况 → 症状" in said and "备注2 → 不使用" in said
    assert "已忽略" not in said  # 不使用 is the clerk's choice, not an unknown column


def test_a_required_column_mapped_to_not_used_refuses_the_sheet(tmp_path: Path) -> None:
    path = write_roster(tmp_path / "r.xlsx", [row()])
    rows, notices = read([path], column_map({"症状": "不使用"}))
    assert [r.zh for r in rows if isinstance(r, RowError)] and not any(
        isinstance(r, Resident) for r in rows)
    assert any("缺少必需的列：症状" in n.zh for n in notices)


def test_the_report_of_a_batch_names_the_mapping(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from passgen.jobs.cards import check_rosters
    path = office_roster(tmp_path / "ours.xlsx")
    columns = column_map({"名字": "姓名", "身体状况": "症状", "目前状态": "人员状态"})
    result = check_rosters([path], tmp_path / "out", None, AS_OF, columns=columns)
    assert result.totals.rows == 2 and result.totals.rejected == 0
    cells = [str(c.value) for ws in load_workbook(result.report) for r in ws.iter_rows()
             for c in r if c.value]
    assert any("身体状况 → 症状" in c for c in cells)


@pytest.mark.parametrize(("given_", "why"), [
    ({"身体状况": "体温"}, "未知的列"),
    ({"  ": "症状"}, "空的列名"),
    ({"身体状况": "症状", "身体状况 ": "不使用"}, "两次"),
])
def test_a_bad_mapping_is_refused_in_plain_words(given_: dict[str, str], why: str) -> None:
    with pytest.raises(RosterError) as caught:
        column_map(given_)
    assert why in caught.value.zh


def test_the_mapping_file_round_trips_and_a_bad_one_is_named(tmp_path: Path) -> None:
    columns = column_map({"身体状况": "symptoms", "备注2": "", "名字": "姓名"})
    path = tmp_path / "列对应.json"
    path.write_text(column_map_json(columns), encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8"))["身体状况"] == "症状"
    assert load_column_map(path) == columns
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(RosterError, match="not a JSON object"):
        load_column_map(path)
    with pytest.raises(RosterError, match="cannot read"):
        load_column_map(tmp_path / "none.json")


def test_the_survey_offers_an_unmatched_header_for_mapping(tmp_path: Path) -> None:
    path = office_roster(tmp_path / "ours.xlsx")
    [found] = survey_headers([path])
    assert found.row == 1 and "姓名" in found.missing and "症状" in found.missing
    assert ("身体状况", None) in found.columns and ("身份证号", "id_number") in found.columns
    [mapped] = survey_headers([path], column_map({"名字": "姓名", "身体状况": "症状",
                                                   "目前状态": "人员状态"}))
    assert mapped.missing == () and ("身体状况", "symptoms") in mapped.columns


FIELDS_OF = {c.headers[0]: c.field for c in COLUMNS}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chosen=st.sets(st.sampled_from(HEADERS), min_size=1),
       word=st.text("身体状态情况目前名称号码日期地点", min_size=3, max_size=6))
def test_renamed_and_mapped_back_reads_as_the_canonical_roster(
        tmp_path: Path, chosen: set[str], word: str) -> None:
    """Any columns renamed to the office's words and mapped back give the same residents as
    the roster with passgen's own headers."""
    names = {h: f"{word}{i}" for i, h in enumerate(sorted(chosen))}
    rows = [row(), row(姓名="李四", 身份证号=make_id(dt.date(2010, 5, 6)), 症状="干咳",
                       人员状态="密切接触者隔离", 状态日期="2020-03-20")]
    plain = write_roster(tmp_path / "plain.xlsx", rows)
    theirs = write_roster(tmp_path / "theirs.xlsx",
                          [{names.get(h, h): v for h, v in r.items()} for r in rows],
                          renamed(HEADERS, names))
    expected, _ = read([plain])
    got, _ = read([theirs], column_map({names[h]: h for h in chosen}))

    def same(r: Resident | RowError) -> object:
        return dataclasses.replace(r, where=dataclasses.replace(r.where, file="")) \
            if isinstance(r, Resident) else (r.zh, r.where.row)
    assert [same(r) for r in got] == [same(r) for r in expected]


def test_roster_check_and_cards_take_the_office_mapping_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from passgen.cli import cli
    roster = office_roster(tmp_path / "ours.xlsx")
    mapping = tmp_path / "列对应.json"
    mapping.write_text(json.dumps({"名字": "姓名", "身体状况": "症状", "目前状态": "人员状态"},
                                  ensure_ascii=False), encoding="utf-8")
    base = ["roster", "check", str(roster), "--as-of", AS_OF.isoformat(), "--ledger",
            str(tmp_path / "none.sqlite")]
    without = CliRunner().invoke(cli, [*base, "--out", str(tmp_path / "a")])
    assert without.exit_code == 3  # no header: nothing read
    shown = CliRunner().invoke(cli, [*base, "--out", str(tmp_path / "b"), "--columns",
                                     str(mapping)])
    assert shown.exit_code == 0, shown.output
    assert "身体状况 → 症状" in shown.output
    mapping.write_text('{"身体状况": "体温"}', encoding="utf-8")
    bad = CliRunner().invoke(cli, [*base, "--out", str(tmp_path / "c"), "--columns",
                                   str(mapping)])
    assert bad.exit_code != 0 and "未知的列" in bad.output and "Traceback" not in bad.output


@pytest.mark.parametrize("mapped_first", [True, False])
def test_a_column_mapped_to_a_field_another_column_names_refuses_the_sheet(
        tmp_path: Path, mapped_first: bool) -> None:
    """身体状况 mapped to 症状 beside a 症状 column: which of the two is never guessed."""
    headers = [h for h in HEADERS if h != "症状"]
    headers = ["身体状况", *headers, "症状"] if mapped_first else [*headers, "症状", "身体状况"]
    path = write_roster(tmp_path / "r.xlsx", [row(症状="发热") | {"身体状况": "无"}], headers)
    rows, notices = read([path], column_map({"身体状况": "症状"}))
    assert not any(isinstance(r, Resident) for r in rows)
    [refused] = [r for r in rows if isinstance(r, RowError)]
    assert refused.where.column == "症状" and "两列是同一列" in refused.zh
    assert "身体状况" in refused.zh and "不使用" in refused.zh
    rows, _ = read([path], column_map({"身体状况": "不使用"}))
    [person] = rows
    assert isinstance(person, Resident) and person.symptoms  # 发热, from 症状
