"""Verify PG1 text against a trust list at a given time: a verdict value, never an exception.

Order of checks (docs/FORMAT.md): format → key known → signature → claims → key window
(the issue day inside it, the validity no longer than the key's ``max_validity_days``) →
validity window.  The first that fails decides the status; every fact is kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from passgen.models import Claims
from passgen.passes import pg1
from passgen.passes.keys import TrustList
from passgen.passes.revocation import NO_REVOCATIONS, Revocations


class Verdict(StrEnum):
    """The bottom line of one pass (DESIGN.md §7); the values are the words of
    ``verify --json`` and the checkpoint log."""

    VALID = "valid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    REVOKED = "revoked"
    BAD_SIGNATURE = "bad-signature"
    UNKNOWN_KEY = "unknown-key"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class VerifyResult:
    """Separate facts about one pass and the bottom line ``status``."""

    status: Verdict
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
        return self.status is Verdict.VALID


def verify(text: str, trust: TrustList, at: dt.datetime,
           revoked: Revocations = NO_REVOCATIONS) -> VerifyResult:
    """Judge one PG1 text.  ``at`` must be timezone-aware."""
    try:
        unpacked = pg1.unpack(text.strip())
    except pg1.FormatProblem as exc:
        return VerifyResult(Verdict.MALFORMED, str(exc), decoded=exc.stage == "cose")
    kid = unpacked.kid
    entry = trust.find(kid)
    if entry is None:
        return VerifyResult(Verdict.UNKNOWN_KEY, f"key {kid.hex()} is not in the trust list",
                            decoded=True, structure_ok=True, kid=kid)
    if not entry.signature_ok(unpacked.signature, unpacked.signed_bytes):
        return VerifyResult(Verdict.BAD_SIGNATURE, "signature does not match", decoded=True,
                            structure_ok=True, key_known=True, kid=kid)

    def signed(status: Verdict, reason: str, claims: Claims | None = None, window: bool = False,
               validity: bool = False, revoked: bool = False) -> VerifyResult:
        """A result for a pass whose signature is good."""
        return VerifyResult(status, reason, decoded=True, structure_ok=True, key_known=True,
                            signature_valid=True, within_key_window=window,
                            within_validity=validity, revoked=revoked, claims=claims, kid=kid)

    try:
        claims = pg1.decode_claims(unpacked.payload)
    except pg1.FormatProblem as exc:
        return signed(Verdict.MALFORMED, str(exc))
    if claims.issuer != entry.issuer:
        return signed(Verdict.UNKNOWN_KEY, f"key belongs to {entry.issuer}, not {claims.issuer}", claims)
    if not entry.covers(claims.issued_at):
        return signed(Verdict.UNKNOWN_KEY, "signed outside the key's validity window", claims)
    problem = entry.validity_problem(claims.issued_at, claims.expires)
    if problem is not None:  # more than the key may sign: minted with a stolen or old key
        return signed(Verdict.UNKNOWN_KEY, problem, claims)
    if kid in revoked.withdrawn:  # every card of a withdrawn key, whatever its dates
        return signed(Verdict.UNKNOWN_KEY, f"key {kid.hex()} was withdrawn by its office", claims)
    if revoked.covers(claims):
        return signed(Verdict.REVOKED, "card serial is on the revocation list", claims, window=True,
                      revoked=True)
    now = int(at.timestamp())
    if now < claims.issued_at:
        return signed(Verdict.NOT_YET_VALID, "issued later than the checking time", claims, window=True)
    if now >= claims.expires:
        return signed(Verdict.EXPIRED, f"expired at the end of {pg1.day_text(claims)}", claims,
                      window=True)
    return signed(Verdict.VALID, "genuine and in date", claims, window=True, validity=True)
