"""The ``passgen`` command line: parses options, calls the library, prints results.

Exit statuses: 0 done, 1 a verified code was not valid, 2 usage or fatal error.
Messages for clerks are Chinese first, then English.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from passgen import __version__
from passgen.dates import SHANGHAI, today
from passgen.errors import PassgenError
from passgen.jobs.ledger import DEFAULT_LEDGER
from passgen.passes import keys

PASSPHRASE_ENV = "PASSGEN_KEY_PASSPHRASE"


@contextlib.contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn a library error into one plain message and exit status 2 (no traceback)."""
    try:
        yield
    except PassgenError as exc:
        click.echo(f"错误：{exc.zh}\nError: {exc.en}", err=True)
        sys.exit(2)


class _Bar:
    """Progress on standard error: click's progress bar when the total is known, a running
    count when it is not (rows stream in before anyone knows how many there are)."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.label = ""
        self.count = 0
        self.shown = 0.0

    def start(self, label: str, total: int | None) -> None:
        if not sys.stderr.isatty():  # a log file gets the totals line, not a bar
            return
        if total is None:
            self.label, self.count, self.shown = label, 0, 0.0
            self.bar = "count"
        else:
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr)
            self.bar.__enter__()

    def advance(self, n: int) -> None:
        if self.bar == "count":
            self.count += n
            if time.monotonic() - self.shown > 0.2:
                self.shown = time.monotonic()
                click.echo(f"\r{self.label}: {self.count:,}", nl=False, err=True)
        elif self.bar is not None:
            self.bar.update(n)

    def finish(self) -> None:
        if self.bar == "count":
            click.echo(f"\r{self.label}: {self.count:,}", err=True)
        elif self.bar is not None:
            self.bar.__exit__(None, None, None)
        self.bar = None


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"日期格式应为 YYYY-MM-DD / expected YYYY-MM-DD: {value}") from None


def _moment(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.datetime | None:
    """--at: a date (noon Asia/Shanghai) or an ISO date-time (Asia/Shanghai if no offset)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            d = dt.date.fromisoformat(value)
            return dt.datetime(d.year, d.month, d.day, 12, tzinfo=SHANGHAI)
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM / expected a date: {value}") \
            from None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def _one_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, month=3, day=1)


def _limit_options(command: Any) -> Any:
    """--max-rows and --max-mb: files larger than these are refused before reading."""
    from passgen.intake.sheets import DEFAULT_MAX_MB, DEFAULT_MAX_ROWS

    command = click.option("--max-mb", type=click.FloatRange(min=0.001), default=DEFAULT_MAX_MB,
                           show_default=True,
                           help="Refuse roster files larger than this many megabytes.")(command)
    return click.option("--max-rows", type=click.IntRange(min=1), default=DEFAULT_MAX_ROWS,
                        show_default=True,
                        help="Refuse roster files with more rows than this.")(command)


def _echo_outcomes(result: Any, rejected_word: str) -> None:
    """Rejections and unread sheets on standard error, then the totals line."""
    for notice in result.notices:
        click.echo(f"注意 notice: {notice.message}", err=True)
    for o in result.rejected:
        if o.error:
            click.echo(f"{rejected_word}: {o.error.message}", err=True)
    click.echo(result.totals.line(), err=True)


def passphrase(confirm: bool = False) -> bytes:
    """From PASSGEN_KEY_PASSPHRASE, else a hidden prompt."""
    env = os.environ.get(PASSPHRASE_ENV)
    if env:
        return env.encode()
    if not sys.stdin.isatty():
        raise PassgenError(f"需要密钥口令：请设置环境变量 {PASSPHRASE_ENV}",
                           f"a key passphrase is needed: set {PASSPHRASE_ENV}")
    return str(click.prompt("密钥口令 / key passphrase", hide_input=True,
                            confirmation_prompt=confirm)).encode()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="passgen")
