"""Verify PG1 text against a trust list at a given time: a verdict value, never an exception.

Order of checks (docs/FORMAT.md): format → key known → signature → claims → key window
→ validity window.  The first that fails decides the status; every fact is kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from passgen import pg1
from passgen.dates import day_of
from passgen.keys import TrustList
from passgen.models import Claims

VALID = "valid"
EXPIRED = "expired"
NOT_YET_VALID = "not-yet-valid"
REVOKED = "revoked"
BAD_SIGNATURE = "bad-signature"
UNKNOWN_KEY = "unknown-key"
MALFORMED = "malformed"
STATUSES = (VALID, EXPIRED, NOT_YET_VALID, REVOKED, BAD_SIGNATURE, UNKNOWN_KEY, MALFORMED)


@dataclass(frozen=True)
class VerifyResult:
    """Separate facts about one pass and the bottom line ``status``."""

    status: str
    reason: str
    decoded: bool = False
    structure_ok: bool = False
    key_known: bool = False
    signature_valid: bool = False
    within_key_window: bool = False
    within_validity: bool = False
    revoked: bool = False
    claims: Claims | None = None
    kid: bytes | None = None

    @property
    def valid(self) -> bool:
        return self.status == VALID


def _ed25519_ok(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """The one place Ed25519 verification runs; a failure is a value, not an exception."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify(text: str, trust: TrustList, at: dt.datetime,
           revoked: frozenset[bytes] = frozenset()) -> VerifyResult:
    """Judge one PG1 text.  ``at`` must be timezone-aware."""
    try:
        unpacked = pg1.unpack(text.strip())
    except pg1.FormatProblem as exc:
        return VerifyResult(MALFORMED, str(exc))
    facts = VerifyResult(UNKNOWN_KEY, "", decoded=True, structure_ok=True, kid=unpacked.kid)
    entry = trust.find(unpacked.kid)
    if entry is None:
        return replace(facts, reason=f"key {unpacked.kid.hex()} is not in the trust list")
    facts = replace(facts, key_known=True)
    if not _ed25519_ok(entry.public_key, unpacked.signature, unpacked.signed_bytes):
        return replace(facts, status=BAD_SIGNATURE, reason="signature does not match")
    facts = replace(facts, signature_valid=True)
    try:
        claims = pg1.decode_claims(unpacked.payload)
    except pg1.FormatProblem as exc:
        return replace(facts, status=MALFORMED, reason=str(exc))
    facts = replace(facts, claims=claims)
    if claims.issuer != entry.issuer:
        return replace(facts, reason=f"key belongs to {entry.issuer}, not {claims.issuer}")
    if not entry.not_before <= day_of(claims.issued_at) <= entry.not_after:
        return replace(facts, reason="signed outside the key's validity window")
    facts = replace(facts, within_key_window=True)
    if claims.serial in revoked:
        return replace(facts, status=REVOKED, reason="card serial is on the revocation list",
                       revoked=True)
    now = int(at.timestamp())
    if now < claims.issued_at:
        return replace(facts, status=NOT_YET_VALID, reason="issued later than the checking time")
    if now >= claims.expires:
        return replace(facts, status=EXPIRED,
                       reason=f"expired at the end of {pg1.last_valid_day(claims)}")
    return replace(facts, status=VALID, reason="genuine and in date", within_validity=True)
