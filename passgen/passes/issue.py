"""Issue a card: a resident and their assessment → signed claims and PG1 text."""

from __future__ import annotations

import datetime as dt

from passgen.dates import day_start
from passgen.models import Assessment, Card, Claims, Resident
from passgen.passes import pg1
from passgen.passes.keys import SigningKey

DEFAULT_VALID_DAYS = 7


def issue(resident: Resident, assessment: Assessment, key: SigningKey, as_of: dt.date,
          valid_days: int = DEFAULT_VALID_DAYS, issuance: int = 0,
          serial_context: bytes = b"") -> Card:
    """Sign a card valid from 00:00 of ``as_of`` through the end of ``as_of + valid_days``
    (Asia/Shanghai).  Same inputs and key give the same serial and the same bytes; with a
    ledger, ``issuance`` and ``serial_context`` (``jobs.ledger_facts.serial_context``) make
    the serial this issuance's own, a re-issue on the same day included (DESIGN.md §5)."""
    last_day = as_of + dt.timedelta(days=valid_days)
    issued_at = day_start(as_of)
    expires = pg1.expires_after(last_day)
    context = pg1.dumps([key.entry.issuer, issued_at, expires, int(assessment.colour),
                         int(resident.category), assessment.rules_version, resident.name]) \
        + serial_context
    claims = Claims(
        issuer=key.entry.issuer, expires=expires, issued_at=issued_at,
        serial=pg1.serial_for(key.private_key, resident.id_number, context),
        name=resident.name, masked_id=resident.masked_id, colour=assessment.colour,
        category=resident.category, rules_version=assessment.rules_version,
    )
    return Card(resident, assessment, claims, pg1.sign(claims, key.private_key, key.entry.kid),
                issuance)
