"""Verify every code found in a set of inputs: the library behind ``passgen verify``."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from passgen.check import (
    DEFAULT_REVOCATION_MAX_AGE_HOURS,  # noqa: E402 (re-exported)
    scan,
)
from passgen.check.verify import Verdict, VerifyResult, verify
from passgen.dates import SHANGHAI
from passgen.errors import KeyFileError
from passgen.files import atomic_write
from passgen.folders import state_dir
from passgen.passes import pg1, revocation
from passgen.passes.keys import TrustList, demo_entries, read_trust
from passgen.passes.revocation import NO_REVOCATIONS, RevocationList, Revocations

SEEN_NAME = "revocations-seen.json"


@dataclass(frozen=True)
class Checked:
    """One code found in an input and its verdict."""

    source: str
    result: VerifyResult

    def to_json(self) -> dict[str, Any]:
        c = self.result.claims
        day = pg1.last_valid_day(c) if c else None
        expires = dt.datetime.fromtimestamp(c.expires, SHANGHAI).isoformat() \
            if c and day is not None else None  # None beyond the calendar
        return {
            "source": self.source,
            "status": self.result.status,
            "color": c.colour.english if c else None,
            "serial": c.serial.hex().upper() if c else None,
            "name": c.name if c else None,
            "expires": expires,
            "valid_until": day.isoformat() if day else None,
            "masked_id": c.masked_id if c else None,
            "issuer": c.issuer if c else None,
            "reason": self.result.reason,
        }


@dataclass(frozen=True)
class Lists:
    """What a checkpoint checks against, and warnings about the lists' age (never a
    refusal: an old list still protects more than none)."""

    trust: TrustList
    revoked: Revocations
    warnings: tuple[str, ...] = ()


VERDICT_WORDS = {Verdict.VALID: "有效", Verdict.EXPIRED: "已过期",
                 Verdict.NOT_YET_VALID: "尚未生效", Verdict.REVOKED: "已吊销",
                 Verdict.BAD_SIGNATURE: "签名无效", Verdict.UNKNOWN_KEY: "非受信机构",
                 Verdict.MALFORMED: "无法识别"}


@dataclass(frozen=True)
class CheckReport:
    """Every code found in the inputs of one ``verify`` run, and how many each input held."""

    checked: tuple[Checked, ...]
    warnings: tuple[str, ...] = ()
    per_input: tuple[tuple[str, int], ...] = ()  # (input, readable codes found in it)

    @property
    def all_valid(self) -> bool:
        """At least one code, and every code valid (an input without a code is not)."""
        return bool(self.checked) and all(c.result.valid for c in self.checked)

    def input_lines(self) -> list[str]:
        """Per input: how many codes were found (a photo of a sheet where only 3 of 10
        codes could be read says 3)."""
        return [f"{name}: 找到 {n} 个二维码 / {n} code{'s' if n != 1 else ''} found"
                + ("（没有可识别的二维码 / none readable）" if n == 0 else "")
                for name, n in self.per_input]

    def summary(self) -> str:
        """``共 N 张：有效 a，无效 b（…）/ N codes: a valid, b not valid``."""
        counts = Counter(c.result.status for c in self.checked)
        valid = counts.pop(Verdict.VALID, 0)
        bad = sum(counts.values())
        detail = "，".join(f"{VERDICT_WORDS[v]} {n}" for v, n in sorted(counts.items()))
        detail_en = ", ".join(f"{v} {n}" for v, n in sorted(counts.items()))
        total = len(self.checked)
        return (f"共 {total} 张：有效 {valid}，无效 {bad}" + (f"（{detail}）" if detail else "")
                + f" / {total} codes: {valid} valid, {bad} not valid"
                + (f" ({detail_en})" if detail_en else ""))


def load_lists(trust_path: Path, revoked_paths: Sequence[Path], at: dt.datetime,
               max_age_hours: float = DEFAULT_REVOCATION_MAX_AGE_HOURS,
               seen: Path | None = None, allow_demo: bool = False) -> Lists:
    """The trust list and the signed revocation lists, with warnings when they look stale.

    What a checkpoint loaded before is remembered (in ``seen``, by default in the user's
    state folder), per office: a list older than the newest one seen is refused (an
    attacker who got a card revoked could otherwise hand the checkpoint last week's list),
    and every serial an earlier list revoked stays revoked until its card must have expired,
    even if a newer list drops it (DESIGN.md §7: revocation is permanent until expiry).  A
    list dated after ``at`` (beyond ``CLOCK_SKEW``) is refused and never remembered.  The
    public demo key is refused unless ``allow_demo``."""
    trust = read_trust(trust_path)
    refuse_demo(trust, allow_demo, str(trust_path))
    given = revocation.load(list(revoked_paths), trust)
    refuse_future(given, at)
    revoked, kept = remember(given, seen or default_seen(), trust, int(at.timestamp()))
    return Lists(trust, revoked, tuple(kept + stale_warnings(trust, given, at, max_age_hours)))


CLOCK_SKEW = 600  # seconds a list may seem to come from the future (clocks differ a little)


def refuse_future(revoked: Revocations, at: dt.datetime) -> None:
    """A list made after now is from a wrong clock, here or at the office: refused, so that
    it never becomes the newest one remembered (which would refuse every correct list)."""
    now = int(at.timestamp())
    for r in revoked.lists:
        if r.generated > now + CLOCK_SKEW:
            made = _when(r.generated)
            raise KeyFileError(
                f"{r.issuer} 的吊销名单生成于 {made}，晚于现在（{at:%Y-%m-%d %H:%M}）：请检查本机的"
                "日期和时间；若时间无误，这份名单的日期有错，请向发名单的办公室核实",
                f"the revocation list of {r.issuer} was made at {made}, after now "
                f"({at:%Y-%m-%d %H:%M}): check this computer's date and time; if it is right, "
                "the list's date is wrong: ask the office that sent it")


def _when(unix: int) -> str:
    try:
        return f"{dt.datetime.fromtimestamp(unix, SHANGHAI):%Y-%m-%d %H:%M}"
    except (OverflowError, ValueError, OSError):
        return str(unix)


def refuse_demo(trust: TrustList, allow_demo: bool, origin: str) -> None:
    """Refuse a trust list holding the public demo key (``passgen demo`` writes one)."""
    demo = demo_entries(trust.entries)
    if demo and not allow_demo:
        raise KeyFileError(
            f"信任列表 {origin} 含有公开的演示密钥 {demo[0].kid.hex()}：任何人都能用它制作“有效”"
            "的卡片，检查点不能信任它（仅供演示时可加 --allow-demo）",
            f"trust list {origin} holds the public demo key {demo[0].kid.hex()}: anyone can "
            "make 'valid' cards with it, so a checkpoint must not trust it (for a demo only, "
            "add --allow-demo)")


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
    merged = {k: {"generated": v["generated"], "revoked": dict(v["revoked"])}
              for k, v in known.items()}
    for issuer, item in found.items():
        entry = merged.setdefault(issuer, {"generated": item["generated"], "revoked": {}})
        entry["generated"] = max(entry["generated"], item["generated"])
        for serial, until in item["revoked"].items():
            entry["revoked"][serial] = max(until, entry["revoked"].get(serial, 0))
    if merged != known:
        _write_seen(into, merged)


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
                if type(generated) is not int or not isinstance(serials, dict) or not all(
                        type(v) is int for v in serials.values()):
                    raise ValueError
                out[str(issuer)] = {"generated": generated, "revoked": dict(serials)}
            return out
        return {str(k): {"generated": v, "revoked": {}} for k, v in known.items()
                if type(v) is int}
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
    memory = {k: {"generated": v["generated"], "revoked": dict(v["revoked"])}
              for k, v in known.items()}
    for r in revoked.lists:
        before = known.get(r.issuer, {}).get("generated")
        if isinstance(before, int) and r.generated < before:
            raise KeyFileError(
                f"{r.issuer} 的吊销名单生成于 {_when(r.generated)}，比已经加载过的 "
                f"{_when(before)} 的名单旧：可能被换成了旧名单，请使用最新的名单",
                f"the revocation list of {r.issuer} is from {_when(r.generated)}, older than "
                f"the one from {_when(before)} loaded before: it may have been swapped "
                "for an old list; use the newest")
        entry = memory.setdefault(r.issuer, {"generated": r.generated, "revoked": {}})
        entry["generated"] = max(r.generated, entry["generated"])
        until = keep_until(trust, r.issuer, r.generated)
        for serial in r.serials:
            key = serial.hex().upper()
            entry["revoked"][key] = max(until, entry["revoked"].get(key, 0))
    for entry in memory.values():  # a card that must have expired by now is forgotten
        entry["revoked"] = {k: v for k, v in entry["revoked"].items() if v > now}
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
        lists.append(RevocationList(r.issuer, r.generated, r.serials | kept))
    trusted = {e.issuer for e in trust.entries}
    for issuer, entry in memory.items():  # remembered, though no list was given this time
        if issuer not in given and issuer in trusted and entry["revoked"]:
            lists.append(RevocationList(issuer, entry["generated"], frozenset(
                bytes.fromhex(k) for k in entry["revoked"])))
    return Revocations(tuple(lists)), warnings


def stale_warnings(trust: TrustList, revoked: Revocations, at: dt.datetime,
                   max_age_hours: float) -> list[str]:
    """A warning for each revocation list older than ``max_age_hours``, and one when every
    key of the trust list has expired."""
    out = []
    for stale in revoked.stale(int(at.timestamp()), max_age_hours):
        made = dt.datetime.fromtimestamp(stale.generated, SHANGHAI)
        out.append(f"注意：{stale.issuer} 的吊销名单生成于 {made:%Y-%m-%d %H:%M}，已超过 "
                   f"{max_age_hours:g} 小时，可能不是最新的 / warning: the revocation list "
                   f"of {stale.issuer} is from {made:%Y-%m-%d %H:%M}, older than "
                   f"{max_age_hours:g} hours")
    if trust.entries and at.date() < min(e.not_before for e in trust.entries):
        out.append(f"注意：本机日期 {at:%Y-%m-%d} 早于信任列表中所有密钥的启用日期，卡片都会显示“尚未生效”："
                   f"请检查电脑的日期和时间 / warning: this computer's date, {at:%Y-%m-%d}, is "
                   "before every key of the trust list began: check the date and time")
    if trust.entries and all(e.not_after < at.date() for e in trust.entries):
        out.append("注意：信任列表中的密钥都已过期，请向市里索取最新的信任列表 / warning: every key "
                   "in the trust list has expired; ask for the current trust list")
    return out


def check_found(found: Sequence[scan.Found], trust: TrustList, at: dt.datetime,
                revoked: Revocations = NO_REVOCATIONS) -> list[Checked]:
    """The verdict of each code found; an input without a readable code is malformed."""
    out = []
    for f in found:
        if not f.text:
            out.append(Checked(f.source, VerifyResult(Verdict.MALFORMED,
                                                      "no readable QR code found")))
        else:
            out.append(Checked(f.source, verify(f.text, trust, at, revoked)))
    return out


def check_paths(paths: Sequence[Path], trust: TrustList, at: dt.datetime,
                dpi: int = scan.DEFAULT_DPI,
                revoked: Revocations = NO_REVOCATIONS) -> list[Checked]:
    """Every code in PDFs, images or text files, verified."""
    found: list[scan.Found] = []
    for path in paths:
        found.extend(scan.from_path(path, dpi))
    return check_found(found, trust, at, revoked)


def check_inputs(inputs: Iterable[str | Path], trust_path: Path, at: dt.datetime,
                 revoked_paths: Sequence[Path] = (), dpi: int = scan.DEFAULT_DPI,
                 stdin: TextIO | None = None,
                 max_age_hours: float = DEFAULT_REVOCATION_MAX_AGE_HOURS,
                 allow_demo: bool = False,
                 max_pages: int = scan.DEFAULT_MAX_PAGES) -> CheckReport:
    """``passgen verify``: the lists loaded, then every code in every input (``-`` reads
    ``stdin``, one payload per line) verified at ``at``; at most ``max_pages`` pages of each
    PDF (the pages left are said in the warnings)."""
    lists = load_lists(trust_path, revoked_paths, at, max_age_hours, allow_demo=allow_demo)
    found: list[scan.Found] = []
    per_input: list[tuple[str, int]] = []
    skipped: list[str] = []
    for item in inputs:
        if str(item) == "-" and stdin is not None:
            these = scan.from_stream(stdin, "stdin")
        else:
            these = scan.from_path(Path(item), dpi, max_pages, skipped)
        found.extend(these)
        per_input.append((str(item), sum(1 for f in these if f.text)))
    return CheckReport(tuple(check_found(found, lists.trust, at, lists.revoked)),
                       lists.warnings + tuple(skipped), tuple(per_input))
