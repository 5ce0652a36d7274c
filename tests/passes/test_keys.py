"""Office keys and trust lists: round trips, no silent overwrite, clear errors, file modes."""

import datetime as dt
import json
import stat
from pathlib import Path

import pytest
from helpers import fixed_key

from passgen.dates import day_start
from passgen.errors import KeyFileError
from passgen.passes import keys, pkcs8, trust


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    key = fixed_key()
    path = tmp_path / "office.pem"
    pub = keys.save(key, path, b"secret")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    pem = path.read_text()
    assert "ENCRYPTED PRIVATE KEY" in pem
    assert json.loads(pub.read_text()) == key.entry.to_json()
    loaded = keys.load_signing(path, b"secret")
    assert loaded.entry == key.entry
    assert keys.public_raw(loaded.private_key) == key.entry.public_key


def test_no_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "office.pem"
    keys.save(fixed_key(), path, b"secret")
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="--force"):
        keys.save(fixed_key("other"), path, b"secret")
    assert path.read_bytes() == before
    keys.save(fixed_key("other"), path, b"secret", force=True)
    assert path.read_bytes() != before


def test_wrong_passphrase_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "office.pem"
    keys.save(fixed_key(), path, b"secret")
    with pytest.raises(KeyFileError) as info:
        keys.load_private(path, b"wrong")
    assert "口令" in info.value.zh and "passphrase" in info.value.en


def test_empty_passphrase_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError):
        keys.save(fixed_key(), tmp_path / "k.pem", b"")


def test_issuer_length_and_window() -> None:
    with pytest.raises(KeyFileError):
        keys.generate("X" * 17, dt.date(2020, 1, 1), dt.date(2021, 1, 1))
    with pytest.raises(KeyFileError):
        keys.generate("X", dt.date(2021, 1, 1), dt.date(2020, 1, 1))


def test_trust_list_merges_and_deduplicates(tmp_path: Path) -> None:
    a, b = fixed_key("a"), fixed_key("b", issuer="NC-TEST-02")
    keys.save(a, tmp_path / "a.pem", b"x")
    keys.save(b, tmp_path / "b.pem", b"x")
    first = tmp_path / "t1.json"
    keys.write_trust(trust.entries_from([tmp_path / "a.pem"]), first)
    merged = trust.entries_from([first, tmp_path / "a.pem", tmp_path / "b.pem.pub.json"])
    out = tmp_path / "t2.json"
    keys.write_trust(merged, out)
    doc = json.loads(out.read_text())
    assert doc["format"] == "passgen-trust/1"
    assert sorted(e["kid"] for e in doc["keys"]) == sorted([a.entry.kid.hex(), b.entry.kid.hex()])
    assert set(doc["keys"][0]) == {"kid", "public_key", "issuer", "not_before", "not_after",
                                   "max_validity_days"}
    assert doc["keys"][0]["max_validity_days"] == 60
    assert keys.read_trust(out).find(b.entry.kid) == b.entry


def test_tampered_trust_entry_refused(tmp_path: Path) -> None:
    entry = fixed_key().entry.to_json()
    entry["kid"] = "00" * 8
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"format": "passgen-trust/1", "keys": [entry]}))
    with pytest.raises(KeyFileError, match="kid"):
        keys.read_trust(path)
    path.write_text("{not json")
    with pytest.raises(KeyFileError):
        keys.read_trust(path)


def test_private_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "office.pem"
    keys.save(fixed_key(), path, b"secret")
    path.chmod(0o644)
    with pytest.raises(KeyFileError) as info:
        keys.load_private(path, b"secret")
    assert "chmod 600" in info.value.zh and "chmod 600" in info.value.en
    path.chmod(0o600)
    keys.load_private(path, b"secret")


def test_describe_shows_public_facts_only(tmp_path: Path) -> None:
    key = fixed_key()
    path = tmp_path / "office.pem"
    keys.save(key, path, b"secret")
    keys.write_trust([key.entry, fixed_key("b").entry], tmp_path / "t.json")
    [line] = trust.describe([path])
    assert key.entry.kid.hex() in line and "NC-TEST-01" in line and "2020-12-31" in line
    assert len(trust.describe([tmp_path / "t.json"])) == 2
    seed = key.private_key.private_bytes_raw()
    assert seed.hex() not in line and "PRIVATE" not in line


def test_load_signing_needs_matching_public_half(tmp_path: Path) -> None:
    path = tmp_path / "office.pem"
    keys.save(fixed_key(), path, b"secret")
    other = tmp_path / "other.pem"
    keys.save(fixed_key("b"), other, b"secret")
    (tmp_path / "office.pem.pub.json").write_text((tmp_path / "other.pem.pub.json").read_text())
    with pytest.raises(KeyFileError, match="does not belong"):
        keys.load_signing(path, b"secret")
    (tmp_path / "office.pem.pub.json").unlink()
    with pytest.raises(KeyFileError, match="missing"):
        keys.load_signing(path, b"secret")


