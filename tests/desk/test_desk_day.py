"""A clerk's day at the desk, in Chromium, without a terminal (issue #38): the desk started as
a clerk's shortcut starts it, then set-up, a roster with real mistakes (an ID typed as a
number, a title row merged over the headers, blank rows, a 备注 column), the fixed roster,
the cards, the list and the phone page, posters, the history, and 退出.

Each screen is saved as a picture in ``PASSGEN_DESK_SHOTS`` (docs/render_desk_shots.py sets
it to docs/desk-shots for 指南), else in the test's own folder."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from browser import REQUIRED, chromium, missing
from helpers import HEADERS as ROSTER_HEADERS
from helpers import make_id, row
from openpyxl import Workbook
from test_desk_office import PASS

HEADERS = [*ROSTER_HEADERS, "备注"]
OURS = {"症状": "身体状况"}  # the office's own word for a column


def needs_browser() -> None:
    reason = missing()
    if reason is not None:
        if REQUIRED:
            pytest.fail(f"browser tests are required here but cannot run: {reason}")
        pytest.skip(f"browser tests skipped: {reason}")


def clerk_roster(path: Path, fixed: bool) -> Path:
    """A roster as clerks make them: a merged title row over the headers, the office's own
    header 身体状况 for 症状 (mapped once at the desk), an ID typed as a number (Excel shows
    5.11302E+17 and the last digits are lost), blank rows, a 备注 column passgen does not
    use.  ``fixed``: the ID typed again as text."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "花名册"
    ws.append(["桂花社区老年人出行卡花名册"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws.append([OURS.get(h, h) for h in HEADERS])
    people = [row(姓名="张三", 身份证号=make_id(dt.date(1950, 6, 15))),
              row(姓名="李四", 身份证号=make_id(dt.date(1948, 2, 3), seq=457))]
    for n, person in enumerate(people):
        values = [person.get(h, "") for h in HEADERS[:-1]] + ["腿脚不便" if n else ""]
        if n == 1 and not fixed:
            values[1] = int(str(values[1])[:17]) * 10  # a number: the 18th digit lost
        ws.append(values)
        ws.append([])  # a blank row between people
    book.save(path)
    return path


def start_desk(folder: Path) -> tuple[subprocess.Popen[str], str]:
    """``passgen desk --no-browser`` as the kit's shortcut starts it; its address."""
    proc = subprocess.Popen([sys.executable, "-m", "passgen", "desk", "--no-browser",
                             "--folder", str(folder)],
                            cwd=folder.parent,  # as a clerk starts it: not in the source tree
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8", errors="replace")  # later lines: code page 936
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def shot(driver: Any, folder: Path, name: str) -> None:
    driver.execute_script("window.scrollTo(0, 0)")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    metrics = {"width": 1100, "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",  # the whole screen, once
                           {**metrics, "height": min(max(height + 20, 500), 2400)})
    driver.save_screenshot(str(folder / f"{name}.png"))
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "height": 900})


def submit(driver: Any, button: str = "main form button[type=submit]") -> None:
    """Press the screen's button and wait for the page it leads to (an event, not a time)."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("window.passgenOldPage = true")  # gone once the next page is up
    driver.find_element("css selector", button).click()
    WebDriverWait(driver, 120, ignored_exceptions=(Exception,)).until(
        lambda d: d.execute_script("return !window.passgenOldPage"
                                   " && document.readyState === 'complete'"))


def test_a_clerk_s_day_at_the_desk(tmp_path: Path) -> None:
    needs_browser()
    from selenium.webdriver.support.ui import Select, WebDriverWait

    shots = Path(os.environ.get("PASSGEN_DESK_SHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    proc, address = start_desk(tmp_path / "desk")
    base = address.split("/?")[0]
    try:
        with chromium(size=(1100, 900)) as driver:
            driver.get(address)
            assert "花名册检查" in driver.page_source and "退出" in driver.page_source
            shot(driver, shots, "01-home")

            driver.get(base + "/setup")  # first set-up: the office's key made on the page
            for name, value in (("issuer", "NC-GUIHUA-01"), ("new_passphrase", PASS),
                                ("confirm", PASS), ("ledger", tmp_path / "ledger.sqlite")):
                field = driver.find_element("css selector", f"#generate [name={name}]")
                field.clear()
                field.send_keys(str(value))
            shot(driver, shots, "02-setup")
            submit(driver, "#generate button[type=submit]")
            assert "已生成 NC-GUIHUA-01 的新密钥" in driver.find_element("id", "done").text
            shot(driver, shots, "02b-setup-done")

            driver.get(base + "/roster")  # the office's words: mapped once
            raw = clerk_roster(tmp_path / "花名册.xlsx", fixed=False)
            driver.find_element("name", "rosters").send_keys(str(raw))
            submit(driver)
            assert "还缺：症状" in driver.find_element("id", "mapping").text
            Select(driver.find_element("css selector", "select[aria-label='身体状况']")
                   ).select_by_visible_text("症状")
            shot(driver, shots, "03-roster-mapping")
            submit(driver, "#save-mapping")
            table = driver.find_element("id", "rejected").text
            assert "身份证号被Excel存成了数字" in table and "身体状况 → 症状" in driver.page_source
            shot(driver, shots, "04-roster-mistakes")
            fixed = clerk_roster(tmp_path / "花名册（改好）.xlsx", fixed=True)
            driver.find_element("name", "rosters").send_keys(str(fixed))
            submit(driver)
            assert "未通过 0" in driver.find_element("id", "totals").text
            shot(driver, shots, "05-roster-fixed")
            driver.get(base + "/columns")
            assert "身体状况" in driver.find_element("id", "mapping-list").text
            shot(driver, shots, "06-columns")

            driver.get(base + "/cards")
            driver.find_element("name", "rosters").send_keys(str(fixed))
            submit(driver)
            WebDriverWait(driver, 120, poll_frequency=0.2).until(
                lambda d: d.find_elements("id", "pdfs") or d.find_elements("id", "failed"))
            assert driver.find_elements("id", "pdfs"), driver.page_source[-800:]
            assert re.search(r"cards-.*\.pdf", driver.find_element("id", "pdfs").text)
            shot(driver, shots, "07-cards")

            driver.get(base + "/lost")  # 李四 lost his card: from the batch's own roster
            driver.find_element("name", "query").send_keys("李四")
            submit(driver, "#find")
            found = driver.find_element("id", "found").text
            assert "李四" in found and "有效" in found and "********" in found
            shot(driver, shots, "08-lost-find")
            submit(driver, "#reissue")
            assert "已挂失" in driver.find_element("id", "reissued").text
            shot(driver, shots, "09-lost-done")
            submit(driver, "#publish-now")
            shown = re.search(r"页面指纹 (\S{4}-\S{4}-\S{4})",
                              driver.find_element("id", "fingerprint").text)
            assert shown and "吊销名单：1 张卡" in driver.page_source
            shot(driver, shots, "10-publish")

            driver.get(base + "/posters")
            driver.find_element("name", "venue").send_keys("骏达市场")
            driver.find_element("name", "community").send_keys("西门社区")
            driver.find_element("css selector", "select[name=kind] option[value=checkpoint]").click()
            submit(driver)
            WebDriverWait(driver, 120, poll_frequency=0.2).until(
                lambda d: d.find_elements("id", "preview") or d.find_elements("id", "failed"))
            assert driver.find_element("id", "preview").get_attribute("naturalWidth") != "0"
            shot(driver, shots, "11-posters")

            driver.get(base + "/history")
            assert len(driver.find_elements("css selector", "#batches tbody tr")) == 2
            shot(driver, shots, "12-history")

            submit(driver, "header form button")  # 退出
            assert "已关闭" in driver.page_source
            shot(driver, shots, "15-quit")
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    at_the_gate(tmp_path / "desk", shown.group(1), shots)


def at_the_gate(desk: Path, fingerprint: str, shots: Path) -> None:
    """The published phone page at a checkpoint, its camera shown 李四's lost card, then his
    new one: the lost card is refused as revoked, the new one passes, and the page shows the
    fingerprint the desk gave."""
    import pypdfium2 as pdfium
    import zxingcpp
    from browser import card_crop, frame_of, wait_for, write_y4m_frames
    from PIL import Image

    from passgen.check.verify import verify
    from passgen.dates import SHANGHAI
    from passgen.passes import keys

    trust = keys.read_trust(next(desk.parent.glob("keys/trust.json")))

    def card_of(pdf: Path) -> Image.Image:
        page = pdfium.PdfDocument(pdf)[0].render(scale=200 / 72).to_pil().convert("RGB")
        for code in zxingcpp.read_barcodes(page):
            claims = verify(code.text, trust, dt.datetime.now(SHANGHAI)).claims
            if claims is not None and claims.name == "李四":
                return card_crop(page, code)
        raise AssertionError(f"no card of 李四 in {pdf}")

    lost = card_of(next(desk.glob("cards-*/out/cards-*.pdf")))
    new = card_of(next(desk.glob("lost-*/new-*/cards-*.pdf")))
    blank = Image.new("RGB", frame_of(lost).size, (110, 105, 100))
    camera = write_y4m_frames([(frame_of(lost), 20), (blank, 30), (frame_of(new), 20),
                               (blank, 30)], desk / "camera.y4m")
    page = next(desk.glob("publish-*/核验.html"))
    verdict = "document.getElementById('verdict')"
    with chromium(camera) as phone:
        phone.get(page.as_uri())
        wait_for(phone, f"{verdict}.dataset.status === 'revoked' && !{verdict}.hidden", 60)
        phone.save_screenshot(str(shots / "13-gate-lost-card.png"))
        wait_for(phone, f"{verdict}.dataset.status === 'valid' && !{verdict}.hidden", 60)
        phone.save_screenshot(str(shots / "14-gate-new-card.png"))
        wait_for(phone, f"document.getElementById('lists').innerText.includes('{fingerprint}')")


def test_another_site_open_in_the_same_browser_cannot_stop_the_desk(tmp_path: Path) -> None:
    """A page of another origin (another local server here) posts a form to the desk's 退出
    and loads one of its pages in a frame, in the browser where the clerk's desk session
    is open: the desk keeps running, and the frame shows nothing of it."""
    import functools
    import http.server
    import threading

    needs_browser()
    proc, address = start_desk(tmp_path / "desk")
    base = address.split("/?")[0]
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "index.html").write_text(
        f'<form id="f" method="post" action="{base}/quit"><input name="csrf" value="x"></form>'
        f'<iframe id="i" src="{base}/"></iframe>'
        '<script>document.getElementById("f").submit()</script>', encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(evil))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with chromium(size=(1000, 700)) as driver:
            driver.get(address)  # the clerk's session
            assert "花名册检查" in driver.page_source
            driver.get(f"http://localhost:{server.server_address[1]}/index.html")
            from selenium.webdriver.support.ui import WebDriverWait

            refused = WebDriverWait(driver, 30, ignored_exceptions=(Exception,)).until(
                lambda d: d.current_url.startswith(base) and d.execute_script(
                    "return document.readyState === 'complete' && document.body.innerText"))
            driver.get(base + "/")
            still = driver.page_source
        assert "拒绝" in refused or "passgen desk" in refused  # 401 or 403, nothing done
        assert proc.poll() is None and "花名册检查" in still  # the desk is still there
    finally:
        server.shutdown()
        proc.terminate()
        proc.wait(timeout=30)
