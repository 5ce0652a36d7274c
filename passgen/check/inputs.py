"""Verify every code found in a set of inputs: the library behind ``passgen verify``."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from passgen.check import (
    DEFAULT_REVOCATION_MAX_AGE_HOURS,  # noqa: E402 (re-exported)
    scan,
)
from passgen.check.memory import default_seen, remember, when
from passgen.check.verify import Verdict, VerifyResult, verify
from passgen.dates import SHANGHAI
from passgen.errors import KeyFileError
from passgen.passes import pg1, revocation
from passgen.passes.keys import TrustList, demo_entries, read_trust
from passgen.passes.revocation import NO_REVOCATIONS, Revocations


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
            made = when(r.generated)
            raise KeyFileError(
                f"{r.issuer} 的吊销名单生成于 {made}，晚于现在（{at:%Y-%m-%d %H:%M}）：请检查本机的"
                "日期和时间；若时间无误，这份名单的日期有错，请向发名单的办公室核实",
                f"the revocation list of {r.issuer} was made at {made}, after now "
                f"({at:%Y-%m-%d %H:%M}): check this computer's date and time; if it is right, "
                "the list's date is wrong: ask the office that sent it")



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
