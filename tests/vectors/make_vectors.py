"""Generate the PG1 test vectors (tests/vectors/*.json) from fixed key seeds.

    python tests/vectors/make_vectors.py          # rewrite the vectors and print the
                                                  # worked example of docs/FORMAT.md

Each vector holds the key, the trust list, the checking time, every stage that exists for it
(claims, CBOR, COSE, Base45 text, QR PNG) and the expected verdict with the facts a verifier
establishes on the way.  The tests regenerate everything and compare, so a vector edited by
hand fails.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import base45
import cbor2

from passgen.dates import SHANGHAI, day_start
from passgen.models import Category, Claims, Colour
from passgen.passes import keys, pg1
from passgen.qr.encode import encode

HERE = Path(__file__).parent
SEED_A = bytes(range(32))
SEED_B = hashlib.sha256(b"passgen vector key B").digest()
KEY_A = keys.generate("NC-XM-01", dt.date(2020, 1, 1), dt.date(2020, 12, 31), SEED_A)
KEY_B = keys.generate("NC-SQ-02", dt.date(2020, 1, 1), dt.date(2020, 12, 31), SEED_B)
KEY_LATE = keys.generate("NC-XM-01", dt.date(2020, 6, 1), dt.date(2020, 12, 31),
                         hashlib.sha256(b"passgen vector key late").digest())
KEY_C = keys.generate("NC-SHUNQING-0001", dt.date(2020, 1, 1), dt.date(2020, 12, 31),
                      hashlib.sha256(b"passgen vector key C").digest())
TRUST = [KEY_A.entry, KEY_B.entry, KEY_C.entry, KEY_LATE.entry]
AT = dt.datetime(2020, 3, 26, 12, 0, tzinfo=SHANGHAI)
ISSUED = dt.date(2020, 3, 25)

CLAIMS = Claims(
    issuer="NC-XM-01", expires=day_start(ISSUED + dt.timedelta(days=8)),
    issued_at=day_start(ISSUED), serial=bytes.fromhex("1a2b3c4d5e6f7081"), name="张三",
    masked_id="511302********1234", colour=Colour.GREEN, category=Category.ELDERLY,
    rules_version=bytes.fromhex("b9baba5e"),
)


def claims_json(c: Claims) -> dict[str, Any]:
    return {"1_issuer": c.issuer, "4_expires": c.expires, "6_issued_at": c.issued_at,
            "7_serial": c.serial.hex(), "-1_name": c.name, "-2_masked_id": c.masked_id,
            "-3_colour": int(c.colour), "-4_category": int(c.category),
            "-5_rules_version": c.rules_version.hex()}


def cose_of(payload: bytes, key: keys.SigningKey, protected: bytes | None = None,
            unprotected: Any = None, tag: int = 18, sign_protected: bytes | None = None) -> bytes:
    protected = protected if protected is not None else pg1.protected_header(key.entry.kid)
    signed = pg1.sig_structure(sign_protected if sign_protected is not None else protected,
                               payload)
    signature = key.private_key.sign(signed)
    return pg1.dumps(cbor2.CBORTag(tag, [protected, unprotected or {}, payload, signature]))


def text_of(cose: bytes) -> str:
    return pg1.PREFIX + base45.b45encode(cose).decode()


def qr_png(text: str) -> str:
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4,
                         box_size=4)
    code.add_data(text)
    code.make(fit=True)
    buf = io.BytesIO()
    code.make_image().save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


STAGES = ("prefix", "base45", "cbor", "cose", "key", "signature", "claims", "key_window",
          "validity")


def expected(status: str, passed: int) -> dict[str, Any]:
    """``passed`` = how many of STAGES succeed before the verdict is reached."""
    return {"status": status, "stages": {s: i < passed for i, s in enumerate(STAGES)}}


def vector(name: str, description: str, text: str, status: str, passed: int,
           claims: Claims | None = None, payload: bytes | None = None,
           cose: bytes | None = None, png: bool = False,
           at: dt.datetime = AT) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "description": description,
        "trust": json.loads(keys.trust_json(TRUST)),
        "at": at.isoformat(),
        "text": text,
        "expected": expected(status, passed),
    }
    if claims is not None:
        out["claims"] = claims_json(claims)
    if payload is not None:
        out["cbor_hex"] = payload.hex()
    if cose is not None:
        out["cose_hex"] = cose.hex()
    if png:
        out["qr_png_base64"] = qr_png(text)
    return out


def build() -> list[dict[str, Any]]:
    v: list[dict[str, Any]] = []
    payload = pg1.encode_claims(CLAIMS)
    cose = cose_of(payload, KEY_A)
    text = text_of(cose)
    ok = len(STAGES)

    def good(name: str, description: str, claims: Claims, key: keys.SigningKey = KEY_A,
             status: str = "valid", passed: int = ok, at: dt.datetime = AT) -> None:
        body = pg1.encode_claims(claims)
        c = cose_of(body, key)
        v.append(vector(name, description, text_of(c), status, passed, claims, body, c,
                        png=True, at=at))

    good("valid-green", "A valid pass: key A, green, elderly.", CLAIMS)
    good("valid-red-student", "A valid pass: key B, red, student, 4-character name.",
         Claims("NC-SQ-02", CLAIMS.expires, CLAIMS.issued_at, bytes(8), "欧阳娜娜",
                "11010519491231002X"[:6] + "********" + "002X", Colour.RED, Category.STUDENT,
                CLAIMS.rules_version), KEY_B)
    good("valid-max-issuer", "Key C: a 16-character issuer and a 4-character name still fit "
         "a version-9 QR at error correction M.",
         Claims("NC-SHUNQING-0001", CLAIMS.expires, CLAIMS.issued_at, CLAIMS.serial, "欧阳娜娜",
                CLAIMS.masked_id, Colour.YELLOW, Category.OTHER, CLAIMS.rules_version), KEY_C)
    good("issuer-mismatch", "Key A signs a pass claiming key B's office: the key is not "
         "trusted for that issuer.",
         Claims("NC-SQ-02", CLAIMS.expires, CLAIMS.issued_at, CLAIMS.serial, "张三",
                CLAIMS.masked_id, Colour.GREEN, Category.ELDERLY, CLAIMS.rules_version),
         status="unknown-key", passed=7)
    good("expired", "Valid signature, but the checking time is after the expiry.",
         Claims(CLAIMS.issuer, day_start(dt.date(2020, 3, 26)), day_start(dt.date(2020, 3, 20)),
                CLAIMS.serial, "张三", CLAIMS.masked_id, Colour.GREEN, Category.ELDERLY,
                CLAIMS.rules_version), status="expired", passed=ok - 1)
    good("not-yet-valid", "Issued the day after the checking time.",
         Claims(CLAIMS.issuer, day_start(dt.date(2020, 4, 5)), day_start(dt.date(2020, 3, 27)),
                CLAIMS.serial, "张三", CLAIMS.masked_id, Colour.GREEN, Category.ELDERLY,
                CLAIMS.rules_version), status="not-yet-valid", passed=ok - 1)
    good("outside-key-window", "Signed by a trusted key before its not_before date.",
         CLAIMS, KEY_LATE, status="unknown-key", passed=7)

    def bad(name: str, description: str, text: str, status: str = "malformed",
            passed: int = 0) -> None:
        v.append(vector(name, description, text, status, passed))

    bad("missing-prefix", "Base45 without the PG1: prefix.", text[4:])
    bad("wrong-prefix", "PG2: instead of PG1:.", "PG2:" + text[4:])
    bad("lowercase-prefix", "The prefix is case-sensitive.", "pg1:" + text[4:])
    bad("non-base45", "A lower-case letter is not in the Base45 alphabet.",
        text[:20] + "a" + text[21:], passed=1)
    bad("truncated", "The last character is missing.", text[:-1], passed=1)
    bad("truncated-group", "The last three characters are missing (valid Base45, short CBOR).",
        text[:-3], passed=2)
    bad("trailing-garbage", "Valid Base45 of the pass followed by one more byte.",
        text_of(cose + b"\x00"), passed=2)
    bad("oversize", "Longer than 1024 characters.", pg1.PREFIX + "A" * 1500, passed=1)
    bad("base45-overflow", "A triple above 65535 (GGW) is invalid Base45.", "PG1:GGW", passed=1)
    bad("not-tag-18", "A COSE_Sign1 array under CBOR tag 98 (COSE_Sign).",
        text_of(cose_of(payload, KEY_A, tag=98)), passed=3)
    bad("not-tagged", "The bare 4-array without a tag.",
        text_of(pg1.dumps(cbor2.loads(cose).value)), passed=3)
    bad("three-array", "Tag 18 around an array of 3.",
        text_of(pg1.dumps(cbor2.CBORTag(18, list(cbor2.loads(cose).value)[:3]))), passed=3)
    bad("wrong-alg", "alg -7 (ES256) instead of -8.",
        text_of(cose_of(payload, KEY_A, pg1.dumps({1: -7, 4: KEY_A.entry.kid}))), passed=3)
    bad("missing-kid", "Protected header {1: -8} without a kid.",
        text_of(cose_of(payload, KEY_A, pg1.dumps({1: -8}))), passed=3)
    bad("short-kid", "A 4-byte kid.",
        text_of(cose_of(payload, KEY_A, pg1.dumps({1: -8, 4: KEY_A.entry.kid[:4]}))), passed=3)
    bad("extra-protected", "An extra protected header entry (3: content type).",
        text_of(cose_of(payload, KEY_A, pg1.dumps({1: -8, 3: 0, 4: KEY_A.entry.kid}))),
        passed=3)
    bad("kid-in-unprotected", "A non-empty unprotected header.",
        text_of(cose_of(payload, KEY_A, unprotected={4: KEY_A.entry.kid})), passed=3)
    unknown = keys.generate("NC-XM-01", dt.date(2020, 1, 1), dt.date(2020, 12, 31),
                            hashlib.sha256(b"passgen vector unknown key").digest())
    bad("unknown-kid", "Signed by a key that is not in the trust list.",
        text_of(cose_of(payload, unknown)), "unknown-key", 4)
    sig = bytearray(cbor2.loads(cose).value[3])
    sig[0] ^= 1
    bad("bad-signature", "One bit of the signature flipped.",
        text_of(pg1.dumps(cbor2.CBORTag(18, [*list(cbor2.loads(cose).value)[:3], bytes(sig)]))),
        "bad-signature", 5)
    changed = dict(cbor2.loads(payload))
    changed[-3] = 2
    parts = list(cbor2.loads(cose).value)
    bad("payload-changed", "Colour changed from green to red after signing.",
        text_of(pg1.dumps(cbor2.CBORTag(18, [parts[0], {}, pg1.encode_claims(
            pg1.decode_claims(pg1.dumps(changed))), parts[3]]))), "bad-signature", 5)
    bad("protected-changed", "kid swapped for key B's (trusted) after signing with key A.",
        text_of(cose_of(payload, KEY_A, pg1.protected_header(KEY_B.entry.kid),
                        sign_protected=pg1.protected_header(KEY_A.entry.kid))),
        "bad-signature", 5)
    shuffled = cbor2.dumps(dict(reversed(list(cbor2.loads(payload).items()))))
    bad("non-deterministic-claims", "Correctly signed, but claim keys are not in CBOR order.",
        text_of(cose_of(shuffled, KEY_A)), "malformed", 6)
    long_int = payload.replace(b"\x01\x68", b"\x18\x01\x68", 1)  # key 1 as a 2-byte int
    bad("non-shortest-int", "Correctly signed, but claim key 1 is not in its shortest form.",
        text_of(cose_of(long_int, KEY_A)), "malformed", 6)
    missing = dict(cbor2.loads(payload))
    del missing[-1]
    bad("missing-claim", "Correctly signed, but the name claim (-1) is missing.",
        text_of(cose_of(pg1.dumps(missing), KEY_A)), "malformed", 6)
    mistyped = dict(cbor2.loads(payload))
    mistyped[4] = "2020-04-02"
    bad("mistyped-claim", "Correctly signed, but expires (4) is text, not uint.",
        text_of(cose_of(pg1.dumps(mistyped), KEY_A)), "malformed", 6)

    def lasting(issued: dt.date, days: int) -> Claims:
        return Claims(CLAIMS.issuer, day_start(issued + dt.timedelta(days=days)),
                      day_start(issued), CLAIMS.serial, "张三", CLAIMS.masked_id, Colour.GREEN,
                      Category.ELDERLY, CLAIMS.rules_version)

    good("validity-at-key-maximum", "Valid for exactly the key's max_validity_days (60, the "
         "default): accepted.", lasting(ISSUED, 60))
    good("validity-beyond-key-maximum", "Valid for 61 days, one more than the key's "
         "max_validity_days: refused although the signature is good.", lasting(ISSUED, 61),
         status="unknown-key", passed=7)
    good("stolen-key-long-pass", "A stolen key, inside its window on 2020-12-31, mints a "
         "pass that runs to 2099; checked in 2030 it is refused, not valid.",
         lasting(dt.date(2020, 12, 31), 78 * 365), status="unknown-key", passed=7,
         at=dt.datetime(2030, 6, 1, 12, 0, tzinfo=SHANGHAI))
    tagged = dict(cbor2.loads(payload))
    tagged[99] = cbor2.CBORTag(1, 1585000000)
    bad("tag-in-claims", "Correctly signed, but an extra claim (99) holds a CBOR tag (1, a "
        "date): claims hold no tags.", text_of(cose_of(pg1.dumps(tagged), KEY_A)), "malformed", 6)
    bool_key = {True if k == 1 else k: value for k, value in cbor2.loads(payload).items()}
    bad("bool-claim-key", "Correctly signed, but the issuer claim's key is `true`, not 1 "
        "(cbor2 takes true for 1): claim keys are integers or text.",
        text_of(cose_of(pg1.dumps(bool_key), KEY_A)), "malformed", 6)
    for name, (how, variant) in envelope_variants(cose).items():
        bad(f"envelope-{name}", f"The valid green pass's own signed members, written another "
            f"way: {how}. One card has one text: malformed.", text_of(variant), passed=3)
    return v


def envelope_variants(cose: bytes) -> dict[str, tuple[str, bytes]]:
    """A signed COSE_Sign1 (in its one encoding) re-encoded without the key, each way CBOR
    allows (#37 finding 2): name → (what changed, bytes).  Every one is malformed."""
    parts = cbor2.loads(cose).value
    protected, payload, signature = parts[0], parts[2], parts[3]
    h = pg1.head

    def bstr(data: bytes) -> bytes:
        return h(2, len(data)) + data

    def long_bstr(data: bytes) -> bytes:  # a 2-byte length where a shorter one fits
        return b"\x59" + len(data).to_bytes(2, "big") + data

    def chunked(data: bytes) -> bytes:  # an indefinite-length byte string of two chunks
        return b"\x5f" + bstr(data[:5]) + bstr(data[5:]) + b"\xff"

    body = bstr(protected) + b"\xa0" + bstr(payload) + bstr(signature)
    inner = b"\x84" + body
    usual = b"\xd2" + inner
    return {
        "indefinite-array": ("the array of four has an indefinite length",
                             b"\xd2\x9f" + body + b"\xff"),
        "long-array-head": ("the array's length in a 1-byte argument", b"\xd2\x98\x04" + body),
        "long-tag": ("tag 18 written with a 1-byte argument (d8 12)", b"\xd8\x12" + inner),
        "longer-tag": ("tag 18 written with a 2-byte argument", b"\xd9\x00\x12" + inner),
        "self-described": ("tag 55799 (self-described CBOR) around it", b"\xd9\xd9\xf7" + usual),
        "stringref-namespace": ("tag 256 (a string reference namespace) around it",
                                b"\xd9\x01\x00" + usual),
        "shareable": ("tag 28 (a shareable value) around the array", b"\xd2\xd8\x1c" + inner),
        "shareable-outside": ("tag 28 around the whole", b"\xd8\x1c" + usual),
        "chunked-protected": ("the protected header as an indefinite byte string",
                              b"\xd2\x84" + chunked(protected) + b"\xa0" + bstr(payload)
                              + bstr(signature)),
        "chunked-payload": ("the payload as an indefinite byte string",
                            b"\xd2\x84" + bstr(protected) + b"\xa0" + chunked(payload)
                            + bstr(signature)),
        "chunked-signature": ("the signature as an indefinite byte string",
                              b"\xd2\x84" + bstr(protected) + b"\xa0" + bstr(payload)
                              + chunked(signature)),
        "long-protected-length": ("the protected header's length in a 1-byte argument",
                                  b"\xd2\x84\x58\x0d" + protected + b"\xa0" + bstr(payload)
                                  + bstr(signature)),
        "long-payload-length": ("the payload's length in a 2-byte argument",
                                b"\xd2\x84" + bstr(protected) + b"\xa0" + long_bstr(payload)
                                + bstr(signature)),
        "long-signature-length": ("the signature's length in a 2-byte argument",
                                  b"\xd2\x84" + bstr(protected) + b"\xa0" + bstr(payload)
                                  + long_bstr(signature)),
        "indefinite-unprotected": ("the empty unprotected map with an indefinite length",
                                   b"\xd2\x84" + bstr(protected) + b"\xbf\xff" + bstr(payload)
                                   + bstr(signature)),
        "long-unprotected": ("the empty unprotected map's length in a 1-byte argument",
                             b"\xd2\x84" + bstr(protected) + b"\xb8\x00" + bstr(payload)
                             + bstr(signature)),
    }


def write(vectors: list[dict[str, Any]]) -> None:
    for old in HERE.glob("*.json"):
        old.unlink()
    for index, vec in enumerate(vectors, start=1):
        path = HERE / f"{index:02d}-{vec['name']}.json"
        path.write_text(json.dumps(vec, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def example_markdown() -> str:
    """The worked example of docs/FORMAT.md, computed (so the document cannot drift)."""
    payload = pg1.encode_claims(CLAIMS)
    protected = pg1.protected_header(KEY_A.entry.kid)
    sig_input = pg1.sig_structure(protected, payload)
    cose = cose_of(payload, KEY_A)
    signature = cbor2.loads(cose).value[3]
    text = text_of(cose)
    rows: list[tuple[str, Callable[[], str]]] = [
        ("Ed25519 seed (private key)", lambda: SEED_A.hex()),
        ("public key", lambda: KEY_A.entry.public_key.hex()),
        ("kid = SHA-256(public key)[0:8]", lambda: KEY_A.entry.kid.hex()),
        ("claims payload (deterministic CBOR)", lambda: payload.hex()),
        ("protected header {1: -8, 4: kid}", lambda: protected.hex()),
        ("Sig_structure", lambda: sig_input.hex()),
        ("signature", lambda: signature.hex()),
        ("COSE_Sign1 (tag 18)", lambda: cose.hex()),
    ]
    lines = ["<!-- example:start (generated by tests/vectors/make_vectors.py) -->", "",
             "Claims: " + json.dumps(claims_json(CLAIMS), ensure_ascii=False), ""]
    for label, value in rows:
        lines += [f"{label}:", "", "```", _wrap(value()), "```", ""]
    lines += [f"QR text ({len(text)} characters, {len(cose)} COSE bytes, QR version "
              f"{encode(text).version}-M):", "", "```", _wrap(text), "```", "",
              "<!-- example:end -->"]
    return "\n".join(lines)


def _wrap(text: str, width: int = 96) -> str:
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


if __name__ == "__main__":
    write(build())
    if "--quiet" not in sys.argv:
        print(example_markdown())