def cli() -> None:
    """passgen: 居民出行卡 — signed QR resident travel cards for community offices.

    Read roster spreadsheets, compute each resident's colour with the shared rules, sign a
    PG1 pass and print it on ID-1 cards, 10 per A4 sheet; verify cards offline at checkpoints.
    Start with `passgen demo --out out/`.
    """


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("out"), show_default=True,
              help="Folder for the demo key, trust list, sample rosters, card PDFs and report.xlsx.")
def demo(out_dir: Path) -> None:
    """Run everything on the bundled sample rosters with a DEMO key (not for real cards)."""
    from passgen.jobs.demo import DEMO_AS_OF, DEMO_PASSPHRASE, run_demo

    with friendly_errors():
        result = run_demo(out_dir, progress=_Bar())
    t = result.batch.totals
    valid = sum(1 for c in result.checked if c.result.valid)
    click.echo(f"演示密钥（仅供演示，勿用于真实卡片）/ DEMO key, not for real cards: {result.key} "
               f"(口令 passphrase: {DEMO_PASSPHRASE.decode()})")
    click.echo(f"签发日期 as-of date: {DEMO_AS_OF}")
    click.echo(f"读取 {t.rows} 行：制卡 {t.cards}，未制卡 {t.rejected}  /  {t.line()}")
    click.echo(f"自检 self-check: {valid} of {len(result.checked)} codes in the PDF verify as valid")
    for pdf in result.batch.pdfs:
        click.echo(f"卡片 cards PDF:     {pdf}")
    click.echo(f"逐行报告 report:    {result.batch.report}")
    click.echo(f"信任列表 trust list: {result.trust}")
    if valid != t.cards or len(result.checked) != t.cards:
        raise SystemExit(1)


@cli.command()
@click.argument("rosters", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", "key_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Private signing key (KEY, with KEY.pub.json beside it). "
                   f"Passphrase from ${PASSPHRASE_ENV} or a prompt.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the card PDFs (cards-<community>-NNN.pdf) and report.xlsx into.")
@click.option("--as-of", "as_of", callback=_date,
              help="Issue date YYYY-MM-DD (default: today in Asia/Shanghai). "
                   "Cards are valid from this day; same inputs and date give identical PDFs.")
@click.option("--issuer", help="Office code expected on the key (must match KEY.pub.json).")
@click.option("--valid-days", type=click.IntRange(1, 60), default=7, show_default=True,
              help="Cards are valid through the as-of date plus this many days.")
@click.option("--community", default="",
              help="Community name for rows whose 社区 cell is blank.")
@click.option("--template", default=None,
              help="Card layout: a bundled name (card) or a path to a .toml template.")
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Rules file (default: the shared rules shipped with passgen).")
@click.option("--hotline", help="Hotline printed on the card backs (default: the template's).")
@click.option("--simplex", is_flag=True,
              help="Fronts only; by default each front page is followed by its back page, "
                   "mirrored for long-edge duplex printing.")
@click.option("--sheets-per-volume", type=click.IntRange(1), default=500, show_default=True,
              help="Start a new PDF after this many sheets (one PDF series per community).")
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path(DEFAULT_LEDGER), show_default=True,
              help="Issuance ledger (SQLite) recording every card; a resident's earlier "
                   "unexpired card is revoked by the new one.")
@click.option("--jobs", type=click.IntRange(1, 64), default=os.cpu_count() or 1,
              show_default="the number of cores",
              help="Worker processes making the QR codes while rows are read and pages laid "
                   "out (above 1, the report is written by its own process too); the PDFs "
                   "are the same for any number.")
