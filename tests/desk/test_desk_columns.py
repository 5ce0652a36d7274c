"""The desk's 列对应 step (issue #38): a roster in the office's own words is mapped once on
the check's page, read through the mapping at once, remembered for the office (the file
``--columns`` reads) and named in the report; a bad choice is refused in plain words."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from helpers import HEADERS, make_id, row, write_roster
from test_desk_guard import signed_in

from passgen.desk.app import Desk

THEIRS = {"姓名": "名字", "症状": "身体状况"}


def office_roster(path: Path) -> Path:
    rows = [{THEIRS.get(h, h): v for h, v in r.items()} | {"楼栋": "3栋"}
            for r in (row(), row(姓名="王五", 身份证号=make_id(dt.date(1951, 2, 3))))]
    return write_roster(path, rows, [*(THEIRS.get(h, h) for h in HEADERS), "楼栋"])


def test_a_header_in_the_offices_words_is_mapped_once_and_remembered(tmp_path: Path) -> None:
    desk, client = signed_in(tmp_path)
    roster = office_roster(tmp_path / "ours.xlsx")
    first = client.post("/roster", data={"csrf": desk.guard.csrf, "as_of": "2020-03-25"},
                        files={"rosters": ("ours.xlsx", roster.read_bytes(),
                                           "application/octet-stream")})
    assert 'id="mapping"' in first.text and "还缺：姓名、症状" in first.text
    offered = dict(re.findall(r'name="(header-\d+)" value="([^"]+)"', first.text))
    assert sorted(offered.values()) == ["名字", "楼栋", "身体状况"]
    offered_columns = re.findall(r"<option(?: selected)?>([^<]+)</option>", first.text)
    assert "症状" in offered_columns and "身份证号" not in offered_columns  # already named
    check = re.search(r'name="check" value="([^"]+)"', first.text)
    assert check
    choice = {"名字": "姓名", "身体状况": "症状", "楼栋": "不使用"}
    form = {"csrf": desk.guard.csrf, "check": check.group(1)}
    for name, text in offered.items():
        form[name] = text
        form[name.replace("header", "map")] = choice[text]
    again = client.post("/columns", data=form)
    assert 'id="mapping"' not in again.text, again.text
    assert "名字 → 姓名" in again.text and "身体状况 → 症状" in again.text
    totals = re.search(r'id="totals">([^<]+)<', again.text)
    assert totals and "2" in totals.group(1)
    saved = json.loads((desk.folder / "列对应.json").read_text(encoding="utf-8"))
    assert saved == choice
    assert Desk(desk.folder).columns == desk.columns  # remembered for the next session
    listed = client.get("/columns")
    assert "身体状况" in listed.text and "<option selected>症状</option>" in listed.text


def test_the_mapping_page_can_forget_and_refuses_a_column_twice(tmp_path: Path) -> None:
    (tmp_path / "desk").mkdir()
    (tmp_path / "desk" / "列对应.json").write_text('{"名字": "姓名", "体温": "症状"}',
                                                 encoding="utf-8")
    desk, client = signed_in(tmp_path)
    assert len(desk.columns) == 2
    forgot = client.post("/columns", data={"csrf": desk.guard.csrf, "header-0": "体温",
                                           "map-0": "（忘掉这一条）"})
    assert "已保存 1 条" in forgot.text and [t for t, _ in desk.columns] == ["名字"]
    bad = client.post("/columns", data={"csrf": desk.guard.csrf, "header-0": " ",
                                        "map-0": "症状"})
    assert bad.status_code == 200 and "空的列名" in bad.text and len(desk.columns) == 1
    assert "Traceback" not in bad.text
