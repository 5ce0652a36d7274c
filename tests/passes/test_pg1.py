"""The PG1 pass (DESIGN.md §5): exact COSE layout, kid, determinism, QR capacity, Base45."""

import datetime as dt

import base45
import cbor2
import pytest
from helpers import AS_OF, fixed_key, make_id

from passgen.dates import day_start
from passgen.models import Assessment, Category, Claims, Colour, Location, Resident
from passgen.passes import base45 as base45_codec
from passgen.passes import keys, pg1
from passgen.passes.issue import issue
from passgen.qr.encode import encode

RESIDENT = Resident(name="欧阳娜娜", id_number=make_id(dt.date(1950, 6, 15)),
                    category=Category.ELDERLY, community="桂花社区",
                    where=Location("r.xlsx", "花名册", 2))
ASSESSMENT = Assessment(Colour.YELLOW, (), b"\x01\x02\x03\x04")


def test_layout_is_exactly_design_section_5(signing_key: keys.SigningKey) -> None:
    card = issue(RESIDENT, ASSESSMENT, signing_key, AS_OF)
    assert card.payload.startswith("PG1:")
    cose = base45.b45decode(card.payload[4:])
    tag = cbor2.loads(cose)
    assert tag.tag == 18 and len(tag.value) == 4
    protected, unprotected, payload, signature = tag.value
    assert cbor2.loads(protected) == {1: -8, 4: signing_key.entry.kid}
    assert protected == bytes.fromhex("a2012704") + b"\x48" + signing_key.entry.kid
    assert unprotected == {} and len(signature) == 64
    claims = cbor2.loads(payload)
    assert claims == {1: "NC-TEST-01", 4: day_start(AS_OF + dt.timedelta(days=8)),
                      6: day_start(AS_OF), 7: card.claims.serial, -1: "欧阳娜娜",
                      -2: RESIDENT.masked_id, -3: 1, -4: 0, -5: b"\x01\x02\x03\x04"}
    assert list(claims) == [1, 4, 6, 7, -1, -2, -3, -4, -5]  # deterministic key order
    signing_key.private_key.public_key().verify(
        signature, cbor2.dumps(["Signature1", protected, b"", payload]))
    assert cose == pg1.dumps(tag)  # deterministic CBOR, byte for byte


def test_kid_is_sha256_prefix_of_raw_public_key(signing_key: keys.SigningKey) -> None:
    import hashlib

    raw = keys.public_raw(signing_key.private_key)
    assert signing_key.entry.kid == hashlib.sha256(raw).digest()[:8]


def test_signing_is_deterministic(signing_key: keys.SigningKey) -> None:
    a = issue(RESIDENT, ASSESSMENT, signing_key, AS_OF)
    b = issue(RESIDENT, ASSESSMENT, signing_key, AS_OF)
    assert a.payload == b.payload
    other_day = issue(RESIDENT, ASSESSMENT, signing_key, AS_OF + dt.timedelta(days=1))
    assert other_day.claims.serial != a.claims.serial
    other_key = issue(RESIDENT, ASSESSMENT, fixed_key("b"), AS_OF)
    assert other_key.claims.serial != a.claims.serial


def test_qr_is_alphanumeric_and_within_version_9_at_m(signing_key: keys.SigningKey) -> None:
    """Size budget: a 4-character CJK name and a 16-character issuer fit version 9-M."""
    key = fixed_key(issuer="X" * 16)
    card = issue(RESIDENT, ASSESSMENT, key, AS_OF)
    assert set(card.payload) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    assert encode(card.payload, "M").version <= 9


def test_independent_cose_implementation_verifies(signing_key: keys.SigningKey) -> None:
    """pycose, with cbor2 ≥ 6 tuples turned back into the list pycose 1.1 expects."""
    from pycose.keys.curves import Ed25519
    from pycose.keys.keyparam import KpKty, OKPKpCurve, OKPKpX
    from pycose.keys.keytype import KtyOKP
    from pycose.keys.okp import OKPKey
    from pycose.messages import Sign1Message

    card = issue(RESIDENT, ASSESSMENT, signing_key, AS_OF)
    tag = cbor2.loads(base45.b45decode(card.payload[4:]))
    protected, unprotected, payload, signature = tag.value
    msg = Sign1Message.from_cose_obj([protected, dict(unprotected), payload, signature], True)
    msg.key = OKPKey.from_dict({KpKty: KtyOKP, OKPKpCurve: Ed25519,
                                OKPKpX: keys.public_raw(signing_key.private_key)})
    assert msg.verify_signature()
    assert cbor2.loads(msg.payload)[-1] == "欧阳娜娜"
    msg.payload = msg.payload.replace("欧阳".encode(), "欧麦".encode())
    assert not msg.verify_signature()


