"""What a checkpoint remembers of the revocation lists it loaded (DESIGN.md §7): per office,
the newest list (an older one is refused as a rollback), each serial revoked (kept until its
card must have expired) and each key withdrawn.  One memory per user, in the state folder,
shared by verify, checkpoint and verifier-page, whatever the log."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from passgen.dates import SHANGHAI, day_start
from passgen.errors import KeyFileError
from passgen.files import atomic_write
from passgen.folders import state_dir
from passgen.passes.keys import TrustList
from passgen.passes.revocation import RevocationList, Revocations

SEEN_NAME = "revocations-seen.json"
SEEN_FORMAT = "passgen-seen/2"


def default_seen() -> Path:
    """Where the newest revocation list per office is remembered when no log says where:
    the user's state folder (``passgen.folders``; ~/.local/state/passgen on Linux)."""
    return state_dir() / SEEN_NAME


def seen_beside(log: Path) -> Path:
    """Where a gate before #37 kept its memory: beside its log.  A new log then began with
    none, and yesterday's list passed again; the memory is now the user's (``default_seen``),
    and ``fold_seen`` takes in such a file."""
    return log.with_name(f"{log.name}.{SEEN_NAME}")


def fold_seen(old: Path, into: Path) -> None:
    """Add the memory in ``old`` (a gate's, beside its log) to the memory in ``into``: the
    newest list per office and each revoked serial's date, whichever is later.  Only ever
    adds: folding again, or folding a file an attacker left, can refuse more, never less."""
    if not old.is_file():
        return
    found, known = _read_seen(old), _read_seen(into)
    merged = _copied(known)
    for issuer, item in found.items():
        entry = _entry(merged, issuer, item["generated"])
        for part in ("revoked", "withdrawn"):
            for key, until in item[part].items():
                _keep(entry[part], key, until)
    if merged != known:
        _write_seen(into, merged)


