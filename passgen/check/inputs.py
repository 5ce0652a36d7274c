"""Verify every code found in a set of inputs: the library behind ``passgen verify``."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from passgen.check import scan
from passgen.check.verify import Verdict, VerifyResult, verify
from passgen.dates import SHANGHAI
from passgen.errors import KeyFileError
from passgen.files import atomic_write
from passgen.folders import state_dir
from passgen.passes import pg1, revocation
from passgen.passes.keys import TrustList, read_trust
from passgen.passes.revocation import NO_REVOCATIONS, Revocations

DEFAULT_REVOCATION_MAX_AGE_HOURS = 48.0
SEEN_NAME = "revocations-seen.json"


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
               seen: Path | None = None) -> Lists:
    """The trust list and the signed revocation lists, with warnings when they look stale.
    A list older than one already loaded for its office (remembered in ``seen``, by default
    in the user's state folder) is refused: an attacker who got a card revoked could
    otherwise hand the checkpoint last week's list."""
    trust = read_trust(trust_path)
    revoked = revocation.load(list(revoked_paths), trust)
    if revoked.lists:
        remember_newest(revoked, seen or default_seen())
    return Lists(trust, revoked, tuple(stale_warnings(trust, revoked, at, max_age_hours)))


def default_seen() -> Path:
    """Where the newest revocation list per office is remembered when no log says where:
    the user's state folder (``passgen.folders``; ~/.local/state/passgen on Linux)."""
    return state_dir() / SEEN_NAME


def seen_beside(log: Path) -> Path:
    """The gate keeps it beside its log."""
    return log.with_name(f"{log.name}.{SEEN_NAME}")


def remember_newest(revoked: Revocations, seen: Path) -> None:
    """Refuse a list older than the newest seen for its issuer; remember newer ones."""
    try:
        known = json.loads(seen.read_text(encoding="utf-8")) if seen.exists() else {}
        if not isinstance(known, dict):
            raise ValueError
    except (OSError, ValueError, RecursionError):
        raise KeyFileError(f"无法读取已加载吊销名单的记录 {seen}（可删除后重试）",
                           f"cannot read the record of revocation lists loaded, {seen} "
                           "(delete it and try again)") from None
    newest = dict(known)
    for r in revoked.lists:
        before = known.get(r.issuer)
        if isinstance(before, int) and r.generated < before:
            made = dt.datetime.fromtimestamp(r.generated, SHANGHAI)
            last = dt.datetime.fromtimestamp(before, SHANGHAI)
            raise KeyFileError(
                f"{r.issuer} 的吊销名单生成于 {made:%Y-%m-%d %H:%M}，比已经加载过的 "
                f"{last:%Y-%m-%d %H:%M} 的名单旧：可能被换成了旧名单，请使用最新的名单",
                f"the revocation list of {r.issuer} is from {made:%Y-%m-%d %H:%M}, older than "
                f"the one from {last:%Y-%m-%d %H:%M} loaded before: it may have been swapped "
                "for an old list; use the newest")
        newest[r.issuer] = max(r.generated, before if isinstance(before, int) else 0)
    if newest != known:
        seen.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(newest, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        atomic_write(seen, lambda tmp: tmp.write_text(text, encoding="utf-8"), 0o600)


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
                 max_age_hours: float = DEFAULT_REVOCATION_MAX_AGE_HOURS) -> CheckReport:
    """``passgen verify``: the lists loaded, then every code in every input (``-`` reads
    ``stdin``, one payload per line) verified at ``at``."""
    lists = load_lists(trust_path, revoked_paths, at, max_age_hours)
    found: list[scan.Found] = []
    per_input: list[tuple[str, int]] = []
    for item in inputs:
        if str(item) == "-" and stdin is not None:
            these = scan.from_stream(stdin, "stdin")
        else:
            these = scan.from_path(Path(item), dpi)
        found.extend(these)
        per_input.append((str(item), sum(1 for f in these if f.text)))
    return CheckReport(tuple(check_found(found, lists.trust, at, lists.revoked)),
                       lists.warnings, tuple(per_input))