@_limit_options
def cards(rosters: tuple[Path, ...], key_path: Path, out_dir: Path, as_of: dt.date | None,
          issuer: str | None, valid_days: int, community: str, template: str | None,
          rules_path: Path | None, hotline: str | None, simplex: bool, sheets_per_volume: int,
          ledger_path: Path, jobs: int, max_rows: int, max_mb: float) -> None:
    """Print signed cards for every good row of ROSTER files (.xlsx, .xls, .ods, .csv in
    UTF-8 or GB18030) and write a report with one line per row."""
    from passgen.intake.sheets import Limits
    from passgen.jobs.cards import PrintOptions, run_cards
    from passgen.printing.layout import load_template
    from passgen.rules.engine import load_rules

    with friendly_errors():
        rules = load_rules(rules_path)
        layout = load_template(template)
        key = keys.load_signing(key_path, passphrase())
        if issuer is not None and issuer != key.entry.issuer:
            raise PassgenError(f"密钥属于签发机构 {key.entry.issuer}，不是 {issuer}",
                               f"the key belongs to issuer {key.entry.issuer}, not {issuer}")
        printing = PrintOptions(layout, not simplex, hotline, sheets_per_volume, jobs)
        result = run_cards(list(rosters), key, out_dir, rules, printing, as_of or today(),
                           community, valid_days, progress=_Bar(),
                           limits=Limits(max_mb, max_rows), ledger=ledger_path)
    _echo_outcomes(result, "未制卡 rejected")
    if result.superseded:
        click.echo(f"已吊销旧卡 superseded: {len(result.superseded)} earlier cards of these "
                   "residents are revoked; export a new revocation list "
                   "(passgen revocations export)", err=True)
    for pdf in result.pdfs:
        click.echo(f"卡片 cards: {pdf}")
    click.echo(f"报告 report: {result.report}")


@cli.command()
@click.argument("venues", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the poster PDFs (posters-<kind>-<community>-NNN.pdf) and "
                   "report.xlsx.")
@click.option("--kind", type=click.Choice(["campaign", "checkpoint"]), default="campaign",
              show_default=True,
              help="campaign: 扫码申领健康码 with a big QR; checkpoint: what each colour means "
                   "at this point.")
@click.option("--size", type=click.Choice(["A4", "A3", "A2"]), default="A4", show_default=True,
              help="Paper size (portrait); the layout scales with it.")
@click.option("--template", default=None,
              help="Poster layout: a bundled name (poster-campaign, poster-checkpoint) or a "
                   "path to a .toml file.")
@click.option("--venue", help="One poster without a spreadsheet: the venue's name.")
@click.option("--community", help="With --venue: the community.")
@click.option("--hotline", default="", help="With --venue: the hotline (default: the template's).")
@click.option("--qr-content", default="",
              help="With --venue: what the QR holds (default: the template's link).")
@click.option("--pages-per-volume", type=click.IntRange(1), default=500, show_default=True,
              help="Start a new PDF after this many posters (one PDF series per community).")
@_limit_options
def posters(venues: tuple[Path, ...], out_dir: Path, kind: str, size: str,
            template: str | None, venue: str | None, community: str | None, hotline: str,
            qr_content: str, pages_per_volume: int, max_rows: int, max_mb: float) -> None:
    """Print posters for every row of VENUES (a spreadsheet with 名称, 社区, 地址, 类型,
    咨询电话 and optionally 二维码内容), or one poster with --venue and --community."""
    from passgen.intake import venues as venue_list
    from passgen.intake.sheets import Limits
    from passgen.jobs import posters as poster_batch
    from passgen.printing import posters as poster

    if bool(venues) == bool(venue):
        raise click.UsageError("请给出场所表格，或用 --venue 和 --community 指定一个场所 / "
                               "give a VENUES spreadsheet or --venue with --community")
    if venue and not community:
        raise click.UsageError("--venue 需要 --community / --venue needs --community")
    with friendly_errors():
        layout = poster.load_poster_template(kind, template)
        rows = (venue_list.read_venues(list(venues), Limits(max_mb, max_rows)) if venues
                else [venue_list.single_venue(venue or "", community or "", hotline, qr_content)])
        bar = _Bar()
        bar.start("海报 posters", 0)
        result = poster_batch.run_posters(rows, out_dir, layout, size, pages_per_volume, bar.advance)
        bar.finish()
    for o in result.outcomes:
        if o.error:
            click.echo(f"未印制 rejected: {o.error.message}", err=True)
    click.echo(result.line(), err=True)
    for pdf in result.pdfs:
        click.echo(f"海报 posters: {pdf}")
    click.echo(f"报告 report: {result.report}")


@cli.group()
def roster() -> None:
    """Roster spreadsheets: check them before printing."""


