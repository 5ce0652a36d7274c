"""Revocation: ``passgen revoke`` marks cards in the ledger, ``passgen revocations export``
signs the office's list of revoked, unexpired cards for checkpoints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from passgen.dates import SHANGHAI
from passgen.errors import KeyFileError, LedgerError
from passgen.files import atomic_write
from passgen.jobs.ledger import Ledger, parse_serial
from passgen.models import short_serial
from passgen.passes import revocation
from passgen.passes.keys import load_office_key


@dataclass(frozen=True)
class Exported:
    path: Path
    cards: int
    size: int = 0  # bytes of the list written
    withdrawn: int = 0  # keys it withdraws


class NewLedger(LedgerError):
    """A ledger in which this key signed no card: exported only when the office says it is
    new (``allow_new_ledger``)."""


class DroppedRevocations(LedgerError):
    """A list that would drop unexpired cards an earlier list revoked (``allow_drop``)."""


class OutsideKeyWindow(KeyFileError):
    """A list made at a time outside the key's window: every checkpoint would refuse it."""


def export_revocations(key_path: Path, passphrase: Callable[[], bytes], ledger_path: Path,
                       out_path: Path, at: dt.datetime, allow_new_ledger: bool = False,
                       allow_drop: bool = False) -> Exported:
    """Sign the list of this office's revoked cards that have not expired by ``at`` and
    write it to ``out_path``.  A checkpoint takes a newer list in place of an older one, so
    a list that forgets a revocation would undo it where the checkpoint is new: a ledger in
    which this key signed no card (empty, fresh, another office's) is refused unless
    ``allow_new_ledger``, and a list that drops an unexpired card an earlier export held
    unless ``allow_drop`` (checkpoints keep such a card revoked all the same)."""
    key = load_office_key(key_path, passphrase)
    e = key.entry
    if not e.not_before <= at.astimezone(SHANGHAI).date() <= e.not_after:
        raise OutsideKeyWindow(
            f"生成时间 {at:%Y-%m-%d} 不在密钥有效期 {e.not_before} 至 {e.not_after} 内，检查点会拒绝"
            "这份名单：请用当前有效的密钥，或用 --at 指定有效期内的时间",
            f"{at:%Y-%m-%d} is outside the key's window {e.not_before}..{e.not_after}, so "
            "every checkpoint would refuse the list: use the current key, or --at a time "
            "inside its window")
    moment = int(at.timestamp())
    if not ledger_path.is_file() and not allow_new_ledger:
        raise NewLedger(*_not_this_office(ledger_path, e.issuer))
    with Ledger(ledger_path) as ledger:
        if not ledger.signed_by(e.kid) and not allow_new_ledger:
            raise NewLedger(*_not_this_office(ledger_path, e.issuer))
        serials = ledger.revoked_serials(e.issuer, moment)
        dropped = ledger.exported_unexpired(e.issuer, moment) - set(serials)
        if dropped and not allow_drop:
            shown = "、".join(short_serial(s) for s in sorted(dropped)[:3]) + \
                ("…" if len(dropped) > 3 else "")
            raise DroppedRevocations(
                f"新名单会去掉 {len(dropped)} 张以前的名单吊销过、尚未过期的卡（{shown}）：检查点仍会"
                "把它们当作已吊销，但这通常说明登记册不对（换了电脑、恢复了旧备份）。请用原来的登记册；"
                "确需如此时加 --allow-drop",
                f"the new list would drop {len(dropped)} unexpired cards an earlier list revoked "
                f"({', '.join(short_serial(s) for s in sorted(dropped)[:3])}): checkpoints keep "
                "them revoked, but this usually means the wrong ledger (another computer, an "
                "old backup). Use the office's ledger, or add --allow-drop if it is meant")
        withdrawn = withdrawn_keys(ledger, e.issuer)
        if e.kid in withdrawn:
            raise KeyFileError(
                f"这把密钥（{e.kid.hex()}）已经撤回，检查点不再相信它签的名单：请用新密钥导出",
                f"this key ({e.kid.hex()}) was withdrawn: checkpoints no longer trust lists "
                "it signs. Export with the new key")
        text = revocation.build(key, serials, moment, withdrawn)
        atomic_write(out_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        ledger.record_export(e.issuer, serials, moment)
    return Exported(out_path, len(serials), len(text.encode()), len(withdrawn))


def withdrawn_keys(ledger: Ledger, issuer: str) -> list[bytes]:
    """The key ids ``issuer`` withdrew, in the ledger."""
    return [bytes(k) for (k,) in ledger.db.execute(
        "SELECT kid FROM withdrawn WHERE issuer = ? ORDER BY kid", (issuer,))]


def withdraw_key(path: Path, kid_text: str, reason: str, now: int) -> str:
    """``passgen keys withdraw``: record that the office withdraws one of its keys (lost,
    stolen, or retired early); every later export names it, and every checkpoint that loads
    such a list refuses every card the key signed.  Returns the key's issuer."""
    try:
        kid = bytes.fromhex(kid_text.replace("-", "").strip())
        if len(kid) != 8:
            raise ValueError
    except ValueError:
        raise LedgerError(f"密钥编号 {kid_text!r} 不对：应是 16 位十六进制（passgen keys show 显示的 kid）",
                          f"key id {kid_text!r} is not 16 hexadecimal digits (the kid "
                          "passgen keys show prints)") from None
    with Ledger(path) as ledger:
        found = ledger.db.execute("SELECT issuer FROM cards WHERE kid = ? LIMIT 1",
                                  (kid,)).fetchone()
        if found is None:
            raise LedgerError(f"登记册 {path} 里没有密钥 {kid.hex()} 签发的卡：只能撤回本办公室用过的密钥",
                              f"ledger {path} holds no card signed by key {kid.hex()}: an "
                              "office can withdraw only a key it used")
        with ledger.db:
            ledger.db.execute("INSERT OR IGNORE INTO withdrawn VALUES (?, ?, ?, ?)",
                              (kid, found[0], now, reason))
    return str(found[0])


def _not_this_office(ledger: Path, issuer: str) -> tuple[str, str]:
    return (f"登记册 {ledger} 里没有这把密钥签发的卡（新的、空的或别的办公室的登记册）：导出的空名单会让检查点"
            f"忘掉 {issuer} 以前吊销的卡。请用制卡时的登记册（--ledger）；确是新办公室时加 "
            "--allow-new-ledger",
            f"ledger {ledger} holds no card signed by this key (a new, empty or another "
            f"office's ledger): its list would make checkpoints forget what {issuer} revoked "
            "before. Use the ledger the cards were made with (--ledger), or add "
            "--allow-new-ledger for a new office")


def revoke_cards(path: Path, serials: Sequence[str], reason: str, now: int) -> list[bytes]:
    """``passgen revoke``: revoke cards by serial; if any is unknown, nothing is revoked.
    Returns the serials revoked."""
    wanted = [parse_serial(s) for s in serials]
    with Ledger(path) as ledger:
        unknown = ledger.revoke(wanted, reason, now)
    if unknown:
        names = ", ".join(s.hex().upper() for s in unknown)
        raise LedgerError(f"登记册中没有这些卡片，未吊销任何卡片：{names}",
                          f"the ledger has no card {names}; nothing was revoked")
    return wanted
