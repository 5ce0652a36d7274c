"""The desk's office screens (issue #38): 首次设置 keeps the passphrase in memory only, and
吊销名单与核验页面 publishes the list and the phone page with the fingerprint the command
line would print."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from helpers import fixed_key, row, write_roster
from test_desk_guard import signed_in

from passgen.check.page import fingerprint_of_file
from passgen.dates import today
from passgen.passes import keys

PASS = "correct horse battery staple"


def current_key() -> keys.SigningKey:
    """A key inside its window today: the desk publishes as of now."""
    return fixed_key(not_before=today() - dt.timedelta(days=30),
                     not_after=today() + dt.timedelta(days=300))


def office_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A key (with its passphrase), its trust list, and a ledger with one card of it."""
    from passgen.jobs.cards import PrintOptions, run_cards
    from passgen.printing.layout import load_template
    from passgen.rules import load_rules

    key = current_key()
    keys.save(key, tmp_path / "office.pem", PASS.encode())
    keys.write_trust([key.entry], tmp_path / "trust.json")
    ledger = tmp_path / "ledger.sqlite"
    run_cards([write_roster(tmp_path / "r.xlsx", [row()])], key, tmp_path / "out",
              load_rules(), PrintOptions(load_template()), today(), ledger=ledger)
    return tmp_path / "office.pem", tmp_path / "trust.json", ledger


def test_set_up_keeps_the_passphrase_in_memory_only(tmp_path: Path) -> None:
    key, trust, ledger = office_files(tmp_path)
    desk, client = signed_in(tmp_path)
    form = {"csrf": desk.guard.csrf, "key": str(key), "trust": str(trust),
            "ledger": str(ledger)}
    wrong = client.post("/setup", data={**form, "passphrase": "not the passphrase"})
    assert wrong.status_code == 200 and "口令" in wrong.text and desk.office.passphrase is None
    done = client.post("/setup", data={**form, "passphrase": PASS})
    assert "已设置" in done.text and current_key().entry.kid.hex() in done.text
    assert PASS not in done.text and desk.office.ready()
    for path in desk.folder.rglob("*"):  # never written
        if path.is_file():
            assert PASS.encode() not in path.read_bytes(), path
    assert str(key) in (desk.folder / "settings.json").read_text(encoding="utf-8")


def test_publish_writes_the_list_and_the_page_with_its_fingerprint(tmp_path: Path) -> None:
    key, trust, ledger = office_files(tmp_path)
    desk, client = signed_in(tmp_path)
    assert "请先在" in client.get("/publish").text  # not set up yet
    client.post("/setup", data={"csrf": desk.guard.csrf, "key": str(key), "trust": str(trust),
                                "ledger": str(ledger), "passphrase": PASS})
    answer = client.post("/publish", data={"csrf": desk.guard.csrf})
    assert answer.status_code == 200, answer.text
    shown = re.search(r"页面指纹 <strong>(\S{14})</strong>", answer.text)
    links = dict(re.findall(r'<a href="(/files/[^"]+)">([^<]+)</a>', answer.text))
    assert shown and set(links.values()) >= {"revoked.json", "核验.html"}
    page = next(desk.folder.rglob("核验.html"))
    assert shown.group(1) == fingerprint_of_file(page)  # the page's own, as the CLI prints
    html_link = next(link for link, name in links.items() if name == "核验.html")
    assert client.get(html_link).content == page.read_bytes()


def test_publish_with_a_key_past_its_window_says_why_in_plain_words(tmp_path: Path) -> None:
    old = fixed_key()  # 2020's key
    keys.save(old, tmp_path / "old.pem", PASS.encode())
    keys.write_trust([old.entry], tmp_path / "trust.json")
    desk, client = signed_in(tmp_path)
    client.post("/setup", data={"csrf": desk.guard.csrf, "key": str(tmp_path / "old.pem"),
                                "trust": str(tmp_path / "trust.json"),
                                "ledger": str(tmp_path / "l.sqlite"), "passphrase": PASS})
    answer = client.post("/publish", data={"csrf": desk.guard.csrf})
    assert answer.status_code == 200 and "这把密钥今天不能用" in answer.text
    assert "--at" not in answer.text  # the desk's words, not the command line's options
    assert "Traceback" not in answer.text and not list(desk.folder.rglob("核验.html"))


def test_set_up_can_make_the_offices_key_and_its_trust_list(tmp_path: Path) -> None:
    desk, client = signed_in(tmp_path)
    assert 'id="generate"' in client.get("/setup").text  # offered while there is no key
    form = {"csrf": desk.guard.csrf, "issuer": "NC-XIMEN-01", "new_passphrase": PASS}
    differ = client.post("/setup/generate", data={**form, "confirm": PASS + "x"})
    assert "两次输入的口令不一样" in differ.text and not desk.office.ready()
    short = client.post("/setup/generate", data={**form, "new_passphrase": "short",
                                                  "confirm": "short"})
    assert "口令太短" in short.text and not desk.office.ready()
    made = client.post("/setup/generate", data={**form, "confirm": PASS})
    assert "已生成 NC-XIMEN-01 的新密钥" in made.text and desk.office.ready(), made.text
    assert PASS not in made.text
    key = keys.load_office_key(desk.office.key, lambda: PASS.encode())
    trust = keys.read_trust(desk.office.trust)
    assert trust.find(key.entry.kid) is not None and key.entry.issuer == "NC-XIMEN-01"
    for path in tmp_path.rglob("*"):  # the passphrase is never written in clear
        if path.is_file():
            assert PASS.encode() not in path.read_bytes(), path
    again = client.post("/setup/generate", data={**form, "confirm": PASS})
    assert "已存在" in again.text or "exists" in again.text  # a key is never overwritten
    assert 'id="generate"' not in client.get("/setup").text


def test_a_new_office_publishes_its_first_page_once_it_says_it_is_new(tmp_path: Path) -> None:
    desk, client = signed_in(tmp_path)
    client.post("/setup/generate", data={"csrf": desk.guard.csrf, "issuer": "NC-NEW-01",
                                         "new_passphrase": PASS, "confirm": PASS,
                                         "ledger": str(tmp_path / "new.sqlite")})
    asked = client.post("/publish", data={"csrf": desk.guard.csrf})
    assert "这是新办公室" in asked.text and 'id="new-office"' in asked.text
    assert "--allow-new-ledger" not in asked.text and 'id="fingerprint"' not in asked.text
    done = client.post("/publish", data={"csrf": desk.guard.csrf, "new_office": "yes"})
    assert 'id="fingerprint"' in done.text and "吊销名单：0 张卡" in done.text, done.text
