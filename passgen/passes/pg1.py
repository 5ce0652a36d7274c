"""PG1 passes (DESIGN.md §5, fixed): claims → deterministic CBOR → COSE_Sign1 → Base45 → "PG1:".

Pure functions: ``encode_claims``/``decode_claims`` for the payload, ``sign`` to build a pass
and ``unpack`` to take one apart without judging it (``passgen.check.verify`` judges).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from passgen.dates import day_of, day_start
from passgen.models import Category, Claims, Colour
from passgen.passes.base45 import b45decode, b45encode
from passgen.passes.cbor import dumps, head, plain_claims

PREFIX = "PG1:"
ALG_EDDSA = -8
COSE_SIGN1_TAG = 18
# A version-9 QR at error correction M holds 262 alphanumeric characters.
MAX_TEXT = 1024  # anything longer is refused before decoding

_PROTECTED_PREFIX = b"\xa2\x01\x27\x04\x48"  # map(2) 1: -8, 4: bstr(8)
K_ISSUER, K_EXPIRES, K_ISSUED, K_SERIAL = 1, 4, 6, 7
K_NAME, K_MASKED_ID, K_COLOUR, K_CATEGORY, K_RULES = -1, -2, -3, -4, -5


def encode_claims(c: Claims) -> bytes:
    return dumps({
        K_ISSUER: c.issuer, K_EXPIRES: c.expires, K_ISSUED: c.issued_at, K_SERIAL: c.serial,
        K_NAME: c.name, K_MASKED_ID: c.masked_id, K_COLOUR: int(c.colour),
        K_CATEGORY: int(c.category), K_RULES: c.rules_version,
    })


def expires_after(last_day: dt.date) -> int:
    """Claim 4 for a card valid through ``last_day``: 00:00 Asia/Shanghai of the next day."""
    return day_start(last_day + dt.timedelta(days=1))


def last_valid_day(claims: Claims) -> dt.date | None:
    """The last Asia/Shanghai day a pass is valid; None for a time beyond the calendar
    (year 9999), which only a hostile pass carries (the verdict does not need the day)."""
    try:
        return day_of(claims.expires - 1)
    except (OverflowError, ValueError):
        return None


def day_text(claims: Claims) -> str:
    """``last_valid_day`` as a person reads it."""
    day = last_valid_day(claims)
    return day.isoformat() if day is not None else "超出日历 beyond the calendar"


MAX_UINT = 2 ** 64  # a CBOR unsigned integer (major type 0) is below this


class FormatProblem(ValueError):
    """A pass that does not follow the PG1 format; the message says which rule it breaks and
    ``stage`` which step found it: prefix, base45, cbor, cose or claims (docs/FORMAT.md §7)."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage


def loads_exact(data: bytes, stage: str = "cbor") -> Any:
    """Decode one CBOR item that must use every byte; any decoding failure is FormatProblem."""
    fp = io.BytesIO(data)
    try:
        obj = cbor2.CBORDecoder(fp).decode()
    except Exception as exc:  # cbor2 raises several types on hostile input
        raise FormatProblem(stage, f"not valid CBOR ({type(exc).__name__})") from None
    if fp.tell() != len(data):
        raise FormatProblem(stage, "trailing bytes after the CBOR item")
    return obj


