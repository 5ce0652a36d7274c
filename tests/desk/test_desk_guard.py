"""The clerk's desk as a local server (issue #38): without its one-time token (or the cookie
it becomes) every page answers 401; the token works once; a foreign Host is refused (DNS
rebinding); another origin's page cannot make it act; only files the desk wrote can be
downloaded; uploads are bounded; no CORS header is ever sent."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from helpers import row, write_roster
from starlette.testclient import TestClient

from passgen.desk.app import Desk, make_app
from passgen.desk.guard import COOKIE, Guard

PORT = 50123


def desk_client(tmp_path: Path) -> tuple[Desk, TestClient]:
    desk = Desk(tmp_path / "desk", Guard(port=PORT))
    desk.folder.mkdir(parents=True, exist_ok=True)
    client = TestClient(make_app(desk), base_url=f"http://127.0.0.1:{PORT}",
                        follow_redirects=False)
    return desk, client


def signed_in(tmp_path: Path) -> tuple[Desk, TestClient]:
    desk, client = desk_client(tmp_path)
    answer = client.get(f"/?token={desk.guard.token}")
    assert answer.status_code == 303 and COOKIE in answer.cookies
    return desk, client


def test_without_the_token_or_its_cookie_every_page_is_refused(tmp_path: Path) -> None:
    desk, client = desk_client(tmp_path)
    for path in ("/", "/roster", "/desk.css", "/files/x/report.xlsx"):
        answer = client.get(path)
        assert answer.status_code == 401 and "passgen desk" in answer.text, path
    assert client.post("/quit", data={"csrf": desk.guard.csrf},
                       headers={"content-length": "0"}).status_code == 401


def test_the_token_works_once_and_becomes_a_session_cookie(tmp_path: Path) -> None:
    desk, client = signed_in(tmp_path)
    cookie = client.cookies.get(COOKIE)
    assert cookie == desk.guard.session
    home = client.get("/")
    assert home.status_code == 200 and "花名册检查" in home.text
    other = TestClient(make_app(desk), base_url=f"http://127.0.0.1:{PORT}",
                       follow_redirects=False)
    again = other.get(f"/?token={desk.guard.token}")  # the address copied elsewhere
    assert again.status_code == 403 and "用过" in again.text
    assert other.get("/").status_code == 401
    wrong = desk_client(tmp_path / "b")[1].get("/?token=guess")
    assert wrong.status_code == 403


def test_a_foreign_host_is_refused_even_with_the_cookie(tmp_path: Path) -> None:
    """A page on evil.example rebinding its name to 127.0.0.1 sends Host: evil.example."""
    desk, client = signed_in(tmp_path)
    for host in ("evil.example", f"evil.example:{PORT}", "127.0.0.1:1", f"10.0.0.5:{PORT}"):
        answer = client.get("/", headers={"host": host})
        assert answer.status_code == 403, host
    assert client.get("/", headers={"host": f"localhost:{PORT}"}).status_code == 200


def test_another_origin_cannot_make_the_desk_act(tmp_path: Path) -> None:
    """A form on another site posting to the desk: no CSRF token (the cookie is SameSite=
    Strict anyway), or a stolen-looking one from another origin: refused, nothing done."""
    desk, client = signed_in(tmp_path)
    stopped: list[bool] = []
    desk.stop = lambda: stopped.append(True)
    assert client.post("/quit", data={}).status_code == 403
    assert client.post("/quit", data={"csrf": "guess"}).status_code == 403
    assert client.post("/quit", data={"csrf": desk.guard.csrf},
                       headers={"origin": "http://evil.example"}).status_code == 403
    assert not stopped
    answer = client.post("/quit", data={"csrf": desk.guard.csrf},
                         headers={"origin": f"http://127.0.0.1:{PORT}"})
    assert answer.status_code == 200 and stopped == [True] and "已关闭" in answer.text


def test_only_files_the_desk_wrote_can_be_downloaded(tmp_path: Path) -> None:
    desk, client = signed_in(tmp_path)
    secret = tmp_path / "office.pem"
    secret.write_text("PRIVATE", encoding="utf-8")
    mine = desk.folder / "report.xlsx"
    mine.write_bytes(b"PK")
    address = desk.offer(mine)
    assert client.get(address).content == b"PK"
    for path in (f"/files/../../{secret}", "/files/x/office.pem", address + "x",
                 address.replace("report.xlsx", "office.pem"), "/files/%2e%2e/office.pem"):
        answer = client.get(path)
        assert answer.status_code == 404 and b"PRIVATE" not in answer.content, path


def test_uploads_are_bounded_and_answers_carry_no_cors_header(tmp_path: Path) -> None:
    desk, client = signed_in(tmp_path)
    desk.guard.max_bytes = 1024
    big = client.post("/roster", data={"csrf": desk.guard.csrf},
                      files={"rosters": ("r.csv", b"x" * 4096, "text/csv")})
    assert big.status_code == 413 and "太大" in big.text
    for answer in (big, client.get("/"), client.get("/roster")):
        assert not any(h.lower().startswith("access-control-") for h in answer.headers)
        assert answer.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def test_roster_check_lists_each_rejected_row_as_the_report_does(tmp_path: Path) -> None:
    desk, client = signed_in(tmp_path)
    roster = write_roster(tmp_path / "花名册.xlsx", [row(), row(身份证号="123"), row(姓名="")])
    answer = client.post("/roster", data={"csrf": desk.guard.csrf, "as_of": "2020-03-25"},
                         files={"rosters": ("花名册.xlsx", roster.read_bytes(),
                                            "application/octet-stream")})
    assert answer.status_code == 200, answer.text
    text = answer.text
    assert "花名册.xlsx" in text and "身份证号应为18位" in text and "姓名为空" in text
    assert "123" not in text  # an ID number is shown masked, as in report.xlsx
    link = re.search(r'href="(/files/[^"]+)"', text)
    assert link and client.get(link.group(1)).content[:2] == b"PK"  # report.xlsx, the desk's
    empty = client.post("/roster", data={"csrf": desk.guard.csrf},
                        files={"rosters": ("", b"", "application/octet-stream")})
    assert "请先选择花名册文件" in empty.text


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}),
                                    timeout=30) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def test_passgen_desk_prints_its_address_first_and_serves_until_told_to_stop(
        tmp_path: Path) -> None:
    """``passgen desk --no-browser``: the address with its one-time token is the first line
    of standard output (the test waits for it, not for a time); without the token every page
    answers 401; 退出 stops it."""
    import http.cookiejar

    proc = subprocess.Popen([sys.executable, "-m", "passgen", "desk", "--no-browser",
                             "--folder", str(tmp_path / "desk")],
                            cwd=tmp_path,  # as a clerk starts it: not in passgen's source tree
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # the lines after the address: code page 936 under the stand-in
                            encoding="utf-8", errors="replace")
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        assert first.startswith("http://127.0.0.1:") and "/?token=" in first, first
        base = first.split("/?token=")[0]
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        assert _get(base + "/")[0] == 401
        with opener.open(first, timeout=30) as answer:  # the token, then its cookie
            home: Any = answer.read().decode("utf-8")
        assert "花名册检查" in home
        csrf = home.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        data = f"csrf={csrf}".encode()
        with opener.open(urllib.request.Request(base + "/quit", data=data), timeout=30) as a:
            assert "已关闭" in a.read().decode("utf-8")
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_folder_the_desk_wrote_opens_in_the_file_manager_and_no_other(tmp_path: Path) -> None:
    desk, client = signed_in(tmp_path)
    opened: list[str] = []
    desk.launch = opened.append
    made = desk.folder / "cards-1" / "out"
    made.mkdir(parents=True)
    button = desk.offer_folder(made)
    assert client.post(button, data={"csrf": "wrong"}).status_code == 403 and not opened
    assert client.post(button, data={"csrf": desk.guard.csrf}).status_code == 204
    assert opened == [str(made)]
    assert client.post("/folders/guess", data={"csrf": desk.guard.csrf}).status_code == 404
    assert client.get(button).status_code == 405 and opened == [str(made)]
    pdf = made / "cards.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    shown = client.get(desk.offer(pdf))
    assert shown.headers["content-disposition"].startswith("inline")  # opens, to print


def test_an_unforeseen_failure_and_a_wrong_address_are_said_in_chinese(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import passgen.jobs.cards

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")
    monkeypatch.setattr(passgen.jobs.cards, "check_rosters", broken)
    desk = Desk(tmp_path / "desk", Guard(port=PORT))
    desk.folder.mkdir(parents=True)
    client = TestClient(make_app(desk), base_url=f"http://127.0.0.1:{PORT}",
                        follow_redirects=False, raise_server_exceptions=False)
    client.get(f"/?token={desk.guard.token}")
    roster = write_roster(tmp_path / "r.xlsx", [row()])
    answer = client.post("/roster", data={"csrf": desk.guard.csrf},
                         files={"rosters": ("r.xlsx", roster.read_bytes(), "x/y")})
    assert answer.status_code == 500 and "出了意外（RuntimeError）" in answer.text
    assert "a bug" not in answer.text and "Traceback" not in answer.text
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "没有这个页面" in missing.text
    assert client.get("/quit").status_code == 405 and "没有这个页面" in client.get("/quit").text


def test_two_rosters_of_one_name_are_both_checked(tmp_path: Path) -> None:
    desk, client = signed_in(tmp_path)
    first = write_roster(tmp_path / "a.xlsx", [row(姓名="张三")])
    second = write_roster(tmp_path / "b.xlsx", [row(姓名="李四", 身份证号="511302195006151230")])
    answer = client.post("/roster", data={"csrf": desk.guard.csrf, "as_of": "2020-03-25"},
                         files=[("rosters", ("花名册.xlsx", first.read_bytes(), "x/y")),
                                ("rosters", ("花名册.xlsx", second.read_bytes(), "x/y"))])
    totals = re.search(r'id="totals">([^<]+)<', answer.text)
    assert totals and "读取 2 行：通过 1" in totals.group(1), answer.text  # neither was lost
    assert "花名册（2）.xlsx" in answer.text  # the second, named apart in the table