def _copied(memory: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {k: {"generated": v["generated"], "revoked": dict(v["revoked"]),
                "withdrawn": dict(v["withdrawn"])} for k, v in memory.items()}


def _entry(memory: dict[str, dict[str, Any]], issuer: str, generated: int) -> dict[str, Any]:
    """``issuer``'s memory, its newest list now at least ``generated``."""
    entry = memory.setdefault(issuer, {"generated": generated, "revoked": {}, "withdrawn": {}})
    entry["generated"] = max(entry["generated"], generated)
    return entry


def _keep(kept: dict[str, int], key: str, until: int) -> None:
    """Remember ``key`` until ``until``, or longer if it was already kept longer."""
    kept[key] = max(until, kept.get(key, 0))


def _write_seen(seen: Path, memory: dict[str, dict[str, Any]]) -> None:
    seen.parent.mkdir(parents=True, exist_ok=True)
    doc = {"format": SEEN_FORMAT, "issuers": memory}
    text = json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    atomic_write(seen, lambda tmp: tmp.write_text(text, encoding="utf-8"), 0o600)


def _read_seen(seen: Path) -> dict[str, dict[str, Any]]:
    """{issuer: {"generated": newest list's time, "revoked": {serial hex: keep until}}};
    the first form, {issuer: newest list's time}, is read too."""
    try:
        known = json.loads(seen.read_text(encoding="utf-8")) if seen.exists() else {}
        if not isinstance(known, dict):
            raise ValueError
        if known.get("format") == SEEN_FORMAT:
            issuers = known.get("issuers")
            if not isinstance(issuers, dict):
                raise ValueError
            out = {}
            for issuer, item in issuers.items():
                generated, serials = item["generated"], item["revoked"]
                withdrawn = item.get("withdrawn", {})
                if type(generated) is not int or not all(
                        isinstance(d, dict) and all(type(v) is int for v in d.values())
                        for d in (serials, withdrawn)):
                    raise ValueError
                out[str(issuer)] = {"generated": generated, "revoked": dict(serials),
                                    "withdrawn": dict(withdrawn)}
            return out
        return {str(k): {"generated": v, "revoked": {}, "withdrawn": {}}
                for k, v in known.items() if type(v) is int}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise KeyFileError(f"无法读取已加载吊销名单的记录 {seen}（可删除后重试）",
                           f"cannot read the record of revocation lists loaded, {seen} "
                           "(delete it and try again)") from None


def keep_until(trust: TrustList, issuer: str, generated: int) -> int:
    """Until when a serial revoked by ``issuer``'s list of ``generated`` must stay revoked:
    its card was issued before the list, and no card of that issuer's keys is valid longer
    than their ``max_validity_days``."""
    days = max((e.max_validity_days for e in trust.entries if e.issuer == issuer),
               default=60)
    return generated + (days + 1) * 86_400


def remember(revoked: Revocations, seen: Path, trust: TrustList,
             now: int) -> tuple[Revocations, list[str]]:
    """Refuse a list older than the newest seen for its office; remember what each list
    revoked; return the lists with every remembered, unexpired serial of their office added
    back (with a warning when a newer list dropped some), and a list for an office whose
    revocations are remembered though none was given this time."""
    known = _read_seen(seen)
    memory = _copied(known)
    _refuse_withdrawn_signers(revoked, known)
    for r in revoked.lists:
        before = known.get(r.issuer, {}).get("generated")
        if isinstance(before, int) and r.generated < before:
            raise KeyFileError(
                f"{r.issuer} 的吊销名单生成于 {when(r.generated)}，比已经加载过的 "
                f"{when(before)} 的名单旧：可能被换成了旧名单，请使用最新的名单",
                f"the revocation list of {r.issuer} is from {when(r.generated)}, older than "
                f"the one from {when(before)} loaded before: it may have been swapped "
                "for an old list; use the newest")
        entry = _entry(memory, r.issuer, r.generated)
        until = keep_until(trust, r.issuer, r.generated)
        for serial in r.serials:
            _keep(entry["revoked"], serial.hex().upper(), until)
        for kid in r.withdrawn:  # a withdrawal is kept as long as any card of the key lasts
            _keep(entry["withdrawn"], kid.hex(), withdrawn_until(trust, kid, r.generated))
    for entry in memory.values():  # a card that must have expired by now is forgotten
        entry["revoked"] = {k: v for k, v in entry["revoked"].items() if v > now}
        entry["withdrawn"] = {k: v for k, v in entry["withdrawn"].items() if v > now}
    if memory != known and revoked.lists:
        _write_seen(seen, memory)
    warnings: list[str] = []
    lists = []
    given = {r.issuer for r in revoked.lists}
    for r in revoked.lists:
        kept = {bytes.fromhex(k) for k in memory[r.issuer]["revoked"]} - r.serials
        if kept:
            warnings.append(
                f"注意：{r.issuer} 的新吊销名单去掉了 {len(kept)} 张以前吊销、尚未过期的卡，它们仍按"
                f"已吊销处理（吊销在卡片过期前一直有效） / warning: the new revocation list of "
                f"{r.issuer} drops {len(kept)} unexpired cards an earlier list revoked; they "
                "stay revoked (a revocation lasts until the card expires)")
        lists.append(RevocationList(r.issuer, r.generated, r.serials | kept,
                                    r.withdrawn | _kids(memory[r.issuer]), r.kid))
    trusted = {e.issuer for e in trust.entries}
    for issuer, entry in memory.items():  # remembered, though no list was given this time
        if issuer not in given and issuer in trusted and (entry["revoked"] or entry["withdrawn"]):
            lists.append(RevocationList(issuer, entry["generated"], frozenset(
                bytes.fromhex(k) for k in entry["revoked"]), _kids(entry)))
    for kid in sorted(frozenset().union(*(r.withdrawn for r in lists))):
        if (e := trust.find(kid)) is not None:
            warnings.append(f"注意：{e.issuer} 已撤回密钥 {kid.hex()}，用它签发的卡一律不得通行 / "
                            f"{e.issuer} withdrew key {kid.hex()}: every card it signed is "
                            "refused")
    return Revocations(tuple(lists)), warnings


def _kids(entry: dict[str, Any]) -> frozenset[bytes]:
    return frozenset(bytes.fromhex(k) for k in entry["withdrawn"])


def withdrawn_until(trust: TrustList, kid: bytes, generated: int) -> int:
    """Until when a withdrawal must be kept: until the last card the key could have signed
    has expired (its window's end plus its longest validity), or a year for a key this
    trust list does not hold."""
    entry = trust.find(kid)
    if entry is None:
        return generated + 366 * 86_400
    return day_start(entry.not_after) + (entry.max_validity_days + 2) * 86_400


def _refuse_withdrawn_signers(revoked: Revocations, known: dict[str, dict[str, Any]]) -> None:
    """A list signed by a withdrawn key is refused: whoever holds that key now could use it
    to drop revocations (withdrawals seen before, or in the lists given now, count)."""
    withdrawn = revoked.withdrawn | frozenset().union(*(_kids(v) for v in known.values()))
    for r in revoked.lists:
        if r.kid in withdrawn:
            raise KeyFileError(
                f"{r.issuer} 的吊销名单是用已撤回的密钥 {r.kid.hex()} 签的，不能相信：请向办公室索取用新密钥"
                "导出的名单",
                f"the revocation list of {r.issuer} is signed by the withdrawn key "
                f"{r.kid.hex()} and cannot be trusted: ask the office for one exported with "
                "its new key")



def when(unix: int) -> str:
    """A unix time as Asia/Shanghai "YYYY-MM-DD HH:MM", or the number when out of range."""
    try:
        return f"{dt.datetime.fromtimestamp(unix, SHANGHAI):%Y-%m-%d %H:%M}"
    except (OverflowError, ValueError, OSError):
        return str(unix)
