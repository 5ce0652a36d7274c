"""Verify every code found in a set of inputs: the library behind ``passgen verify``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from passgen.check import scan
from passgen.check.verify import MALFORMED, VerifyResult, verify
from passgen.dates import SHANGHAI
from passgen.passes import pg1
from passgen.passes.keys import TrustList
from passgen.passes.revocation import NO_REVOCATIONS, Revocations


@dataclass(frozen=True)
class Checked:
    """One code found in an input and its verdict."""

    source: str
    result: VerifyResult

    def to_json(self) -> dict[str, Any]:
        c = self.result.claims
        expires = (dt.datetime.fromtimestamp(c.expires, SHANGHAI).isoformat() if c else None)
        return {
            "source": self.source,
            "status": self.result.status,
            "color": c.colour.english if c else None,
            "serial": c.serial.hex().upper() if c else None,
            "name": c.name if c else None,
            "expires": expires,
            "valid_until": pg1.last_valid_day(c).isoformat() if c else None,
            "masked_id": c.masked_id if c else None,
            "issuer": c.issuer if c else None,
            "reason": self.result.reason,
        }


def check_found(found: Sequence[scan.Found], trust: TrustList, at: dt.datetime,
                revoked: Revocations = NO_REVOCATIONS) -> list[Checked]:
    out = []
    for f in found:
        if not f.text:
            out.append(Checked(f.source, VerifyResult(MALFORMED, "no readable QR code found")))
        else:
            out.append(Checked(f.source, verify(f.text, trust, at, revoked)))
    return out


def check_paths(paths: Sequence[Path], trust: TrustList, at: dt.datetime,
                dpi: int = scan.DEFAULT_DPI) -> list[Checked]:
    found: list[scan.Found] = []
    for path in paths:
        found.extend(scan.from_path(path, dpi))
    return check_found(found, trust, at)