def test_decode_claims_rejects_non_deterministic_and_mistyped() -> None:
    claims = Claims("X", 10, 5, b"12345678", "张三", "1" * 18, Colour.GREEN, Category.OTHER,
                    b"abcd")
    good = pg1.encode_claims(claims)
    assert pg1.decode_claims(good) == claims
    shuffled = cbor2.dumps(dict(reversed(list(cbor2.loads(good).items()))))
    with pytest.raises(pg1.FormatProblem, match="deterministic"):
        pg1.decode_claims(shuffled)
    for key, bad in ((-3, 7), (7, b"short"), (4, -1), (-2, "short"), (1, "")):
        obj = dict(cbor2.loads(good))
        obj[key] = bad
        with pytest.raises(pg1.FormatProblem):
            pg1.decode_claims(cbor2.dumps(obj, canonical=True))
    obj = dict(cbor2.loads(good))
    del obj[-1]
    with pytest.raises(pg1.FormatProblem, match="missing"):
        pg1.decode_claims(cbor2.dumps(obj, canonical=True))
    obj = dict(cbor2.loads(good))
    obj[99] = "unknown keys are ignored"
    assert pg1.decode_claims(pg1.dumps(obj)) == claims
    # RFC 8949 orders keys by their bytes (99 = 18 63 before -1 = 20), not length first as
    # cbor2's canonical mode (RFC 7049) does: that order is refused
    with pytest.raises(pg1.FormatProblem, match="deterministic"):
        pg1.decode_claims(cbor2.dumps(obj, canonical=True))


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


@settings(max_examples=2000)
@given(st.one_of(st.text(max_size=60), st.text(alphabet=B45, max_size=60),
                 st.binary(max_size=40).map(lambda b: base45.b45encode(b).decode())))
def test_fast_base45_decoder_agrees_with_the_base45_package(text: str) -> None:
    if text != text.strip("\n\r\t\x0b\x0c"):
        # the package forgives surrounding line breaks; RFC 9285 (and ours) does not
        with pytest.raises(ValueError):
            base45_codec.b45decode(text)
        return
    try:
        expected = bytes(base45.b45decode(text))
    except Exception:
        expected = None
    try:
        got = base45_codec.b45decode(text)
    except ValueError:
        got = None
    assert got == expected


@settings(max_examples=2000)
@given(st.binary(max_size=300))
def test_fast_base45_encoder_agrees_with_the_base45_package(data: bytes) -> None:
    text = base45_codec.b45encode(data)
    assert text == base45.b45encode(data).decode("ascii")
    assert base45_codec.b45decode(text) == data


@settings(max_examples=500)
@given(st.dictionaries(st.one_of(st.integers(-2**40, 2**40), st.text(max_size=4)),
                       st.one_of(st.integers(-2**64 + 1, 2**64 - 1), st.text(max_size=10),
                                 st.binary(max_size=10), st.booleans(), st.none()),
                       max_size=12))
def test_dumps_orders_map_keys_bytewise(claims: dict[object, object]) -> None:
    """RFC 8949 §4.2.1: keys sorted by their encoded bytes; decoding gives the same map."""
    encoded = pg1.dumps(claims)
    assert cbor2.loads(encoded) == claims
    keys = [cbor2.dumps(k) for k in cbor2.loads(encoded)]
    assert keys == sorted(keys)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.one_of(st.integers(-300, 300), st.text(max_size=3)),
                       st.one_of(st.floats(allow_nan=False), st.integers(),
                                 st.lists(st.floats(allow_nan=False), max_size=2)),
                       max_size=6))
def test_deterministic_cbor_with_floats_sorts_keys_bytewise(obj: dict[object, object]) -> None:
    """Floats take their shortest form and map keys still sort by their encodings' bytes,
    not length first as cbor2's canonical mode would (key 25, 18 19, before -1, 20)."""
    encoded = pg1.dumps(obj)
    keys = list(cbor2.loads(encoded))
    assert keys == sorted(keys, key=lambda k: cbor2.dumps(k))
    assert cbor2.loads(encoded) == obj


def test_a_float_claim_does_not_change_the_key_order() -> None:
    assert pg1.dumps({-1: 1.5, 25: 0.0}).hex() == "a21819f9000020f93e00"