def _uint(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_UINT


_CLAIM_CHECKS: dict[int, Callable[[Any], bool]] = {
    K_ISSUER: lambda v: isinstance(v, str) and 0 < len(v) <= 16,
    K_EXPIRES: _uint, K_ISSUED: _uint,
    K_SERIAL: lambda v: isinstance(v, bytes) and len(v) == 8,
    K_NAME: lambda v: isinstance(v, str) and bool(v),
    K_MASKED_ID: lambda v: isinstance(v, str) and len(v) == 18,
    K_COLOUR: lambda v: _uint(v) and v in (0, 1, 2),
    K_CATEGORY: lambda v: _uint(v) and v in (0, 1, 2),
    K_RULES: lambda v: isinstance(v, bytes) and len(v) == 4,
}


def decode_claims(payload: bytes) -> Claims:
    """Payload bytes → Claims; unknown keys are ignored, known ones must have their type."""
    try:
        obj = cbor2.loads(payload)  # trailing bytes are caught by the re-encoding below
    except Exception:
        raise FormatProblem("claims", "payload is not valid CBOR") from None
    if type(obj) is dict and tuple(obj) == _CLAIM_ORDER and _usual_claims(obj) \
            and tuple(map(type, obj)) == _CLAIM_KEY_TYPES and cbor2.dumps(obj) == payload:
        # exactly the nine claims, in deterministic order, of the right types and in
        # shortest form: every pass passgen signs, judged without the general checks below
        return _claims_of(obj)
    return _general_claims(obj, payload)


def _general_claims(obj: Any, payload: bytes) -> Claims:
    """Every check, with the message of the first that fails."""
    if not isinstance(obj, Mapping):
        raise FormatProblem("claims", "payload is not a CBOR map")
    if not plain_claims(obj):
        raise FormatProblem("claims", "payload holds a tag or a key that is not an integer or text")
    try:
        canonical = dumps(obj)
    except Exception:
        raise FormatProblem("claims", "payload holds values that cannot be re-encoded") from None
    if canonical != payload:
        raise FormatProblem("claims", "payload CBOR is not deterministically encoded")
    for key, ok in _CLAIM_CHECKS.items():
        if key not in obj:
            raise FormatProblem("claims", f"claim {key} is missing")
        if not ok(obj[key]):
            raise FormatProblem("claims", f"claim {key} has the wrong type or value")
    return _claims_of(obj)


def _claims_of(obj: Mapping[Any, Any]) -> Claims:
    return Claims(
        issuer=obj[K_ISSUER], expires=obj[K_EXPIRES], issued_at=obj[K_ISSUED],
        serial=obj[K_SERIAL], name=obj[K_NAME], masked_id=obj[K_MASKED_ID],
        colour=_COLOURS[obj[K_COLOUR]], category=_CATEGORIES[obj[K_CATEGORY]],
        rules_version=obj[K_RULES],
    )


# the claim keys in the bytewise order of their encodings (01 04 06 07 20 21 22 23 24)
_CLAIM_ORDER = (K_ISSUER, K_EXPIRES, K_ISSUED, K_SERIAL, K_NAME, K_MASKED_ID, K_COLOUR,
                K_CATEGORY, K_RULES)
# the keys must be ints, not merely equal to them: cbor2's simple value 4 (0xe4) equals and
# hashes as 4, re-encodes to itself, and is no claim key (found by hypothesis)
_CLAIM_KEY_TYPES = (int,) * len(_CLAIM_ORDER)


def _usual_claims(o: dict[Any, Any]) -> bool:
    """The checks of ``_CLAIM_CHECKS`` in one expression, for the quick path."""
    issuer, expires, issued, serial, name, masked, colour, category, rules = o.values()
    return (type(issuer) is str and 0 < len(issuer) <= 16 and type(expires) is int
            and 0 <= expires < MAX_UINT and type(issued) is int and 0 <= issued < MAX_UINT
            and type(serial) is bytes and len(serial) == 8 and type(name) is str
            and bool(name) and type(masked) is str and len(masked) == 18
            and type(colour) is int and colour in (0, 1, 2) and type(category) is int
            and category in (0, 1, 2) and type(rules) is bytes and len(rules) == 4)


_COLOURS = {int(c): c for c in Colour}  # claim value → member, quicker than calling the enum
_CATEGORIES = {int(c): c for c in Category}


def protected_header(kid: bytes) -> bytes:
    return dumps({1: ALG_EDDSA, 4: kid})


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """The bytes Ed25519 signs (RFC 9052 §4.4): ["Signature1", protected, h'', payload] in
    deterministic CBOR, put together directly (tests compare it with cbor2's encoding)."""
    return (_SIG1_HEAD + head(2, len(protected)) + protected + b"\x40"
            + head(2, len(payload)) + payload)


@functools.lru_cache(maxsize=16)
def _serial_key(seed: bytes) -> bytes:
    """Per signing key, made once: the key of the serial MAC."""
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"passgen serial v1").derive(seed)


@functools.lru_cache(maxsize=16)
def _protected(kid: bytes) -> bytes:
    return protected_header(kid)


def serial_for(key: Ed25519PrivateKey, id_number: str, context: bytes) -> bytes:
    """An 8-byte card serial: deterministic for the same key, resident and claims, but not
    computable without the private key (so a serial never reveals the ID number)."""
    mac_key = _serial_key(key.private_bytes_raw())
    return hmac.new(mac_key, id_number.encode() + b"\0" + context, hashlib.sha256).digest()[:8]


def sign_cose(payload: bytes, key: Ed25519PrivateKey, kid: bytes) -> bytes:
    """COSE_Sign1 of ``payload`` by ``key``, whose key id ``kid`` goes in the header (the
    key's trust entry holds it: ``SigningKey.entry.kid``)."""
    protected = _protected(kid)
    return envelope(protected, payload, key.sign(sig_structure(protected, payload)))


NOT_THE_ONE_ENCODING = "COSE_Sign1 is not written in its one encoding (DESIGN.md §5)"


def envelope(protected: bytes, payload: bytes, signature: bytes) -> bytes:
    """tag 18 [protected, {}, payload, signature] in deterministic CBOR: the one encoding of a
    COSE_Sign1 both verifiers accept (tests compare it with cbor2's ``dumps``)."""
    return (b"\xd2\x84" + head(2, len(protected)) + protected + b"\xa0"
            + head(2, len(payload)) + payload + head(2, len(signature)) + signature)


