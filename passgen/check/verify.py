"""Verify PG1 text against a trust list at a given time: a verdict value, never an exception.

Order of checks (docs/FORMAT.md): format → key known → signature → claims → key window
→ validity window.  The first that fails decides the status; every fact is kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from passgen.dates import day_of
from passgen.models import Claims
from passgen.passes import pg1
from passgen.passes.keys import TrustList
from passgen.passes.revocation import NO_REVOCATIONS, Revocations

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


def verify(text: str, trust: TrustList, at: dt.datetime,
           revoked: Revocations = NO_REVOCATIONS) -> VerifyResult:
    """Judge one PG1 text.  ``at`` must be timezone-aware."""
    try:
        unpacked = pg1.unpack(text.strip())
    except pg1.FormatProblem as exc:
        return VerifyResult(MALFORMED, str(exc), decoded=exc.stage == "cose")
    kid = unpacked.kid
    entry = trust.find(kid)
    if entry is None:
        return VerifyResult(UNKNOWN_KEY, f"key {kid.hex()} is not in the trust list",
                            decoded=True, structure_ok=True, kid=kid)
    if not entry.signature_ok(unpacked.signature, unpacked.signed_bytes):
        return VerifyResult(BAD_SIGNATURE, "signature does not match", decoded=True,
                            structure_ok=True, key_known=True, kid=kid)
    def signed(status: str, reason: str, claims: Claims | None = None, window: bool = False,
               validity: bool = False, revoked: bool = False) -> VerifyResult:
        return VerifyResult(status, reason, True, True, True, True, window, validity, revoked,
                            claims, kid)

    try:
        claims = pg1.decode_claims(unpacked.payload)
    except pg1.FormatProblem as exc:
        return signed(MALFORMED, str(exc))
    if claims.issuer != entry.issuer:
        return signed(UNKNOWN_KEY, f"key belongs to {entry.issuer}, not {claims.issuer}", claims)
    if not entry.not_before <= day_of(claims.issued_at) <= entry.not_after:
        return signed(UNKNOWN_KEY, "signed outside the key's validity window", claims)
    if revoked.covers(claims):
        return signed(REVOKED, "card serial is on the revocation list", claims, window=True,
                      revoked=True)
    now = int(at.timestamp())
    if now < claims.issued_at:
        return signed(NOT_YET_VALID, "issued later than the checking time", claims, window=True)
    if now >= claims.expires:
        return signed(EXPIRED, f"expired at the end of {pg1.last_valid_day(claims)}", claims,
                      window=True)
    return signed(VALID, "genuine and in date", claims, window=True, validity=True)
