"""The lists a checkpoint loads, against hostile copies (issue #20): a revocation list rolled
back to an older one, JSON nested too deep or too big, a log in a missing folder."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from pathlib import Path

import pytest
from helpers import AS_OF, fixed_key

from passgen.check import gate
from passgen.check.inputs import load_lists
from passgen.check.memory import default_seen, seen_beside
from passgen.dates import SHANGHAI, day_start
from passgen.errors import KeyFileError, PassgenError
from passgen.passes import keys, revocation

AT = dt.datetime(2020, 3, 30, 12, tzinfo=SHANGHAI)


def lists_of(tmp_path: Path) -> tuple[Path, Path, Path]:
    trust = tmp_path / "trust.json"
    keys.write_trust([fixed_key().entry], trust)
    older, newer = tmp_path / "older.json", tmp_path / "newer.json"
    older.write_text(revocation.build(fixed_key(), [b"\1" * 8], day_start(AS_OF)))
    newer.write_text(revocation.build(fixed_key(), [b"\1" * 8, b"\2" * 8],
                                      day_start(AS_OF) + 86_400))
    return trust, older, newer


def test_an_older_revocation_list_than_one_seen_is_refused(tmp_path: Path) -> None:
    trust, older, newer = lists_of(tmp_path)
    assert len(load_lists(trust, [older], AT).revoked.lists) == 1  # first sight: fine
    load_lists(trust, [newer], AT)
    with pytest.raises(KeyFileError) as info:
        load_lists(trust, [older], AT)  # the card revoked yesterday would pass again
    assert "比已经加载过的" in info.value.zh and "older than" in info.value.en
    assert len(load_lists(trust, [newer], AT).revoked.lists) == 1  # the newest: still fine
    remembered = json.loads(default_seen().read_text())
    assert remembered["format"] == "passgen-seen/2"  # with what each list revoked (#27)
    assert remembered["issuers"]["NC-TEST-01"]["generated"] == day_start(AS_OF) + 86_400
    assert oct(default_seen().stat().st_mode & 0o777) == "0o600"



def gate_with(trust: Path, listed: Path, log: Path) -> tuple[bool, str]:
    """A checkpoint session with ``log``: whether it opened, and what it said."""
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        gate.serve(iter([]), out, err, trust, (listed,), AT, log)
    except PassgenError as refused:
        return False, refused.zh
    return True, out.getvalue() + err.getvalue()


def test_a_new_log_is_no_way_back_to_an_old_list(tmp_path: Path) -> None:
    """The gate's memory is the user's, not its log's: yesterday's list is refused with a new
    log as with the old one (#37 finding 6), and verify remembers the same."""
    trust, older, newer = lists_of(tmp_path)
    assert gate_with(trust, newer, tmp_path / "monday.csv")[0]
    opened, said = gate_with(trust, older, tmp_path / "tuesday.csv")
    assert not opened and "比已经加载过的" in said
    with pytest.raises(KeyFileError):
        load_lists(trust, [older], AT)  # verify and verifier-page share it
    assert not seen_beside(tmp_path / "monday.csv").exists()


def test_a_memory_kept_beside_an_old_log_is_taken_in(tmp_path: Path) -> None:
    """A gate before #37 kept its memory beside its log: the next session with that log adds
    it to the user's, so the list it had seen still bars the older one, with any log."""
    trust, older, newer = lists_of(tmp_path)
    log = tmp_path / "gate.csv"
    load_lists(trust, [newer], AT, seen=seen_beside(log))  # what the old gate wrote
    assert not default_seen().exists()
    assert gate_with(trust, newer, log)[0]
    assert not gate_with(trust, older, tmp_path / "another.csv")[0]
    remembered = json.loads(default_seen().read_text(encoding="utf-8"))["issuers"]
    assert set(remembered["NC-TEST-01"]["revoked"]) == {"01" * 8, "02" * 8}


def test_a_damaged_record_is_said_not_ignored(tmp_path: Path) -> None:
    trust, older, _ = lists_of(tmp_path)
    default_seen().parent.mkdir(parents=True)
    default_seen().write_text("[[[")
    with pytest.raises(KeyFileError) as info:
        load_lists(trust, [older], AT)
    assert str(default_seen()) in info.value.zh


@pytest.mark.parametrize("which", ["trust", "revoked"])
def test_json_nested_too_deep_or_too_big_is_malformed_not_a_crash(tmp_path: Path,
                                                                  which: str) -> None:
    trust, older, _ = lists_of(tmp_path)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    big = tmp_path / "big.json"
    with big.open("w") as fh:
        fh.write('{"format": "passgen-trust/1", "keys": [], "pad": "')
        fh.write("x" * (keys.MAX_JSON_BYTES + 10))
        fh.write('"}')
    for bad in (deep, big):
        with pytest.raises(KeyFileError) as info:
            if which == "trust":
                load_lists(bad, [], AT)
            else:
                load_lists(trust, [bad], AT)
        assert str(bad) in info.value.zh


def test_a_log_in_a_missing_folder_is_refused_before_the_gate_opens(tmp_path: Path) -> None:
    import io

    trust, _, _ = lists_of(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(PassgenError) as info:
        gate.serve(iter([]), out, err, trust, (), AT, tmp_path / "missing" / "log.csv")
    assert "不存在" in info.value.zh and str(tmp_path / "missing") in info.value.en
    assert not os.path.exists(tmp_path / "missing")


@pytest.mark.parametrize("generated", [2 ** 63, "2020-03-26"])
def test_a_signed_list_with_an_odd_time_is_refused_not_a_crash(tmp_path: Path,
                                                                generated: object) -> None:
    from passgen.passes import pg1

    key = fixed_key()
    trust = keys.TrustList((key.entry,))
    good = json.loads(revocation.build(key, [b"\x01" * 8], 1585180800))
    cose = pg1.sign_cose(pg1.dumps({1: key.entry.issuer, 2: generated, 3: [b"\x01" * 8]}),
                         key.private_key, key.entry.kid)
    good["cose"] = base64.b64encode(cose).decode()
    with pytest.raises(KeyFileError, match="密钥不属于该机构或不在有效期内"):
        revocation.parse(json.dumps(good), trust, "odd.json")