def test_max_validity_days_is_optional_and_checked() -> None:
    entry = fixed_key("a").entry.to_json()
    del entry["max_validity_days"]
    assert keys.TrustEntry.from_json(entry, "t").max_validity_days == 60  # DESIGN.md §5
    for bad in (0, -1, 367, "60", 60.0, None, True):
        with pytest.raises(KeyFileError) as info:
            keys.TrustEntry.from_json({**entry, "max_validity_days": bad}, "t.json")
        assert info.value.zh.startswith("t.json")
    assert keys.TrustEntry.from_json({**entry, "max_validity_days": 30}, "t").max_validity_days == 30


def test_a_key_cannot_sign_longer_than_its_maximum() -> None:
    e = keys.generate("X", dt.date(2020, 1, 1), dt.date(2020, 12, 31), bytes(32),
                      max_validity_days=10).entry
    start = day_start(dt.date(2020, 3, 1))
    assert e.validity_problem(start, start + 10 * 86_400) is None
    assert "exceeds" in (e.validity_problem(start, start + 10 * 86_400 + 1) or "")
    late = day_start(dt.date(2020, 12, 31))
    assert e.validity_problem(late, late + 10 * 86_400) is None
    assert e.validity_problem(late + 86_400 * 2, late + 86_400 * 12) is not None  # after window


def test_private_key_kdf_is_pbkdf2_sha256_with_600k_rounds(tmp_path: Path) -> None:
    """Read back by cryptography (what passgen uses) and by the DER itself: 600,000 rounds,
    where cryptography's own PKCS#8 writer uses 2,048."""
    import base64 as b64

    from cryptography.hazmat.primitives import serialization

    key = fixed_key("a")
    pem = pkcs8.encrypted(key.private_key, b"correct horse battery", keys.KDF_ITERATIONS)
    der = b64.b64decode(b"".join(pem.splitlines()[1:-1]))
    assert bytes.fromhex("2a864886f70d01050d") in der  # PBES2
    assert bytes.fromhex("2a864886f70d01050c") in der  # PBKDF2
    assert bytes.fromhex("2a864886f70d0209") in der  # hmacWithSHA256
    assert bytes.fromhex("0203" "0927c0") in der  # INTEGER 600000
    back = serialization.load_pem_private_key(pem, b"correct horse battery")
    assert back.private_bytes_raw() == key.private_key.private_bytes_raw()  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(pem, b"correct horse batterY")
    # an INTEGER whose high bit is set gets its leading zero byte
    assert bytes.fromhex("020400800000") in b64.b64decode(b"".join(
        pkcs8.encrypted(key.private_key, b"x" * 10, 0x800000).splitlines()[1:-1]))


def test_keys_written_before_the_stronger_kdf_still_load(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    key = fixed_key("a")
    old = key.private_key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.BestAvailableEncryption(b"x"))
    path = tmp_path / "old.pem"
    path.write_bytes(old)
    path.chmod(0o600)
    assert keys.load_private(path, b"x").private_bytes_raw() == \
        key.private_key.private_bytes_raw()


def test_a_new_key_needs_a_passphrase_of_ten_characters(tmp_path: Path) -> None:
    for short in (b"", b"x", "口令太短了但还不够".encode()):
        with pytest.raises(KeyFileError) as info:
            keys.create(tmp_path / "k.pem", "X", dt.date(2020, 1, 1), None, lambda s=short: s)
        assert "至少要 10 个字符" in info.value.zh and "10 characters" in info.value.en
        assert not (tmp_path / "k.pem").exists()
    key, _ = keys.create(tmp_path / "k.pem", "X", dt.date(2020, 1, 1), None,
                         lambda: "十个汉字的口令也可以".encode())  # characters, not bytes
    assert keys.load_private(tmp_path / "k.pem", "十个汉字的口令也可以".encode())


def test_the_public_demo_key_is_kept_out_of_trust_lists(tmp_path: Path) -> None:
    from passgen.jobs.demo import demo_key

    demo = demo_key()
    assert demo.entry.public_key == keys.demo_public_key()
    keys.save(demo, tmp_path / "demo.pem", b"demo")
    with pytest.raises(KeyFileError) as info:
        trust.build_trust([tmp_path / "demo.pem"], tmp_path / "t.json")
    assert "演示密钥" in info.value.zh and "--allow-demo" in info.value.en
    assert not (tmp_path / "t.json").exists()
    keys.write_trust([demo.entry], tmp_path / "other.json")  # hidden inside another list
    with pytest.raises(KeyFileError):
        trust.build_trust([tmp_path / "other.json"], tmp_path / "t.json")
    assert trust.build_trust([tmp_path / "demo.pem"], tmp_path / "t.json", allow_demo=True)


