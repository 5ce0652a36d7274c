"""The desk's 补办挂失 screen (issue #38): find by name or ID (masked in the list), revoke
and re-issue in one step, the new card's PDF at once; the next published list carries the
lost card."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from helpers import make_id, row, write_roster
from pdfcheck import decode, pages
from test_desk_guard import signed_in
from test_desk_office import PASS, current_key

from passgen.dates import today
from passgen.jobs.cards import PrintOptions, run_cards
from passgen.passes import keys
from passgen.printing.layout import load_template
from passgen.rules import load_rules

WANG = make_id(dt.date(1948, 2, 3), 77)


def office(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    key = current_key()
    keys.save(key, tmp_path / "office.pem", PASS.encode())
    keys.write_trust([key.entry], tmp_path / "trust.json")
    roster = write_roster(tmp_path / "花名册.xlsx", [row(), row(姓名="王建国", 身份证号=WANG)])
    run_cards([roster], key, tmp_path / "out", load_rules(), PrintOptions(load_template()),
              today(), ledger=tmp_path / "ledger.sqlite")
    return roster, {"key": str(tmp_path / "office.pem"), "trust": str(tmp_path / "trust.json"),
                    "ledger": str(tmp_path / "ledger.sqlite"), "passphrase": PASS}


def test_a_lost_card_is_found_revoked_and_reprinted_then_published(tmp_path: Path) -> None:
    roster, setup = office(tmp_path)
    desk, client = signed_in(tmp_path)
    assert "请先在" in client.get("/lost").text
    client.post("/setup", data={"csrf": desk.guard.csrf, **setup})
    files = {"rosters": ("花名册.xlsx", roster.read_bytes(), "application/octet-stream")}
    nobody = client.post("/lost", data={"csrf": desk.guard.csrf, "query": "李四"}, files=files)
    assert 'id="none-found"' in nobody.text
    found = client.post("/lost", data={"csrf": desk.guard.csrf, "query": WANG[-4:]},
                        files=files)
    assert "王建国" in found.text and WANG not in found.text  # masked in the list
    assert WANG[:6] + "********" + WANG[-4:] in found.text and "有效" in found.text
    old = re.search(r"([0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}) 绿码", found.text)
    search = re.search(r'name="search" value="([^"]+)"', found.text)
    assert old and search
    unpicked = client.post("/lost/reissue", data={"csrf": desk.guard.csrf,
                                                  "search": search.group(1), "reason": "卡片遗失"})
    assert "请在名单里选一位" in unpicked.text
    done = client.post("/lost/reissue", data={"csrf": desk.guard.csrf, "search": search.group(1),
                                              "pick": "0", "reason": "卡片遗失", "other": ""})
    assert 'id="reissued"' in done.text and old.group(1) in done.text, done.text
    link = re.search(r'<a class="button" href="(/files/[^"]+)">新卡', done.text)
    assert link
    pdf = tmp_path / "new.pdf"
    pdf.write_bytes(client.get(link.group(1)).content)
    [text] = [t for image in pages(pdf) for t in decode(image)]
    assert text.startswith("PG1:")
    published = client.post("/publish", data={"csrf": desk.guard.csrf})
    assert "吊销名单：1 张卡" in published.text, published.text
    revoked = json.loads(next(desk.folder.rglob("revoked.json")).read_text(encoding="utf-8"))
    assert old.group(1).replace("-", "") in json.dumps(revoked).upper()


def test_a_reissue_without_a_search_or_the_key_says_what_to_do(tmp_path: Path) -> None:
    roster, setup = office(tmp_path)
    desk, client = signed_in(tmp_path)
    form = {"csrf": desk.guard.csrf, "query": "王建国"}
    files = {"rosters": ("花名册.xlsx", roster.read_bytes(), "application/octet-stream")}
    assert "请先在首次设置" in client.post("/lost", data=form, files=files).text
    client.post("/setup", data={"csrf": desk.guard.csrf, **setup})
    assert "请选择花名册文件" in client.post("/lost", data=form).text
    stale = client.post("/lost/reissue", data={"csrf": desk.guard.csrf, "search": "nope",
                                               "pick": "0"})
    assert "请重新查找" in stale.text and "Traceback" not in stale.text