def sign(claims: Claims, key: Ed25519PrivateKey, kid: bytes) -> str:
    """The PG1 text of ``claims`` signed with ``key`` (key id ``kid``)."""
    return PREFIX + b45encode(sign_cose(encode_claims(claims), key, kid))


@dataclass(frozen=True)
class Unpacked:
    """A structurally sound COSE_Sign1 taken out of PG1 text, not yet verified."""

    cose: bytes
    protected: bytes
    kid: bytes
    payload: bytes
    signature: bytes

    @property
    def signed_bytes(self) -> bytes:
        return sig_structure(self.protected, self.payload)


_SIG1_HEAD = b"\x84\x6aSignature1"  # array(4), text(10)


def unbase45(text: str) -> bytes:
    """Text after the prefix → COSE bytes (FormatProblem if not Base45 or too long)."""
    if not text.startswith(PREFIX):
        raise FormatProblem("prefix", "does not start with PG1:")
    if len(text) > MAX_TEXT:
        raise FormatProblem("base45", f"longer than {MAX_TEXT} characters")
    try:
        return b45decode(text[len(PREFIX):])
    except ValueError:
        raise FormatProblem("base45", "not valid Base45") from None


def unpack(text: str) -> Unpacked:
    """Check prefix, Base45 and COSE_Sign1 structure; raise FormatProblem on any fault."""
    return unpack_cose(unbase45(text))


_USUAL_HEAD = b"\xd2\x84\x4d" + _PROTECTED_PREFIX  # tag 18, array(4), bstr(13) header


def _unpack_usual(cose: bytes) -> Unpacked | None:
    """The layout every pass passgen signs has, read by slicing: tag 18, [bstr(13)
    {1: -8, 4: kid}, {}, bstr payload (shortest length form), bstr(64) signature].  Anything
    else returns None and takes the general path, which decides exactly as before."""
    if not cose.startswith(_USUAL_HEAD) or len(cose) < 84 or cose[16] != 0xA0:
        return None
    head = cose[17]
    if 0x40 <= head < 0x58:
        start, size = 18, head - 0x40
    elif head == 0x58 and cose[18] >= 24:
        start, size = 19, cose[18]
    elif head == 0x59 and cose[18] > 0:
        start, size = 20, int.from_bytes(cose[18:20], "big")
    else:
        return None
    end = start + size
    if len(cose) != end + 66 or cose[end:end + 2] != b"\x58\x40":
        return None
    return Unpacked(cose, cose[3:16], cose[8:16], cose[start:end], cose[end + 2:])


def unpack_cose(cose: bytes) -> Unpacked:
    """Check the COSE_Sign1 structure of DESIGN.md §5 (also used by revocation lists)."""
    return _unpack_usual(cose) or _unpack_general(cose)


def _unpack_general(cose: bytes) -> Unpacked:
    obj = loads_exact(cose)
    if not isinstance(obj, cbor2.CBORTag) or obj.tag != COSE_SIGN1_TAG:
        raise FormatProblem("cose", "not a COSE_Sign1 (CBOR tag 18)")
    parts = obj.value
    if not isinstance(parts, (list, tuple)) or len(parts) != 4:
        raise FormatProblem("cose", "COSE_Sign1 is not an array of 4")
    protected, unprotected, payload, signature = parts
    if not (isinstance(protected, bytes) and isinstance(payload, bytes)
            and isinstance(signature, bytes) and isinstance(unprotected, Mapping)):
        raise FormatProblem("cose", "COSE_Sign1 members have the wrong types")
    if len(signature) != 64:
        raise FormatProblem("cose", "signature is not 64 bytes")
    if len(protected) == 13 and protected.startswith(_PROTECTED_PREFIX):
        kid = protected[5:]  # exactly {1: -8, 4: 8-byte kid}: the only form PG1 allows
        if unprotected:
            raise FormatProblem("cose", "unprotected header is not empty")
        if envelope(protected, payload, signature) != cose:
            # the same four members written another way (indefinite or long lengths, tag 18
            # written long, another tag around it…): one card has one text (#37 finding 2)
            raise FormatProblem("cose", NOT_THE_ONE_ENCODING)
        return Unpacked(cose, protected, kid, payload, signature)
    header = loads_exact(protected, "cose")
    if not isinstance(header, Mapping):
        raise FormatProblem("cose", "protected header is not a map")
    if header.get(1) != ALG_EDDSA:
        raise FormatProblem("cose", "protected header alg is not EdDSA (-8)")
    found = header.get(4)
    if not isinstance(found, bytes):
        raise FormatProblem("cose", "protected header has no kid")
    if len(found) != 8:
        raise FormatProblem("cose", "kid is not 8 bytes")
    # any other header that decodes is not exactly {1: -8, 4: kid} in deterministic form
    raise FormatProblem("cose", "protected header is not exactly {1: -8, 4: kid}")
