"""The verifier: every verdict, the validity and key windows, revocation, and that no single change to a genuine pass is ever valid."""

import dataclasses
import datetime as dt
from pathlib import Path

import base45
import cbor2
import pytest
from helpers import AS_OF, fixed_key, make_id
from hypothesis import example, given, settings
from hypothesis import strategies as st

from passgen.check.verify import Verdict, verify
from passgen.dates import SHANGHAI
from passgen.models import Assessment, Category, Colour, Location, Resident
from passgen.passes import keys, pg1
from passgen.passes.issue import issue
from passgen.passes.revocation import RevocationList, Revocations

RESIDENT = Resident(name="张三", id_number=make_id(dt.date(1950, 6, 15)),
                    category=Category.ELDERLY, community="桂花社区",
                    where=Location("r.xlsx", "花名册", 2))
ASSESSMENT = Assessment(Colour.GREEN, (), b"\x01\x02\x03\x04")


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def payload(key: keys.SigningKey) -> str:
    return issue(RESIDENT, ASSESSMENT, key, AS_OF).payload


def test_valid_pass(signing_key: keys.SigningKey, trust: keys.TrustList) -> None:
    result = verify(payload(signing_key), trust, at(AS_OF))
    assert result.status == Verdict.VALID and result.valid
    assert result.claims is not None and result.claims.name == "张三"
    assert all((result.decoded, result.structure_ok, result.key_known, result.signature_valid,
                result.within_key_window, result.within_validity)) and not result.revoked


def test_validity_window_edges(signing_key: keys.SigningKey, trust: keys.TrustList) -> None:
    text = payload(signing_key)
    last = AS_OF + dt.timedelta(days=7)
    assert verify(text, trust, at(AS_OF, 0)).status == Verdict.VALID
    assert verify(text, trust, at(AS_OF - dt.timedelta(days=1), 23)).status == Verdict.NOT_YET_VALID
    assert verify(text, trust, dt.datetime(last.year, last.month, last.day, 23, 59, 59,
                                           tzinfo=SHANGHAI)).status == Verdict.VALID
    assert verify(text, trust, at(last + dt.timedelta(days=1), 0)).status == Verdict.EXPIRED


def test_unknown_key_and_wrong_issuer(signing_key: keys.SigningKey, trust: keys.TrustList) -> None:
    other = fixed_key("intruder")
    assert verify(payload(other), trust, at(AS_OF)).status == Verdict.UNKNOWN_KEY
    # a known key cannot vouch for another office's code
    same_key_other_issuer = dataclasses.replace(
        signing_key, entry=dataclasses.replace(signing_key.entry, issuer="OTHER"))
    text = payload(same_key_other_issuer)
    assert verify(text, trust, at(AS_OF)).status == Verdict.UNKNOWN_KEY


def test_signed_outside_key_window(trust: keys.TrustList) -> None:
    late = fixed_key(not_before=dt.date(2020, 1, 1), not_after=dt.date(2020, 3, 1))
    trust = keys.TrustList((late.entry,))
    result = verify(payload(late), trust, at(AS_OF))
    assert result.status == Verdict.UNKNOWN_KEY and not result.within_key_window
    assert result.signature_valid


def test_revoked(signing_key: keys.SigningKey, trust: keys.TrustList) -> None:
    card = issue(RESIDENT, ASSESSMENT, signing_key, AS_OF)
    lists = Revocations((RevocationList(card.claims.issuer, 0, frozenset({card.claims.serial})),))
    result = verify(card.payload, trust, at(AS_OF), lists)
    assert result.status == Verdict.REVOKED and result.revoked
    other_issuer = Revocations((RevocationList("SOMEONE-ELSE", 0,
                                               frozenset({card.claims.serial})),))
    assert verify(card.payload, trust, at(AS_OF), other_issuer).status == Verdict.VALID


def test_forged_payload(signing_key: keys.SigningKey, trust: keys.TrustList) -> None:
    text = payload(signing_key)
    tag = cbor2.loads(base45.b45decode(text[4:]))
    protected, unprotected, body, signature = tag.value
    claims = dict(cbor2.loads(body))
    claims[-3] = 2  # green → red
    forged = pg1.dumps(cbor2.CBORTag(18, [protected, {}, pg1.dumps(claims), signature]))
    result = verify("PG1:" + base45.b45encode(forged).decode(), trust, at(AS_OF))
    assert result.status == Verdict.BAD_SIGNATURE and not result.signature_valid


def test_every_single_character_change_fails(signing_key: keys.SigningKey,
                                             trust: keys.TrustList) -> None:
    text = payload(signing_key)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    for i in range(len(text)):
        for replacement in (alphabet[(alphabet.index(text[i]) + 1) % 45] if text[i] in alphabet
                            else "0", "a"):
            mutated = text[:i] + replacement + text[i + 1:]
            assert verify(mutated, trust, at(AS_OF)).status != Verdict.VALID, (i, replacement)


