"""The ``posters`` batch: venues → QR matrices → poster PDF volumes + report.xlsx.

One PDF series per community, split every N pages; the QR of a link most venues share is
made once.  Volume names come from the same sanitiser as the cards' (``passgen.files.Stems``),
so two communities never write one file.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from passgen import signals
from passgen.errors import TemplateError
from passgen.files import Stems, atomic_write
from passgen.intake.sheets import DEFAULT_LIMITS, Limits
from passgen.intake.venues import OneVenue, Venue, checked_hotline, read_venues, single_venue
from passgen.jobs.cards import batch_lock
from passgen.jobs.progress import Progress
from passgen.jobs.report import write_table
from passgen.models import Location, RowError
from passgen.printing.layout import module_mm
from passgen.printing.posters import (
    MIN_MODULE_MM,
    SCALE,
    PosterTemplate,
    PosterWriter,
    load_poster_template,
)
from passgen.qr.encode import QrMatrix, encode
from passgen.text import visible


@dataclass(frozen=True)
class PosterOutcome:
    where: Location
    venue: str
    community: str
    error: RowError | None = None
    note: str = ""  # a printed poster whose QR points somewhere other than --url


@dataclass(frozen=True)
class PosterResult:
    outcomes: tuple[PosterOutcome, ...]
    pdfs: tuple[Path, ...]
    report: Path

    @property
    def printed(self) -> int:
        return sum(1 for o in self.outcomes if o.error is None)

    def line(self) -> str:
        rejected = len(self.outcomes) - self.printed
        return (f"读取 {len(self.outcomes)} 行：海报 {self.printed}，未印制 {rejected} / "
                f"read {len(self.outcomes)} rows: {self.printed} posters, {rejected} rejected")


def run_posters(venues: Iterable[Venue | RowError], out_dir: Path, template: PosterTemplate,
                size: str = "A4", pages_per_volume: int = 500,
                progress: Callable[[int], None] | None = None, url: str = "") -> PosterResult:
    """One PDF series per community (split every N pages) and report.xlsx; a row whose
    二维码内容 is not ``url`` (when given) is noted in the report."""
    if size not in SCALE:
        raise TemplateError(f"纸张只能是 {'、'.join(SCALE)}", f"size must be one of {list(SCALE)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    with batch_lock(out_dir):
        return _run_locked(venues, out_dir, template, size, pages_per_volume, progress, url)


def _run_locked(venues: Iterable[Venue | RowError], out_dir: Path, template: PosterTemplate,
                size: str, pages_per_volume: int,
                progress: Callable[[int], None] | None, url: str = "") -> PosterResult:
    outcomes: list[PosterOutcome] = []
    good: dict[str, list[tuple[Venue, QrMatrix | None]]] = {}
    codes: dict[str, tuple[QrMatrix, float]] = {}  # most rows share the template's link
    for item in venues:
        if isinstance(item, RowError):
            outcomes.append(PosterOutcome(item.where, item.name, "", item))
            continue
        matrix = None
        if template.qr is not None:
            content = item.qr_content or template.qr_content
            if not content:
                outcomes.append(PosterOutcome(item.where, item.venue, item.community, RowError(
                    item.where, "", "没有二维码内容（模板和本行都没有）",
                    "no QR content in the row or the template", item.venue)))
                continue
            if not web_link(content):
                outcomes.append(PosterOutcome(item.where, item.venue, item.community, RowError(
                    Location(item.where.file, item.where.sheet, item.where.row, "二维码内容"),
                    visible(content[:60]), "二维码内容只能是 https:// 开头的网址（居民扫码后打开的"
                    "申领页面）", "the QR content must be an https:// link (the application "
                    "page residents open)", item.venue)))
                continue
            if content not in codes:
                made = encode(content, template.qr_error)
                codes[content] = made, module_mm(template.qr[2] * SCALE[size], made.size)
            matrix, module = codes[content]
            if module < MIN_MODULE_MM:
                outcomes.append(PosterOutcome(item.where, item.venue, item.community, RowError(
                    Location(item.where.file, item.where.sheet, item.where.row, "二维码内容"),
                    content[:40], f"二维码内容太长：模块只有 {module:.2f} 毫米（至少 1.5 毫米），"
                    "请缩短链接或用更大的纸张",
                    f"QR content too long: {module:.2f} mm modules (1.5 mm at least); "
                    "shorten it or use a larger size", item.venue)))
                continue
        elsewhere = bool(url and item.qr_content and item.qr_content != url)
        outcomes.append(PosterOutcome(item.where, item.venue, item.community, note=(
            f"二维码指向 {visible(item.qr_content[:80])}，不是 --url 给出的链接 / the QR points to "
            f"{visible(item.qr_content[:80])}, not the --url link") if elsewhere else ""))
        good.setdefault(item.community, []).append((item, matrix))
    pdfs = []
    stems = Stems()
    for community, members in good.items():
        for part, start in enumerate(range(0, len(members), pages_per_volume), start=1):
            path = out_dir / f"posters-{template.kind}-{stems(community)}-{part:03d}.pdf"
            chunk = members[start:start + pages_per_volume]

            def write(tmp: Path, chunk: list[tuple[Venue, QrMatrix | None]] = chunk) -> None:
                writer = PosterWriter(tmp, template, size)
                for venue, matrix in chunk:
                    signals.checkpoint()  # a Ctrl-C something swallowed ends it here
                    writer.add(venue, matrix)
                    if progress:
                        progress(1)
                writer.close()

            atomic_write(path, write)
            pdfs.append(path)
    report = out_dir / "report.xlsx"
    rows = [[o.where.file, o.where.sheet, o.where.row, o.venue, o.community,
             "未印制" if o.error else "已印制",
             f"【{o.error.where.column}】{o.error.zh} / {o.error.en}" if o.error else o.note]
            for o in outcomes]
    printed = sum(1 for o in outcomes if o.error is None)
    write_table(report, ("文件", "工作表", "行号", "名称", "社区", "结果", "说明"),
                (22, 12, 6, 24, 14, 8, 70), rows,
                [("读取行数 rows read", len(outcomes)), ("海报 posters", printed),
                 ("未印制 rejected", len(outcomes) - printed), ("模板 template", template.name),
                 ("纸张 size", size)], 5, "未印制")
    return PosterResult(tuple(outcomes), tuple(pdfs), report)




def web_link(text: str) -> bool:
    """An https:// link to a named host, with nothing hidden in it: what a poster's QR may
    hold (never javascript:, data:, a file or plain text, issue #36)."""
    if not text.isprintable() or any(ch.isspace() for ch in text):
        return False
    parts = urllib.parse.urlsplit(text)
    return parts.scheme == "https" and bool(parts.hostname) and "@" not in parts.netloc


PLACEHOLDER_WORDS = ("示例", "例子", "样例", "真实", "链接", "网址", "申领", "填写", "替换", "example",
                     "placeholder", "your", "xxx")


def is_example(link: str) -> bool:
    """A placeholder link that must not reach a real poster: an example host (example.com,
    example.gov.cn …), the words of an example (指南's ``https://真实的申领链接``, 示例, 链接 …),
    or a host that is not a domain name (no dot, or no letters after the last one)."""
    host = (urllib.parse.urlsplit(link).hostname or "").lower().rstrip(".")
    if host == "example" or host.startswith("example.") or ".example." in f".{host}":
        return True
    if any(word in host for word in PLACEHOLDER_WORDS):
        return True
    labels = host.split(".")
    return len(labels) < 2 or not all(labels) or not labels[-1].isalpha()


def print_posters(venues: Sequence[Path], out_dir: Path, kind: str = "campaign",
                  size: str = "A4", template: str | Path | None = None,
                  pages_per_volume: int = 500, limits: Limits = DEFAULT_LIMITS,
                  one: OneVenue | None = None,
                  progress: Progress | None = None, url: str | None = None,
                  demo: bool = False, hotline: str = "") -> PosterResult:
    """``passgen posters``: the layout for ``kind``, then a poster for every row of the
    ``venues`` spreadsheets, or for the ``one`` venue given on the command line.  ``url``
    and ``hotline`` stand in for the template's link and hotline: rows whose 二维码内容 or
    咨询电话 is blank use them."""
    layout = load_poster_template(kind, None if template is None else str(template))
    if url:
        if not web_link(url):
            raise TemplateError(f"--url 只能是 https:// 开头的网址：{visible(url[:80])}",
                                f"--url must be an https:// link: {visible(url[:80])}")
        if is_example(url) and not demo:
            raise TemplateError(
                f"--url 给的是示例链接 {visible(url[:80])}，不是真实的申领网址：居民扫了申领不到健康码。"
                "请换成真实的链接（只是演示时加 --demo）",
                f"--url is a placeholder, not the real application link: {visible(url[:80])}; "
                "give the real link (add --demo for a demonstration)")
        layout = dataclasses.replace(layout, qr_content=url)
    if hotline:
        layout = dataclasses.replace(layout, hotline=checked_hotline(hotline))
    rows = list(read_venues(venues, limits)) if one is None else [single_venue(one)]
    if layout.qr is not None and not demo and is_example(layout.qr_content) and any(
            isinstance(r, Venue) and not r.qr_content for r in rows):
        raise TemplateError(
            f"海报二维码还是示例链接 {layout.qr_content}，居民扫了申领不到健康码：请用 --url 给出真实的"
            "申领链接（或在点位表的“二维码内容”列里填写）；只是演示时加 --demo",
            f"the posters' QR is still the example link {layout.qr_content}, which applies for "
            "nothing: give the real application link with --url (or in the venue list's "
            "二维码内容 column); add --demo for a demonstration")
    if progress:
        progress.start("海报 posters", None)
    try:
        return run_posters(rows, out_dir, layout, size, pages_per_volume,
                           progress.advance if progress else None, url or "")
    finally:
        if progress:
            progress.finish()
