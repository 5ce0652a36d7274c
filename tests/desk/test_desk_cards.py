"""The desk's 印卡 screen (issue #38): a roster in, the batch run as ``passgen cards`` runs it
with a progress bar, the PDFs (whose cards verify), the report, the printing steps and the
printer test sheet."""

from __future__ import annotations

import re
import time
from pathlib import Path

from helpers import row, write_roster
from test_desk_guard import signed_in
from test_desk_office import PASS, current_key, office_files

from passgen.check import scan
from passgen.check.verify import Verdict, verify
from passgen.passes import keys


def until_done(client: object, address: str) -> str:
    """The job's page once it is no longer running (the page says so: no refresh)."""
    end = time.monotonic() + 120
    while time.monotonic() < end:
        text = client.get(address).text  # type: ignore[attr-defined]
        if 'http-equiv="refresh"' not in text:
            return text
        time.sleep(0.2)
    raise AssertionError("the batch never finished")


def test_cards_are_made_shown_and_verify(tmp_path: Path) -> None:
    key, trust, ledger = office_files(tmp_path)
    desk, client = signed_in(tmp_path)
    assert "请先在" in client.get("/cards").text
    client.post("/setup", data={"csrf": desk.guard.csrf, "key": str(key), "trust": str(trust),
                                "ledger": str(ledger), "passphrase": PASS})
    roster = write_roster(tmp_path / "花名册.xlsx", [row(姓名="李四"), row(身份证号="123")])
    started = client.post("/cards", data={"csrf": desk.guard.csrf},
                          files={"rosters": ("花名册.xlsx", roster.read_bytes(), "x/y")})
    assert started.status_code == 303 and started.headers["location"].startswith("/cards/")
    done = until_done(client, started.headers["location"])
    assert 'id="totals"' in done and "实际大小" in done and "长边翻转" in done, done
    pdfs = re.findall(r'<li><a href="(/files/[^"]+)">(cards-[^<]+\.pdf)</a>', done)
    assert pdfs
    pdf = tmp_path / pdfs[0][1]
    pdf.write_bytes(client.get(pdfs[0][0]).content)
    texts = [f.text for f in scan.from_path(pdf)]
    trusted = keys.TrustList((current_key().entry,))
    import datetime as dt

    from passgen.dates import SHANGHAI, today
    at = dt.datetime.combine(today(), dt.time(12), SHANGHAI)
    assert texts and all(verify(t, trusted, at).status == Verdict.VALID for t in texts)
    assert "有 1 行没有印卡" in done


def test_a_batch_that_cannot_run_says_why_on_the_page(tmp_path: Path) -> None:
    key, trust, ledger = office_files(tmp_path)
    desk, client = signed_in(tmp_path)
    client.post("/setup", data={"csrf": desk.guard.csrf, "key": str(key), "trust": str(trust),
                                "ledger": str(ledger), "passphrase": PASS})
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"not a workbook")
    started = client.post("/cards", data={"csrf": desk.guard.csrf},
                          files={"rosters": ("坏.xlsx", broken.read_bytes(), "x/y")})
    done = until_done(client, started.headers["location"])
    assert 'id="failed"' in done and "坏.xlsx" in done and "Traceback" not in done


def test_the_printer_test_sheet_is_a4_at_actual_size(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    desk, client = signed_in(tmp_path)
    answer = client.get("/cards/test-sheet")
    assert answer.status_code == 303
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(client.get(answer.headers["location"]).content)
    page = pdfium.PdfDocument(str(pdf))[0]
    width, height = page.get_size()
    assert round(width / 72 * 25.4) == 210 and round(height / 72 * 25.4) == 297
    assert b"/PrintScaling /None" in pdf.read_bytes()


def test_history_lists_the_ledger_s_batches_with_the_desk_s_files(tmp_path: Path) -> None:
    key, trust, ledger = office_files(tmp_path)  # one batch made at the command line
    desk, client = signed_in(tmp_path)
    assert "还没有制卡批次" in client.get("/history").text
    client.post("/setup", data={"csrf": desk.guard.csrf, "key": str(key), "trust": str(trust),
                                "ledger": str(ledger), "passphrase": PASS})
    roster = write_roster(tmp_path / "花名册.xlsx", [row(姓名="王五")])
    started = client.post("/cards", data={"csrf": desk.guard.csrf},
                          files={"rosters": ("花名册.xlsx", roster.read_bytes(), "x/y")})
    until_done(client, started.headers["location"])
    text = client.get("/history").text
    assert text.count("<tr><td>") == 2 and "完成" in text
    assert "report.xlsx" in text and ".pdf" in text  # the desk's own batch
    assert str(tmp_path / "out") in text  # the other one: its folder, not its files


def test_posters_for_one_venue_with_a_preview_and_a_refused_link(tmp_path: Path) -> None:
    desk, client = signed_in(tmp_path)
    started = client.post("/posters", data={"csrf": desk.guard.csrf, "venue": "骏达市场",
                                            "community": "西门社区", "kind": "checkpoint",
                                            "size": "A4"})
    assert started.status_code == 303 and started.headers["location"].startswith("/posters/")
    made = until_done(client, started.headers["location"])
    assert 'id="totals"' in made, made
    preview = re.search(r'id="preview" src="([^"]+)"', made)
    assert preview and client.get(preview.group(1)).content[:4] == b"\x89PNG"
    assert re.search(r'href="(/files/[^"]+\.pdf)"', made)
    fake = client.post("/posters", data={"csrf": desk.guard.csrf, "venue": "骏达市场",
                                         "community": "西门社区", "kind": "campaign",
                                         "url": "javascript:alert(1)"})
    failed = until_done(client, fake.headers["location"])
    assert 'id="failed"' in failed and "https://" in failed and 'id="totals"' not in failed
    nothing = client.post("/posters", data={"csrf": desk.guard.csrf})
    assert "请选择点位表" in nothing.text
    assert client.get("/posters/not-a-job").headers["location"] == "/posters"


def test_a_venue_list_is_made_in_the_background_with_its_count(tmp_path: Path) -> None:
    from openpyxl import Workbook

    desk, client = signed_in(tmp_path)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["名称", "社区", "类型"])
    for i in range(12):
        sheet.append([f"第{i + 1}号楼门岗", "西门社区", "检查点"])
    book.save(tmp_path / "点位.xlsx")
    started = client.post("/posters", data={"csrf": desk.guard.csrf, "kind": "checkpoint"},
                          files={"venues": ("点位.xlsx", (tmp_path / "点位.xlsx").read_bytes(),
                                            "x/y")})
    made = until_done(client, started.headers["location"])
    assert "12" in re.search(r'id="totals">([^<]+)<', made).group(1)  # type: ignore[union-attr]