def test_every_single_bit_flip_of_cose_fails(signing_key: keys.SigningKey,
                                             trust: keys.TrustList) -> None:
    cose = bytearray(base45.b45decode(payload(signing_key)[4:]))
    for bit in range(len(cose) * 8):
        cose[bit // 8] ^= 1 << (bit % 8)
        text = "PG1:" + base45.b45encode(bytes(cose)).decode()
        assert verify(text, trust, at(AS_OF)).status != Verdict.VALID, bit
        cose[bit // 8] ^= 1 << (bit % 8)


def test_malformed_inputs(trust: keys.TrustList) -> None:
    for text in ("", "PG1:", "PG2:ABC", "hello", "PG1:abc", "PG1:" + "A" * 2000, "PG1:GGW",
                 "PG1:" + base45.b45encode(b"\xa0").decode(),
                 "PG1:" + base45.b45encode(cbor2.dumps(cbor2.CBORTag(18, [1, 2, 3]))).decode()):
        assert verify(text, trust, at(AS_OF)).status == Verdict.MALFORMED, text


# Fuzzing: 4,000 examples in each of three strategies, 12,000 per CI run
# (bench/fuzz_verify.py runs far more by hand).
FUZZ = settings(max_examples=4000, deadline=None)
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
VALID_TEXT = issue(RESIDENT, ASSESSMENT, fixed_key(), AS_OF).payload


@st.composite
def mutations(draw: st.DrawFn) -> str:
    """A valid pass changed at the text, byte or CBOR level."""
    kind = draw(st.sampled_from(["char", "cut", "insert", "bytes", "cbor"]))
    text = VALID_TEXT
    if kind == "char":
        i = draw(st.integers(0, len(text) - 1))
        return text[:i] + draw(st.sampled_from(ALPHABET + "a\n\x00")) + text[i + 1:]
    if kind == "cut":
        i = draw(st.integers(0, len(text) - 1))
        return text[:i] + text[i + draw(st.integers(1, 20)):]
    if kind == "insert":
        i = draw(st.integers(0, len(text)))
        return text[:i] + draw(st.text(alphabet=ALPHABET, min_size=1, max_size=6)) + text[i:]
    cose = bytearray(base45.b45decode(text[4:]))
    if kind == "bytes":
        for _ in range(draw(st.integers(1, 4))):
            cose[draw(st.integers(0, len(cose) - 1))] = draw(st.integers(0, 255))
        return "PG1:" + base45.b45encode(bytes(cose)).decode()
    tag = cbor2.loads(bytes(cose))
    parts = list(tag.value)
    claims = dict(cbor2.loads(parts[2]))
    key = draw(st.sampled_from([1, 4, 6, 7, -1, -2, -3, -4, -5, 99]))
    claims[key] = draw(st.one_of(st.integers(-2**64, 2**64), st.text(max_size=20),
                                 st.binary(max_size=20), st.none(), st.booleans(),
                                 st.lists(st.integers(), max_size=3)))
    parts[draw(st.sampled_from([0, 2]))] = cbor2.dumps(claims)
    return "PG1:" + base45.b45encode(cbor2.dumps(cbor2.CBORTag(18, parts))).decode()


def fuzz_check(trust: keys.TrustList, text: str) -> None:
    """No exception, and nothing but the untouched pass is ever valid."""
    result = verify(text, trust, at(AS_OF))
    assert result.status in tuple(Verdict)
    assert result.status != Verdict.VALID or text.strip() == VALID_TEXT


FUZZ_STRATEGIES = {
    "arbitrary text": st.one_of(st.text(max_size=400),
                                st.text(alphabet=ALPHABET, max_size=400).map(lambda t: "PG1:" + t)),
    "arbitrary bytes in PG1 + Base45": st.binary(max_size=300).map(
        lambda b: "PG1:" + base45.b45encode(b).decode()),
    "mutations of a valid pass": mutations(),
}


@FUZZ
@given(FUZZ_STRATEGIES["arbitrary text"])
def test_fuzz_arbitrary_text(trust: keys.TrustList, text: str) -> None:
    fuzz_check(trust, text)


@FUZZ
@given(FUZZ_STRATEGIES["arbitrary bytes in PG1 + Base45"])
def test_fuzz_arbitrary_bytes(trust: keys.TrustList, text: str) -> None:
    fuzz_check(trust, text)
    assert verify(text, trust, at(AS_OF)).status in (Verdict.MALFORMED, Verdict.UNKNOWN_KEY, Verdict.BAD_SIGNATURE)


@FUZZ
@given(FUZZ_STRATEGIES["mutations of a valid pass"])
def test_fuzz_mutations(trust: keys.TrustList, text: str) -> None:
    fuzz_check(trust, text)


# The quick paths verification takes must decide exactly as the general ones.

def _general_or_none(cose: bytes) -> pg1.Unpacked | None:
    try:
        return pg1._unpack_general(cose)
    except pg1.FormatProblem:
        return None


@settings(max_examples=3000, deadline=None)
@given(st.one_of(mutations(), st.binary(max_size=200).map(
    lambda b: "PG1:" + base45.b45encode(b"\xd2\x84\x4d\xa2\x01\x27\x04\x48" + b).decode())))
def test_quick_cose_layout_agrees_with_the_general_decoder(text: str) -> None:
    try:
        cose = pg1.unbase45(text)
    except pg1.FormatProblem:
        return
    quick = pg1._unpack_usual(cose)
    if quick is not None:  # when the quick path answers, the general one says the same
        assert quick == _general_or_none(cose)


def test_payload_lengths_in_long_forms_are_not_the_one_encoding(
        signing_key: keys.SigningKey) -> None:
    """A payload length written longer than it needs is another text for the same card: the
    general path reads it, and refuses it (#37 finding 2)."""
    cose = pg1.unbase45(payload(signing_key))
    usual = pg1.unpack_cose(cose)
    body = usual.payload
    head = cose[:17]
    for size_head in (b"\x59" + len(body).to_bytes(2, "big"), b"\x5a" + len(body).to_bytes(4, "big")):
        longer = head + size_head + body + b"\x58\x40" + usual.signature
        assert pg1._unpack_usual(longer) is None
        with pytest.raises(pg1.FormatProblem) as refused:
            pg1.unpack_cose(longer)
        assert refused.value.stage == "cose" and "one encoding" in str(refused.value)


def test_signed_bytes_are_the_sig_structure() -> None:
    for size in (0, 1, 23, 24, 255, 256, 65535, 65536):
        unpacked = pg1.Unpacked(b"", b"\xa2\x01\x27\x04\x48" + bytes(8), bytes(8),
                                bytes(size), bytes(64))
        expected = cbor2.dumps(["Signature1", unpacked.protected, b"", unpacked.payload])
        assert unpacked.signed_bytes == expected
        assert pg1.sig_structure(unpacked.protected, unpacked.payload) == expected


def test_libsodium_and_openssl_agree_on_every_single_bit_flip(signing_key: keys.SigningKey) -> None:
    """passgen verifies with libsodium; OpenSSL (cryptography), which signs, must agree."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    entry = signing_key.entry
    public = Ed25519PublicKey.from_public_bytes(entry.public_key)
    unpacked = pg1.unpack(payload(signing_key))
    message = bytearray(unpacked.signature + unpacked.signed_bytes)
    verdicts = []
    for bit in range(len(message) * 8):
        message[bit // 8] ^= 1 << (bit % 8)
        signature, signed = bytes(message[:64]), bytes(message[64:])
        try:
            public.verify(signature, signed)
            openssl = True
        except InvalidSignature:
            openssl = False
        verdicts.append(openssl)
        assert entry.signature_ok(signature, signed) is openssl, bit
        message[bit // 8] ^= 1 << (bit % 8)
    assert not any(verdicts)
    assert entry.signature_ok(unpacked.signature, unpacked.signed_bytes)


def _general(payload: bytes) -> object:
    """The general checks alone: Claims, or FormatProblem (invalid CBOR counts as one)."""
    try:
        return pg1._general_claims(cbor2.loads(payload), payload)
    except Exception:  # cbor2's own errors and FormatProblem alike
        return pg1.FormatProblem


@example("PG1:RRQT 9P60GO0KGDGA1%02BLT8CK2E9280A+9*W5HY8*SA746T$SV.B:PNWY0L.BO*5J-0E$KM8M%5B7*"
         "DE44.1TDFK ENCA4RW6+96846*E5*E5*E5*E5*96CL6JD45J4EQ4X507H027BJX13EW1E5BTKHAQ4HM7D2V"
         "54-ZJSFI91H:5J1U03X6NPKFFQ%IO173MEI-/VBGSD-J2QAH4M4UU5 7*M9Z7R11VEJ1PXC21D")
@settings(max_examples=3000, deadline=None)
@given(mutations())
def test_quick_claims_path_agrees_with_the_general_checks(text: str) -> None:
    """(The example: claim key 4 written as CBOR simple value 4, which equals 4 in Python.)"""
    try:
        payload = pg1.unpack(text).payload
    except pg1.FormatProblem:
        return
    try:
        quick: object = pg1.decode_claims(payload)
    except pg1.FormatProblem:
        quick = pg1.FormatProblem
    assert quick == _general(payload)


def test_huge_images_and_pages_are_refused_before_any_pixel(tmp_path: Path) -> None:
    """A 20,000 × 20,000 PNG of a few kilobytes and a 200 × 200 inch PDF page: one clear
    refusal each, in a moment, instead of gigabytes (issue #20)."""
    import time

    from PIL import Image
    from reportlab.pdfgen.canvas import Canvas

    from passgen.check import scan
    from passgen.errors import ScanError

    png = tmp_path / "huge.png"
    Image.new("1", (20_000, 20_000), 1).save(png, optimize=True)
    pdf = tmp_path / "huge.pdf"
    page = Canvas(str(pdf), pagesize=(200 * 72, 200 * 72))
    page.drawString(100, 100, "PG1:")
    page.save()
    assert png.stat().st_size < 200_000 and pdf.stat().st_size < 5_000
    for path, needle in ((png, "huge.png"), (pdf, "huge.pdf p1")):
        started = time.perf_counter()
        with pytest.raises(ScanError) as info:
            scan.from_path(path)
        assert time.perf_counter() - started < 5
        assert needle in info.value.zh and "megapixel" in info.value.en


@pytest.mark.parametrize("issued_at", [2 ** 63, 2 ** 64 - 1, 10 ** 15])
def test_a_signed_time_beyond_the_calendar_is_refused_not_a_crash(
        signing_key: keys.SigningKey, trust: keys.TrustList, issued_at: int) -> None:
    """A trusted key may sign any 64-bit number as issued_at (found by comparing with the
    browser verifier): the key window is compared in seconds, so the verdict is
    unknown-key, not an OverflowError from the calendar."""
    claims = pg1.decode_claims(pg1.unpack(payload(signing_key)).payload)
    odd = dataclasses.replace(claims, issued_at=issued_at,
                              expires=min(issued_at + 86_400, 2 ** 64 - 1))
    text = pg1.sign(odd, signing_key.private_key, signing_key.entry.kid)
    result = verify(text, trust, at(AS_OF))
    assert result.status is Verdict.UNKNOWN_KEY and result.signature_valid


def test_the_key_window_in_seconds_is_the_window_in_days(signing_key: keys.SigningKey) -> None:
    from passgen.dates import day_start

    entry = signing_key.entry
    first, last = day_start(entry.not_before), day_start(entry.not_after) + 86_400 - 1
    assert entry.covers(first) and entry.covers(last)
    assert not entry.covers(first - 1) and not entry.covers(last + 1)


def test_an_expiry_beyond_64_bits_is_malformed_by_the_quick_path_too(
        signing_key: keys.SigningKey, trust: keys.TrustList) -> None:
    """Issue #27 finding 7: CBOR encodes 2^64 as a bignum (a tag); the general checks refused
    it and the quick path took it.  Both say malformed now, and 2^64 - 1 gives a verdict."""
    claims = pg1.decode_claims(pg1.unpack(payload(signing_key)).payload)
    for expires, status in ((2 ** 64, Verdict.MALFORMED), (2 ** 64 - 1, Verdict.UNKNOWN_KEY)):
        odd = dataclasses.replace(claims, expires=expires)
        text = pg1.sign(odd, signing_key.private_key, signing_key.entry.kid)
        result = verify(text, trust, at(AS_OF))
        assert result.status is status, (expires, result.reason)
    with pytest.raises(pg1.FormatProblem):
        pg1.decode_claims(pg1.encode_claims(dataclasses.replace(claims, expires=2 ** 64)))


def test_verify_bounds_the_pages_of_a_pdf_and_says_what_it_skipped(tmp_path: Path) -> None:
    """Issue #36 finding 6: verify rendered every page of a PDF: a 274 KB PDF of 2,000
    pages ran past 60 s.  At most --max-pages pages are checked; the rest are named, and
    the run is not all valid."""
    import json

    from click.testing import CliRunner
    from reportlab.pdfgen import canvas

    from passgen.cli import cli
    from passgen.errors import ExitStatus

    pdf = tmp_path / "many.pdf"
    c = canvas.Canvas(str(pdf))
    for _ in range(2000):
        c.showPage()
    c.save()
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps({"format": "passgen-trust/1", "keys": [fixed_key().entry.to_json()]}),
                     encoding="utf-8")
    ran = CliRunner().invoke(cli, ["verify", str(pdf), "--trust", str(trust), "--at",
                                   "2020-03-25", "--max-pages", "5"])
    assert ran.exit_code == ExitStatus.NOT_VALID, ran.output
    assert "只检查了前 5 页" in ran.output and "p6–p2000" in ran.output
    assert "--max-pages" in ran.output
    few = tmp_path / "few.pdf"
    c = canvas.Canvas(str(few))
    for _ in range(3):
        c.showPage()
    c.save()
    ran = CliRunner().invoke(cli, ["verify", str(few), "--trust", str(trust), "--at",
                                   "2020-03-25", "--max-pages", "5"])
    assert "只检查了" not in ran.output
