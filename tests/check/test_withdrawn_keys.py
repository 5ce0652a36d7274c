"""Withdrawn keys (issue #37 finding 4): an office withdraws a key in its signed revocation
list; every checkpoint that loads the list refuses every card the key signed, keeps the
withdrawal when a later list or no list is given, and refuses a withdrawal a key may not make."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import AS_OF, fixed_key, row, write_roster

from passgen.check.inputs import load_lists
from passgen.check.verify import Verdict, verify
from passgen.cli import cli
from passgen.dates import SHANGHAI, day_start
from passgen.errors import KeyFileError, LedgerError
from passgen.passes import keys, revocation

OLD = fixed_key("office-a")  # NC-TEST-01 from 2020-01-01
NEW = fixed_key("office-a-new", not_before=dt.date(2020, 3, 1))  # its successor
OTHER = fixed_key("office-b", issuer="NC-TEST-02")
NOON = dt.datetime(2020, 3, 26, 12, tzinfo=SHANGHAI)
PASS = b"passphrase-1234"


def office(tmp_path: Path) -> tuple[Path, str, Path]:
    """A ledger with one card signed by OLD (its text), and a trust list of all three keys."""
    from passgen.jobs.cards import PrintOptions, run_cards
    from passgen.printing.layout import load_template
    from passgen.rules import load_rules

    outcomes: list[object] = []
    ledger = tmp_path / "ledger.sqlite"
    run_cards([write_roster(tmp_path / "r.xlsx", [row()])], OLD, tmp_path / "out", load_rules(),
              PrintOptions(load_template()), AS_OF, ledger=ledger, on_outcome=outcomes.append)
    trust = tmp_path / "trust.json"
    keys.write_trust([OLD.entry, NEW.entry, OTHER.entry], trust)
    for key, name in ((OLD, "old.pem"), (NEW, "new.pem")):
        keys.save(key, tmp_path / name, PASS)
    return ledger, outcomes[0].card.payload, trust  # type: ignore[attr-defined]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner(env={"PASSGEN_KEY_PASSPHRASE": PASS.decode()}).invoke(cli, list(args))
    return result.exit_code, result.output


def test_a_withdrawn_key_s_cards_are_refused_and_the_withdrawal_is_kept(tmp_path: Path) -> None:
    ledger, card, trust = office(tmp_path)
    listed = tmp_path / "revoked.json"
    assert verify(card, keys.read_trust(trust), NOON).status == Verdict.VALID
    status, said = run("keys", "withdraw", OLD.entry.kid.hex(), "--reason", "电脑被盗",
                       "--ledger", str(ledger))
    assert status == 0 and "已撤回 NC-TEST-01" in said, said
    status, said = run("revocations", "export", "--key", str(tmp_path / "new.pem"), "--out",
                       str(listed), "--ledger", str(ledger), "--at", "2020-03-26T09:00",
                       "--allow-new-ledger")
    assert status == 0 and "撤回密钥 1 把" in said and "KB" in said, said
    doc = json.loads(listed.read_text(encoding="utf-8"))
    assert doc["withdrawn_keys"] == [OLD.entry.kid.hex()] and doc["kid"] == NEW.entry.kid.hex()
    lists = load_lists(trust, [listed], NOON)
    assert any("已撤回密钥" in w for w in lists.warnings)
    result = verify(card, lists.trust, NOON, lists.revoked)
    assert result.status == Verdict.UNKNOWN_KEY and "withdrawn" in result.reason
    # the next session, given no list: the withdrawal is remembered
    again = load_lists(trust, [], NOON)
    assert verify(card, again.trust, NOON, again.revoked).status == Verdict.UNKNOWN_KEY
    # a newer list that forgets the withdrawal (another computer's ledger) does not undo it
    forgetful = tmp_path / "forgetful.json"
    forgetful.write_text(revocation.build(NEW, [], day_start(dt.date(2020, 3, 26)) + 40_000),
                         encoding="utf-8")
    later = load_lists(trust, [forgetful], NOON + dt.timedelta(hours=2))
    assert verify(card, later.trust, NOON, later.revoked).status == Verdict.UNKNOWN_KEY


def test_a_withdrawn_key_cannot_export_and_its_lists_are_refused(tmp_path: Path) -> None:
    ledger, _, trust = office(tmp_path)
    assert run("keys", "withdraw", OLD.entry.kid.hex(), "--reason", "丢失", "--ledger",
               str(ledger))[0] == 0
    status, said = run("revocations", "export", "--key", str(tmp_path / "old.pem"), "--out",
                       str(tmp_path / "x.json"), "--ledger", str(ledger), "--at",
                       "2020-03-26T09:00")
    assert status != 0 and "已经撤回" in said and not (tmp_path / "x.json").exists()
    # a thief's list signed by the withdrawn key, after a phone saw the withdrawal
    withdrawal = tmp_path / "withdrawal.json"
    withdrawal.write_text(revocation.build(NEW, [], day_start(AS_OF), [OLD.entry.kid]),
                          encoding="utf-8")
    load_lists(trust, [withdrawal], NOON)
    thief = tmp_path / "thief.json"
    thief.write_text(revocation.build(OLD, [], day_start(AS_OF) + 7200), encoding="utf-8")
    with pytest.raises(KeyFileError) as refused:
        load_lists(trust, [thief], NOON)
    assert "已撤回的密钥" in refused.value.zh and OLD.entry.kid.hex() in refused.value.en


@pytest.mark.parametrize(("signer", "target", "words"), [
    (OLD, NEW, "不比签名的密钥更早"),  # a stolen old key cannot withdraw the office's new one
    (OLD, OLD, "不比签名的密钥更早"),  # nor itself: its own list would then be refused
    (OTHER, OLD, "别的机构"),  # nor another office's
])
def test_a_key_withdraws_only_older_keys_of_its_own_office(
        tmp_path: Path, signer: keys.SigningKey, target: keys.SigningKey, words: str) -> None:
    trust = tmp_path / "trust.json"
    keys.write_trust([OLD.entry, NEW.entry, OTHER.entry], trust)
    listed = tmp_path / "l.json"
    listed.write_text(revocation.build(signer, [], day_start(AS_OF), [target.entry.kid]),
                      encoding="utf-8")
    with pytest.raises(KeyFileError) as refused:
        load_lists(trust, [listed], NOON)
    assert words in refused.value.zh


def test_withdrawing_a_key_the_ledger_never_used_or_no_key_id_is_refused(
        tmp_path: Path) -> None:
    from passgen.jobs.revocations import withdraw_key

    ledger, _, _ = office(tmp_path)
    with pytest.raises(LedgerError) as unknown:
        withdraw_key(ledger, OTHER.entry.kid.hex(), "?", 0)
    assert "只能撤回本办公室用过的密钥" in unknown.value.zh
    status, said = run("keys", "withdraw", "not-a-kid", "--reason", "?", "--ledger",
                       str(ledger))
    assert status != 0 and "16 位十六进制" in said and "Traceback" not in said


def test_a_list_whose_readable_withdrawals_disagree_with_its_signature_is_refused(
        tmp_path: Path) -> None:
    trust = tmp_path / "trust.json"
    keys.write_trust([OLD.entry, NEW.entry], trust)
    doc = json.loads(revocation.build(NEW, [], day_start(AS_OF), [OLD.entry.kid]))
    doc["withdrawn_keys"] = []
    listed = tmp_path / "l.json"
    listed.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(KeyFileError) as refused:
        load_lists(trust, [listed], NOON)
    assert "不一致" in refused.value.zh
