"""Signed revocation lists: which unexpired cards an office has revoked (docs/FORMAT.md §11).

The list is JSON for people, with the signed content in a COSE_Sign1 (the same Ed25519
office key and header as a pass).  Checkpoints trust only the signed content, and refuse a
list whose readable fields disagree with it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from passgen.dates import SHANGHAI
from passgen.errors import KeyFileError
from passgen.models import Claims
from passgen.passes import pg1
from passgen.passes.keys import SigningKey, TrustEntry, TrustList, read_bounded

FORMAT = "passgen-revocations/1"


@dataclass(frozen=True)
class RevocationList:
    """One office's signed list: the cards it revoked, and the keys it withdrew (every card
    a withdrawn key signed is refused, whatever its dates: DESIGN.md §7)."""

    issuer: str
    generated: int  # unix seconds
    serials: frozenset[bytes]
    withdrawn: frozenset[bytes] = frozenset()  # key ids
    kid: bytes = b""  # of the key that signed it


@dataclass(frozen=True)
class Revocations:
    """Every list a checkpoint loaded; a serial counts only against its own issuer."""

    lists: tuple[RevocationList, ...] = ()

    def covers(self, claims: Claims) -> bool:
        return any(r.issuer == claims.issuer and claims.serial in r.serials for r in self.lists)

    def stale(self, now: int, max_age_hours: float) -> list[RevocationList]:
        return [r for r in self.lists if now - r.generated > max_age_hours * 3600]

    @functools.cached_property
    def withdrawn(self) -> frozenset[bytes]:
        """Every key id a list withdrew."""
        return frozenset().union(*(r.withdrawn for r in self.lists))


NO_REVOCATIONS = Revocations()


def _payload(issuer: str, generated: int, serials: Sequence[bytes],
             withdrawn: Sequence[bytes] = ()) -> bytes:
    content: dict[int, object] = {1: issuer, 2: generated, 3: sorted(serials)}
    if withdrawn:  # a list without withdrawals is written as before them
        content[4] = sorted(withdrawn)
    return pg1.dumps(content)


def build(key: SigningKey, serials: Iterable[bytes], generated: int,
          withdrawn: Iterable[bytes] = ()) -> str:
    """The JSON text of a signed list; ``withdrawn``: key ids of this office's keys that it
    withdraws (the signing key itself, or older ones)."""
    ordered = sorted(set(serials))
    kids = sorted(set(withdrawn))
    cose = pg1.sign_cose(_payload(key.entry.issuer, generated, ordered, kids),
                         key.private_key, key.entry.kid)
    doc = {
        "format": FORMAT,
        "issuer": key.entry.issuer,
        "kid": key.entry.kid.hex(),
        "generated": dt.datetime.fromtimestamp(generated, SHANGHAI).isoformat(),
        "count": len(ordered),
        "serials": [s.hex().upper() for s in ordered],
        **({"withdrawn_keys": [k.hex() for k in kids]} if kids else {}),
        "cose": base64.b64encode(cose).decode(),
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def _refuse(path: str, zh: str, en: str) -> KeyFileError:
    return KeyFileError(f"吊销名单 {path}：{zh}", f"revocation list {path}: {en}")


def parse(text: str, trust: TrustList, origin: str = "revocations") -> RevocationList:
    """Check a list's signature against the trust list; any fault raises KeyFileError."""
    try:
        doc = json.loads(text)
        cose = base64.b64decode(doc["cose"], validate=True)
        unpacked = pg1.unpack_cose(cose)
    except (ValueError, KeyError, TypeError, binascii.Error, pg1.FormatProblem, RecursionError):
        raise _refuse(origin, "格式错误", "malformed") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _refuse(origin, "不是passgen吊销名单", f"not a {FORMAT} document")
    entry = trust.find(unpacked.kid)
    if entry is None:
        raise _refuse(origin, "签名密钥不在信任列表中", "signed by a key that is not trusted")
    if not entry.signature_ok(unpacked.signature, unpacked.signed_bytes):
        raise _refuse(origin, "签名无效（名单被改动过）", "bad signature: the list was altered")
    try:
        signed = pg1.loads_exact(unpacked.payload, "claims")
        issuer, generated, serials = signed[1], signed[2], list(signed[3])
        withdrawn = list(signed.get(4, ()))
        if pg1.dumps(signed) != unpacked.payload or set(signed) not in ({1, 2, 3},
                                                                        {1, 2, 3, 4}):
            raise ValueError
        if not all(isinstance(s, bytes) and len(s) == 8 for s in serials + withdrawn):
            raise ValueError
        if 4 in signed and not withdrawn:
            raise ValueError
    except (pg1.FormatProblem, KeyError, TypeError, ValueError):
        raise _refuse(origin, "签名内容格式错误", "signed content is malformed") from None
    if issuer != entry.issuer or type(generated) is not int or not entry.covers(generated):
        raise _refuse(origin, "密钥不属于该机构或不在有效期内",
                      "the key does not belong to this issuer or was not valid then")
    readable = (doc.get("issuer"), doc.get("serials"), doc.get("count"),
                doc.get("withdrawn_keys", []))
    if readable != (issuer, [s.hex().upper() for s in serials], len(serials),
                    [k.hex() for k in withdrawn]):
        raise _refuse(origin, "可读部分与签名内容不一致", "the readable fields disagree with the "
                      "signed content")
    for kid in withdrawn:
        _check_withdrawal(trust, entry, kid, origin)
    return RevocationList(issuer, generated, frozenset(serials), frozenset(withdrawn),
                          entry.kid)


def _check_withdrawal(trust: TrustList, signer: TrustEntry, kid: bytes, origin: str) -> None:
    """A key may withdraw an older key of its own office, nothing else: a stolen old key must
    not be able to withdraw the office's new one, and a key that withdrew itself would sign a
    list no checkpoint may trust."""
    target = trust.find(kid)
    if target is None:
        return  # not trusted here anyway
    if target.issuer != signer.issuer:
        raise _refuse(origin, f"撤回了别的机构（{target.issuer}）的密钥 {kid.hex()}",
                      f"it withdraws key {kid.hex()} of another office ({target.issuer})")
    if target.not_before > signer.not_before or target.kid == signer.kid:
        raise _refuse(origin, f"撤回了密钥 {kid.hex()}，它不比签名的密钥更早（只能用新密钥撤回更早的密钥）",
                      f"it withdraws key {kid.hex()}, which is not older than the signing key "
                      "(a newer key withdraws older ones)")


def load(paths: Sequence[Path], trust: TrustList) -> Revocations:
    lists = []
    for path in paths:
        try:
            text = read_bounded(path)
        except (OSError, ValueError):
            raise _refuse(str(path), "无法读取", "cannot be read") from None
        lists.append(parse(text, trust, str(path)))
    return Revocations(tuple(lists))