@roster.command("check")
@click.argument("rosters", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True, help="Folder to write report.xlsx into.")
@click.option("--as-of", "as_of", callback=_date, help="Date to assess against (default: today).")
@click.option("--community", default="", help="Community name for rows whose 社区 cell is blank.")
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Rules file (default: the shared rules shipped with passgen).")
@_limit_options
def roster_check(rosters: tuple[Path, ...], out_dir: Path, as_of: dt.date | None,
                 community: str, rules_path: Path | None, max_rows: int, max_mb: float) -> None:
    """Validate ROSTER files and write the report; no cards are made."""
    from passgen.intake.sheets import Limits
    from passgen.jobs.cards import check_rosters
    from passgen.rules.engine import load_rules

    with friendly_errors():
        result = check_rosters(list(rosters), out_dir, load_rules(rules_path),
                               as_of or today(), community, Limits(max_mb, max_rows))
    _echo_outcomes(result, "未通过 rejected")
    click.echo(f"报告 report: {result.report}")


@roster.command("template")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
def roster_template(out: Path, force: bool) -> None:
    """Write a blank roster OUT.xlsx to fill in: the right headers, ID and phone columns kept
    as text, drop-down lists, date checks and a sheet explaining every column."""
    from passgen.intake.roster_template import write_template

    with friendly_errors():
        if out.exists() and not force:
            raise PassgenError(f"{out} 已存在，如确需覆盖请加 --force",
                               f"{out} exists; use --force to overwrite it")
        write_template(out)
    click.echo(f"空白花名册 blank roster: {out}")


def _ledger_option(command: Any) -> Any:
    return click.option("--ledger", "ledger_path",
                        type=click.Path(exists=True, dir_okay=False, path_type=Path),
                        default=Path(DEFAULT_LEDGER), show_default=True,
                        help="Issuance ledger (SQLite) written by passgen cards.")(command)


@cli.command()
@click.argument("serials", nargs=-1, required=True)
@click.option("--reason", required=True, help="Why the cards are revoked (kept in the ledger).")
@_ledger_option
def revoke(serials: tuple[str, ...], reason: str, ledger_path: Path) -> None:
    """Revoke cards by SERIAL (as printed, e.g. 1A2B-3C4D-5E6F-7081).  Then export a new
    revocation list for the checkpoints."""
    import time

    from passgen.jobs.ledger import Ledger, parse_serial

    with friendly_errors():
        wanted = [parse_serial(s) for s in serials]
        with Ledger(ledger_path) as ledger:
            unknown = ledger.revoke(wanted, reason, int(time.time()))
        if unknown:
            names = ", ".join(s.hex().upper() for s in unknown)
            raise PassgenError(f"登记册中没有这些卡片，未吊销任何卡片：{names}",
                               f"the ledger has no card {names}; nothing was revoked")
    click.echo(f"已吊销 revoked: {len(wanted)} cards.  下一步 next: passgen revocations export")


@cli.group()
def revocations() -> None:
    """Signed revocation lists for checkpoints."""