def test_a_trust_list_too_big_to_read_says_why(tmp_path: Path) -> None:
    """Issue #29 finding 8: 100,001 keys in passgen's own format were refused as 'cannot
    read' with no reason.  Each way it fails is said: too big, not UTF-8, not JSON."""
    entry = fixed_key().entry.to_json()
    big = tmp_path / "big.json"
    one = json.dumps(entry, indent=2)
    big.write_text('{"format": "passgen-trust/1", "keys": [' + ",".join([one] * 100_001) + "]}",
                   encoding="utf-8")
    with pytest.raises(KeyFileError) as info:
        keys.read_trust(big)
    assert "文件太大" in info.value.zh and "too big" in info.value.en
    (tmp_path / "latin.json").write_bytes(b'{"format": "\xff"}')
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    for name, zh in (("latin.json", "不是 UTF-8"), ("broken.json", "不是有效的 JSON")):
        with pytest.raises(KeyFileError) as info:
            keys.read_trust(tmp_path / name)
        assert zh in info.value.zh


@pytest.mark.parametrize("issuer", ["<!--x", "NC</script>", "a&b", "NC 01", "NC\u202e01", "x\"y"])
def test_an_issuer_code_is_letters_digits_and_dashes_only(tmp_path: Path, issuer: str) -> None:
    """Issue #37 finding 3: `keys generate --issuer '<!--x'` made a key whose phone page
    showed nothing.  The code is refused at generate, and in a trust list when it loads."""
    import json as json_module

    from passgen.errors import KeyFileError
    from passgen.passes.keys import check_issuer, read_trust

    with pytest.raises(KeyFileError) as info:
        check_issuer(issuer)
    assert "字母" in info.value.zh
    entry = fixed_key().entry.to_json()
    path = tmp_path / "trust.json"
    path.write_text(json_module.dumps({"format": "passgen-trust/1",
                                       "keys": [{**entry, "issuer": issuer}]}), encoding="utf-8")
    with pytest.raises(KeyFileError):
        read_trust(path)
    assert check_issuer("NC-XM-01") == "NC-XM-01" and check_issuer("南充西门.01") == "南充西门.01"


def test_page_data_escapes_markup_as_json_escapes() -> None:
    import json as json_module

    from passgen.check.page import _json_in_html

    data = {"name": "<!--</script>&<b>x</b>", "n": 1}
    text = _json_in_html(data)
    assert not set(text) & set("<>&") and json_module.loads(text) == data


def test_keys_trust_refuses_conflicting_entries_naming_both_files(tmp_path: Path) -> None:
    """Issue #37 finding 5: keys trust merged conflicting entries silently, the last one
    winning: another office's file could widen a retired key's window, and two offices
    sharing an issuer code let one revoke the other's cards."""
    import dataclasses

    from passgen.errors import KeyFileError

    mine = fixed_key().entry
    (tmp_path / "mine.pub.json").write_text(json.dumps(mine.to_json()), encoding="utf-8")
    wider = dataclasses.replace(mine, not_after=mine.not_after + dt.timedelta(days=365))
    (tmp_path / "wider.pub.json").write_text(json.dumps(wider.to_json()), encoding="utf-8")
    with pytest.raises(KeyFileError) as info:
        trust.build_trust([tmp_path / "mine.pub.json", tmp_path / "wider.pub.json"],
                          tmp_path / "t.json")
    assert "mine.pub.json" in info.value.zh and "wider.pub.json" in info.value.zh
    theirs = fixed_key("office-b", issuer=mine.issuer).entry  # another office, the same code
    (tmp_path / "theirs.pub.json").write_text(json.dumps(theirs.to_json()), encoding="utf-8")
    with pytest.raises(KeyFileError) as info:
        trust.build_trust([tmp_path / "mine.pub.json", tmp_path / "theirs.pub.json"],
                          tmp_path / "t.json")
    assert mine.issuer in info.value.zh and "--rotation" in info.value.zh
    assert not (tmp_path / "t.json").exists()
    rotated = trust.build_trust([tmp_path / "mine.pub.json", tmp_path / "theirs.pub.json"],
                                tmp_path / "t.json", rotation=True)
    assert len(rotated) == 2
    same = trust.build_trust([tmp_path / "mine.pub.json", tmp_path / "t.json"],
                             tmp_path / "again.json", rotation=True)
    assert len(same) == 2  # the same entry twice is no conflict
