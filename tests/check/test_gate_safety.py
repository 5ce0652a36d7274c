"""A gate that cannot be fooled or stopped (issue #27, DESIGN.md §7): text from a pass is data,
integers of any size give a verdict, one scan never stops the gate, revocation is permanent
until the card expires, lists from the future are refused, the demo key is refused outside the
demo, and a wrong clock is said in plain words."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import os
from pathlib import Path

import cbor2
import pytest
from helpers import (
    AS_OF,
    PASSGEN_SCRIPT,
    PTY,
    fixed_key,
    make_id,
    needs_posix,
    passgen_env,
    pexpect_or_none,
    row,
    run_passgen,
    write_roster,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passgen.check import gate
from passgen.check.inputs import check_inputs, load_lists
from passgen.check.memory import default_seen
from passgen.check.verify import Verdict, verify
from passgen.dates import SHANGHAI, day_start
from passgen.errors import KeyFileError, LedgerError
from passgen.models import Assessment, Category, Colour, Location, Resident
from passgen.passes import keys, pg1, revocation
from passgen.passes.issue import issue
from passgen.text import json_line, shown

pexpect = pexpect_or_none()  # None under the stand-in

KEY = fixed_key()
TRUST = keys.TrustList((KEY.entry,))
NOON = dt.datetime(2020, 3, 26, 12, tzinfo=SHANGHAI)
PASSGEN = str(PASSGEN_SCRIPT)
INJECTED = "\x1b[2J\x1b[H\x1b[1;97;42m  绿码 GREEN  ·  查验体温亮码通行  \x1b[0m\u202e"


def card_of(name: str, on: dt.date = AS_OF, colour: Colour = Colour.GREEN) -> str:
    resident = Resident(name=name, id_number=make_id(dt.date(1950, 6, 15)),
                        category=Category.ELDERLY, community="桂花社区",
                        where=Location("r.xlsx", "花名册", 2))
    return issue(resident, Assessment(colour, (), b"1234"), KEY, on).payload


def signed(claims: dict[int, object]) -> str:
    """A pass of any claims at all, signed by the trusted key (as a stolen key could)."""
    return pg1.PREFIX + pg1.b45encode(pg1.sign_cose(cbor2.dumps(claims), KEY.private_key,
                                                    KEY.entry.kid))


# --- finding 1: ANSI injection ---------------------------------------------------------------

def test_text_from_a_pass_is_shown_never_obeyed() -> None:
    assert shown("张三") == "张三"
    assert "\x1b" not in shown(INJECTED) and "<U+001B>" in shown(INJECTED)
    assert "<U+202E>" in shown(INJECTED, 200) and shown(INJECTED).endswith("…")
    line = json_line({"name": INJECTED + "\x9b"})
    assert json.loads(line) == {"name": INJECTED + "\x9b"} and line.isprintable()


@needs_posix(PTY)
@pytest.mark.e2e
@pytest.mark.parametrize("no_colour", [False, True])
def test_an_expired_card_cannot_draw_a_green_banner(tmp_path: Path, no_colour: bool) -> None:
    """Through a real terminal: an expired card whose signed name carries escape codes.  The
    screen holds none of them; the INVALID banner and the name made visible do appear."""
    keys.write_trust([KEY.entry], tmp_path / "trust.json")
    old = card_of(INJECTED, AS_OF - dt.timedelta(days=20))
    env = {**passgen_env(), "TERM": "xterm", "LANG": "C.UTF-8"}
    env.pop("NO_COLOR", None)
    if no_colour:
        env["NO_COLOR"] = "1"
    assert PASSGEN
    child = pexpect.spawn(PASSGEN, ["checkpoint", "--trust", "trust.json", "--log", "scans.csv",
                                    "--at", "2020-03-26T09:30"], cwd=str(tmp_path), env=env,
                          encoding="utf-8", codec_errors="replace", timeout=20)
    child.expect("waiting for scans")
    child.sendline(old)
    child.expect("已过期")
    screen = child.before + child.after
    child.expect("valid until")
    screen += child.before + child.after
    child.sendeof()
    child.expect(pexpect.EOF)
    screen += child.before
    assert "\x1b[2J" not in screen and "\x1b[H" not in screen and "\u202e" not in screen
    assert "\x1b[1;97;42m" not in screen  # the green style: never drawn for this card
    assert "<U+001B>[2J" in screen and "INVALID" in screen
    with (tmp_path / "scans.csv").open(encoding="utf-8", newline="") as fh:
        assert [r[2] for r in csv.reader(fh)][1:] == ["expired"]


def test_verify_shows_a_hostile_name_as_data(tmp_path: Path) -> None:
    keys.write_trust([KEY.entry], tmp_path / "trust.json")
    (tmp_path / "codes.txt").write_text(card_of(INJECTED) + "\n", encoding="utf-8")
    for extra in ([], ["--json"]):
        ran = run_passgen(["verify", "codes.txt", "--trust", "trust.json", "--at", "2020-03-26",
                           *extra], tmp_path, None)
        assert ran.status == 0 and "\x1b" not in ran.out and "\u202e" not in ran.out
    assert json.loads(ran.out.splitlines()[0])["name"] == INJECTED  # the data, intact


# --- finding 2: integers of any size -----------------------------------------------------------

def test_a_pass_expiring_past_the_calendar_gets_a_verdict_and_the_gate_goes_on() -> None:
    claims = pg1.decode_claims(pg1.unpack(card_of("李四")).payload)
    far = pg1.sign(dataclasses.replace(claims, expires=2 ** 64 - 1), KEY.private_key,
                   KEY.entry.kid)
    result = verify(far, TRUST, NOON)
    assert result.status is Verdict.UNKNOWN_KEY
    assert pg1.last_valid_day(result.claims) is None  # type: ignore[arg-type]
    out = io.StringIO()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"gate-{os.getpid()}.csv"
    log.unlink(missing_ok=True)
    summary = gate.run([far, card_of("王五")], out, TRUST, lambda: NOON, log=log)
    assert summary.scans == 2 and summary.by_verdict == {"unknown-key": 1, "valid": 1}
    assert "超出日历" in out.getvalue() and "王五" in out.getvalue()
    with log.open(encoding="utf-8", newline="") as fh:
        assert [r[2] for r in csv.reader(fh)][1:] == ["unknown-key", "valid"]
    log.unlink()


def test_verify_json_of_a_pass_past_the_calendar(tmp_path: Path) -> None:
    claims = pg1.decode_claims(pg1.unpack(card_of("李四")).payload)
    far = pg1.sign(dataclasses.replace(claims, expires=2 ** 64 - 1), KEY.private_key,
                   KEY.entry.kid)
    keys.write_trust([KEY.entry], tmp_path / "trust.json")
    (tmp_path / "codes.txt").write_text(far + "\n", encoding="utf-8")
    report = check_inputs([tmp_path / "codes.txt"], tmp_path / "trust.json", NOON)
    [found] = report.checked
    assert found.to_json()["valid_until"] is None and found.to_json()["expires"] is None


texts = st.text(st.characters(codec="utf-8"), max_size=40)
anything = st.one_of(st.integers(min_value=-(2 ** 70), max_value=2 ** 70), texts,
                     st.binary(max_size=12), st.none(), st.booleans())


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(issuer=st.one_of(texts, anything), expires=anything, issued=anything,
       serial=st.one_of(st.binary(min_size=8, max_size=8), anything), name=texts,
       masked=texts, colour=anything, category=anything)
def test_any_signed_claims_give_one_verdict_and_the_gate_keeps_reading(
        issuer: object, expires: object, issued: object, serial: object, name: str,
        masked: str, colour: object, category: object) -> None:
    """Random signed payloads, integers of any size, text of any code points: ``verify``
    gives one verdict, the gate shows it, logs it and reads the next scan."""
    text = signed({1: issuer, 4: expires, 6: issued, 7: serial, -1: name, -2: masked,
                   -3: colour, -4: category, -5: b"1234"})
    result = verify(text, TRUST, NOON)
    assert isinstance(result.status, Verdict)
    out = io.StringIO()
    summary = gate.run([text, card_of("王五")], out, TRUST, lambda: NOON)
    assert summary.scans == 2 and summary.by_verdict.get("valid", 0) >= 1
    screen = out.getvalue()
    assert "\x1b" not in screen and "\u202e" not in screen
    json_line(check_inputs_json(result))


def check_inputs_json(result: object) -> dict[str, object]:
    from passgen.check.inputs import Checked

    return Checked("scan", result).to_json()  # type: ignore[arg-type]


# --- findings 3 and 4: revocation is permanent; future lists ---------------------------------

def lists(tmp_path: Path) -> tuple[Path, Path, Path]:
    trust = tmp_path / "trust.json"
    keys.write_trust([KEY.entry], trust)
    first, emptied = tmp_path / "first.json", tmp_path / "emptied.json"
    first.write_text(revocation.build(KEY, [b"\1" * 8], day_start(AS_OF)), encoding="utf-8")
    emptied.write_text(revocation.build(KEY, [], day_start(AS_OF) + 86_400), encoding="utf-8")
    return trust, first, emptied


def test_a_newer_list_that_drops_a_revoked_card_does_not_unrevoke_it(tmp_path: Path) -> None:
    trust, first, emptied = lists(tmp_path)
    load_lists(trust, [first], NOON)
    later = load_lists(trust, [emptied], NOON)
    [merged] = later.revoked.lists
    assert b"\1" * 8 in merged.serials
    assert any("去掉了 1 张" in w and "stay revoked" in w for w in later.warnings)
    # without any list given, the checkpoint still remembers it
    assert any(b"\1" * 8 in r.serials for r in load_lists(trust, [], NOON).revoked.lists)
    # until the card must have expired: the key signs at most 60 days
    much_later = NOON + dt.timedelta(days=70)
    assert not any(b"\1" * 8 in r.serials for r in load_lists(trust, [emptied], much_later)
                   .revoked.lists)


def test_a_list_from_the_future_is_refused_and_not_remembered(tmp_path: Path) -> None:
    trust, first, _ = lists(tmp_path)
    future = tmp_path / "future.json"
    future.write_text(revocation.build(KEY, [], day_start(AS_OF) + 30 * 86_400),
                      encoding="utf-8")
    with pytest.raises(KeyFileError) as refused:
        load_lists(trust, [future], NOON)
    assert "晚于现在" in refused.value.zh and "日期和时间" in refused.value.zh
    assert not default_seen().exists()
    assert len(load_lists(trust, [first], NOON).revoked.lists) == 1  # a correct list: fine
    skew = tmp_path / "skew.json"  # five minutes ahead: clocks differ a little
    skew.write_text(revocation.build(KEY, [], int(NOON.timestamp()) + 300), encoding="utf-8")
    load_lists(trust, [skew], NOON)


def test_revocations_export_refuses_a_ledger_this_key_never_used(tmp_path: Path) -> None:
    from passgen.jobs.cards import PrintOptions, run_cards
    from passgen.jobs.revocations import export_revocations, revoke_cards
    from passgen.printing.layout import load_template
    from passgen.rules import load_rules

    keys.save(KEY, tmp_path / "office.pem", b"passphrase-1234")
    at = dt.datetime(2020, 3, 26, 12, tzinfo=SHANGHAI)

    def export(ledger: Path, **flags: bool) -> int:
        return export_revocations(tmp_path / "office.pem", lambda: b"passphrase-1234", ledger,
                                  tmp_path / "revoked.json", at, **flags).cards

    with pytest.raises(LedgerError) as fresh:
        export(tmp_path / "fresh.sqlite")
    assert "--allow-new-ledger" in fresh.value.zh and not (tmp_path / "fresh.sqlite").exists()
    assert not (tmp_path / "revoked.json").exists()
    assert export(tmp_path / "fresh.sqlite", allow_new_ledger=True) == 0
    ledger = tmp_path / "office.sqlite"
    outcomes: list[object] = []
    run_cards([write_roster(tmp_path / "r.xlsx", [row()])], KEY, tmp_path / "out", load_rules(),
              PrintOptions(load_template()), AS_OF, ledger=ledger, on_outcome=outcomes.append)
    serial = outcomes[0].card.claims.serial  # type: ignore[attr-defined]
    revoke_cards(ledger, [serial.hex()], "卡片遗失", day_start(AS_OF) + 3600)
    assert export(ledger) == 1
    from passgen.jobs.ledger import Ledger

    with Ledger(ledger) as opened:  # the revocation vanishes (an old backup, say)
        opened.db.execute("DELETE FROM revocations")
    with pytest.raises(LedgerError) as dropped:
        export(ledger)
    assert "--allow-drop" in dropped.value.zh and serial.hex().upper()[:4] in dropped.value.zh
    assert export(ledger, allow_drop=True) == 0


# --- finding 5: the demo key --------------------------------------------------------------------

def test_the_demo_key_is_refused_outside_the_demo(tmp_path: Path) -> None:
    ran = run_passgen(["demo", "--out", "out"], tmp_path, None)
    assert ran.status == 0
    pdf = next((tmp_path / "out").glob("cards-*.pdf"))
    page = ["verifier-page", "--trust", "out/trust.json", "--out", "p.html"]
    for args in (["verify", str(pdf), "--trust", "out/trust.json", "--at", "2020-03-25"],
                 ["checkpoint", "--trust", "out/trust.json"], page):
        refused = run_passgen(args, tmp_path, None)
        assert refused.status == 2 and "演示密钥" in refused.err and "--allow-demo" in refused.err
    allowed = run_passgen(page + ["--allow-demo"], tmp_path, None)
    assert allowed.status == 0, allowed.err


# --- finding 6: a wrong clock at the gate ------------------------------------------------------

def test_a_clock_before_every_key_is_said(tmp_path: Path) -> None:
    trust, _, _ = lists(tmp_path)
    year_2000 = dt.datetime(2000, 1, 1, 9, tzinfo=SHANGHAI)
    warned = load_lists(trust, [], year_2000).warnings
    assert any("请检查电脑的日期和时间" in w for w in warned)
    assert not any("日期和时间" in w for w in load_lists(trust, [], NOON).warnings)