@revocations.command("export")
@click.option("--key", "key_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=f"The office's private key (passphrase from ${PASSPHRASE_ENV} or a prompt).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Revocation list to write (JSON, signed).")
@click.option("--at", "at", callback=_moment,
              help="Generation time (default: now); cards expired by then are left out.")
@_ledger_option
def revocations_export(key_path: Path, out_path: Path, at: dt.datetime | None,
                       ledger_path: Path) -> None:
    """Write the signed list of this office's revoked cards that have not expired yet."""
    from passgen.files import atomic_write
    from passgen.jobs.ledger import Ledger
    from passgen.passes import revocation

    with friendly_errors():
        key = keys.load_signing(key_path, passphrase())
        moment = int((at or dt.datetime.now(SHANGHAI)).timestamp())
        with Ledger(ledger_path) as ledger:
            serials = ledger.revoked_serials(key.entry.issuer, moment)
        text = revocation.build(key, serials, moment)
        atomic_write(out_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    click.echo(f"吊销名单 revocation list: {out_path} ({len(serials)} cards)")


@cli.group("ledger")
def ledger_group() -> None:
    """The issuance ledger: which cards were issued, to which community, revoked or not."""


def _print_cards(found: Any, as_json: bool) -> None:
    from passgen.models import Colour

    for card in found:
        if as_json:
            click.echo(json.dumps(card.to_json(), ensure_ascii=False))
        else:
            issued = dt.datetime.fromtimestamp(card.issued_at, SHANGHAI).date()
            state = f"已吊销 revoked ({card.reason})" if card.revoked_at else ""
            click.echo(f"{card.serial.hex().upper()}  {issued}  {Colour(card.colour).word}  "
                       f"{card.community}  {card.source_file}·{card.source_sheet}·"
                       f"{card.source_row}  {card.batch_id[:8]}  {state}".rstrip())


@ledger_group.command("list")
@click.option("--community", help="Only this community.")
@click.option("--colour", "--color", "colour",
              type=click.Choice(["green", "yellow", "red", "绿码", "黄码", "红码"]),
              help="Only cards of this colour.")
@click.option("--from", "issued_from", callback=_date, help="Issued on or after YYYY-MM-DD.")
@click.option("--to", "issued_to", callback=_date, help="Issued on or before YYYY-MM-DD.")
@click.option("--batch", help="Only this batch (id as shown).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per card.")
@_ledger_option
def ledger_list(community: str | None, colour: str | None, issued_from: dt.date | None,
                issued_to: dt.date | None, batch: str | None, as_json: bool,
                ledger_path: Path) -> None:
    """List issued cards, oldest first, with filters."""
    from passgen.dates import day_start
    from passgen.jobs.ledger import Filters, Ledger
    from passgen.models import Colour

    chosen = Colour.from_word(colour) if colour else None
    with friendly_errors(), Ledger(ledger_path) as ledger:
        filters = Filters(
            community=community,
            colour=None if chosen is None else int(chosen),
            issued_from=day_start(issued_from) if issued_from else None,
            issued_before=day_start(issued_to + dt.timedelta(days=1)) if issued_to else None)
        found = [c for c in ledger.cards(filters) if not batch or c.batch_id.startswith(batch)]
    _print_cards(found, as_json)
    if not as_json:
        click.echo(f"{len(found)} cards", err=True)


@ledger_group.command("show")
@click.argument("serial", required=False)
@click.option("--id", "id_number", help="A resident's full ID number: every card they hold.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per card.")
@_ledger_option
def ledger_show(serial: str | None, id_number: str | None, as_json: bool,
                ledger_path: Path) -> None:
    """Show one card by SERIAL, or every card of a resident by --id."""
    from passgen.jobs.ledger import Filters, Ledger, parse_serial

    if (serial is None) == (id_number is None):
        raise click.UsageError("请给出卡片编号或 --id / give a SERIAL or --id")
    with friendly_errors(), Ledger(ledger_path) as ledger:
        if serial is not None:
            found = ledger.cards(Filters(serial=parse_serial(serial)))
        else:
            assert id_number is not None
            found = ledger.cards(Filters(pseudonym=ledger.pseudonym(id_number.strip().upper())))
        if not found:
            raise PassgenError("登记册中没有找到", "not found in the ledger")
    _print_cards(found, as_json)


@cli.group("rules")
def rules_group() -> None:
    """The shared colour rules: show them, or explain one resident's colour."""


@rules_group.command("show")
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Rules file (default: the shared rules shipped with passgen).")
def rules_show(rules_path: Path | None) -> None:
    """Print every clause with its source text, the area lists and the rules version."""
    from passgen.rules.engine import load_rules
    from passgen.rules.explain import show

    with friendly_errors():
        click.echo(show(load_rules(rules_path)))


@rules_group.command("explain")
@click.argument("rosters", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--row", type=click.IntRange(2), help="Row number as Excel shows it.")
@click.option("--id", "id_text", help="ID number, full or masked as on the card/report.")
@click.option("--sheet", help="Only this sheet (when several sheets have the same row number).")
@click.option("--as-of", "as_of", callback=_date, help="Date to assess against (default: today).")
@click.option("--community", default="", help="Community name for rows whose 社区 cell is blank.")
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Rules file (default: the shared rules shipped with passgen).")
def rules_explain(rosters: tuple[Path, ...], row: int | None, id_text: str | None,
                  sheet: str | None, as_of: dt.date | None, community: str,
                  rules_path: Path | None) -> None:
    """Explain a resident's colour: the facts, every clause that applies with its source
    text, the conversion, and the result."""
    from passgen.rules.engine import load_rules
    from passgen.rules.explain import explain_rows

    if row is None and id_text is None:
        raise click.UsageError("请用 --row 或 --id 指定要解释的行 / give --row or --id")
    with friendly_errors():
        texts = explain_rows(list(rosters), load_rules(rules_path), as_of or today(), row,
                             id_text, sheet, community)
    click.echo("\n\n".join(texts))


@cli.group("keys")
def keys_group() -> None:
    """Signing keys and trust lists."""


@keys_group.command("generate")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Private key file to write (encrypted PKCS#8 PEM, mode 0600); "
                   "its public half goes to OUT.pub.json.")
@click.option("--issuer", required=True, help="Issuing office code, at most 16 characters.")
@click.option("--not-before", callback=_date, help="First day the key may sign (default: today).")
@click.option("--not-after", callback=_date,
              help="Last day the key may sign (default: one year after --not-before).")
@click.option("--force", is_flag=True, help="Overwrite an existing key file.")
def keys_generate(out_path: Path, issuer: str, not_before: dt.date | None,
                  not_after: dt.date | None, force: bool) -> None:
    """Create a new signing key for an office."""
    start = not_before or today()
    end = not_after or _one_year_after(start)
    with friendly_errors():
        if out_path.exists() and not force:
            raise PassgenError(f"{out_path} 已存在，如确需覆盖请加 --force",
                               f"{out_path} exists; use --force to overwrite it")
        key = keys.generate(issuer, start, end)
        pub = keys.save(key, out_path, passphrase(confirm=True), force)
    click.echo(f"私钥 private key: {out_path}")
    click.echo(f"公钥 public key:  {pub}")
    click.echo(f"kid {key.entry.kid.hex()}  issuer {issuer}  "
               f"{key.entry.not_before} .. {key.entry.not_after}")


@keys_group.command("trust")
@click.argument("sources", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Trust list to write (passgen-trust/1 JSON).")
def keys_trust(sources: tuple[Path, ...], out_path: Path) -> None:
    """Build a trust list from key files, KEY.pub.json files or other trust lists."""
    with friendly_errors():
        entries = keys.entries_from(list(sources))
        keys.write_trust(entries, out_path)
    click.echo(f"信任列表 trust list: {out_path} ({len({e.kid for e in entries})} keys)")


@keys_group.command("show")
@click.argument("sources", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
def keys_show(sources: tuple[Path, ...]) -> None:
    """Print kid, issuer and validity window of keys (KEY, KEY.pub.json or a trust list).
    Private material is never read or shown."""
    with friendly_errors():
        lines = keys.describe(list(sources))
    click.echo("\n".join(lines))


def _checking_options(command: Any) -> Any:
    """--trust, --revoked and --revoked-max-age, shared by verify and checkpoint."""
    for option in reversed((
        click.option("--trust", "trust_path", required=True,
                     type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Trust list of accepted keys (passgen keys trust)."),
        click.option("--revoked", "revoked_paths", multiple=True,
                     type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Signed revocation list (passgen revocations export); may be "
                          "repeated."),
        click.option("--revoked-max-age", type=click.FloatRange(min=0), default=48,
                     show_default=True,
                     help="Warn when a revocation list is older than this many hours."),
    )):
        command = option(command)
    return command


def _load_checking(trust_path: Path, revoked_paths: tuple[Path, ...], moment: dt.datetime,
                   max_age: float) -> tuple[keys.TrustList, Any]:
    """The trust list and the revocation lists, with warnings when they look stale."""
    from passgen.passes import revocation

    trust = keys.read_trust(trust_path)
    revoked = revocation.load(list(revoked_paths), trust)
    _warn_stale(trust, revoked, moment, max_age)
    return trust, revoked


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@_checking_options
@click.option("--at", "at", callback=_moment,
              help="Check as of this time: YYYY-MM-DD (noon) or YYYY-MM-DDTHH:MM "
                   "(Asia/Shanghai). Default: now.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per code found.")
@click.option("--dpi", type=click.IntRange(72, 600), default=200, show_default=True,
              help="Resolution for rasterising PDF pages.")
def verify(inputs: tuple[str, ...], trust_path: Path, at: dt.datetime | None, as_json: bool,
           dpi: int, revoked_paths: tuple[Path, ...], revoked_max_age: float) -> None:
    """Verify cards in INPUT files: PDFs, PNG/JPEG photos or scans, .txt files with one
    payload per line, or - for standard input.  Exit 0 only if every code is valid."""
    from passgen.check import scan
    from passgen.check.inputs import check_found

    moment = at or dt.datetime.now(SHANGHAI)
    with friendly_errors():
        trust, revoked = _load_checking(trust_path, revoked_paths, moment, revoked_max_age)
        found: list[scan.Found] = []
        for item in inputs:
            if item == "-":
                found.extend(scan.from_lines(sys.stdin, "stdin"))
            else:
                found.extend(scan.from_path(Path(item), dpi))
        checked = check_found(found, trust, moment, revoked)
    for c in checked:
        if as_json:
            click.echo(json.dumps(c.to_json(), ensure_ascii=False))
        else:
            d = c.to_json()
            if d["name"]:
                click.echo(f"{c.source}\t{d['status']}\t{d['color']}\t{d['name']}\t"
                           f"{d['masked_id']}\tvalid until {d['valid_until']}\t{d['serial']}")
            else:
                click.echo(f"{c.source}\t{d['status']}\t{d['reason']}")
    if not checked:
        click.echo("没有找到任何二维码 / no code found", err=True)
    sys.exit(0 if checked and all(c.result.valid for c in checked) else 1)


@cli.command()
@_checking_options
@click.option("--log", "log_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Append every scan to this CSV: time, serial, verdict, colour "
                   "(never the name or ID number).")
@click.option("--at", "at", callback=_moment,
              help="Judge every scan as if at this time (YYYY-MM-DD or YYYY-MM-DDTHH:MM); "
                   "default: the clock at each scan.")
def checkpoint(trust_path: Path, revoked_paths: tuple[Path, ...], revoked_max_age: float,
               log_path: Path | None, at: dt.datetime | None) -> None:
    """Scanner loop for a gate: reads one payload per line from standard input (a USB
    scanner in keyboard mode types the payload and Enter) and shows a large verdict for
    each.  Stop with Ctrl-C or end of input."""
    from passgen.check import gate

    with friendly_errors():
        trust, revoked = _load_checking(trust_path, revoked_paths,
                                        at or dt.datetime.now(SHANGHAI), revoked_max_age)
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR") \
        and os.environ.get("TERM", "") != "dumb"
    gate.run(sys.stdin, sys.stdout, trust, lambda: at or dt.datetime.now(SHANGHAI), revoked,
             log_path, colour)


def _warn_stale(trust: keys.TrustList, revoked: Any, now: dt.datetime, max_age: float) -> None:
    """Warnings, never a refusal: an old list still protects more than none."""
    for stale in revoked.stale(int(now.timestamp()), max_age):
        made = dt.datetime.fromtimestamp(stale.generated, SHANGHAI)
        click.echo(f"注意：{stale.issuer} 的吊销名单生成于 {made:%Y-%m-%d %H:%M}，已超过 "
                   f"{max_age:g} 小时，可能不是最新的 / warning: the revocation list "
                   f"of {stale.issuer} is from {made:%Y-%m-%d %H:%M}, older than "
                   f"{max_age:g} hours", err=True)
    if trust.entries and all(e.not_after < now.date() for e in trust.entries):
        click.echo("注意：信任列表中的密钥都已过期，请向市里索取最新的信任列表 / warning: every key "
                   "in the trust list has expired; ask for the current trust list", err=True)


def main() -> None:
    cli(prog_name="passgen")
