"""``passgen cards``: rosters in, signed card PDFs and report.xlsx out."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from passgen.cli.common import (
    PASSPHRASE_ENV,
    columns_option,
    echo_outcomes,
    limit_options,
    parse_day,
    passphrase_source,
    rules_option,
)
from passgen.cli.progress import ProgressBar
from passgen.dates import today
from passgen.errors import ExitStatus
from passgen.folders import DEFAULT_LEDGER_SHOWN, LEDGER_ENV, default_ledger
from passgen.intake.mapping import ColumnMap
from passgen.intake.sheets import Limits


@click.command()
@click.argument("rosters", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", "key_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Private signing key (KEY, with KEY.pub.json beside it). "
                   f"Passphrase from ${PASSPHRASE_ENV} or a prompt.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the card PDFs (cards-<community>-NNN.pdf) and report.xlsx into.")
@click.option("--as-of", "as_of", callback=parse_day,
              help="Issue date YYYY-MM-DD (default: today in Asia/Shanghai). "
                   "Cards are valid from this day; same inputs and date give identical PDFs.")
@click.option("--issuer", help="Office code expected on the key (must match KEY.pub.json).")
@click.option("--valid-days", type=click.IntRange(1, 365), default=7, show_default=True,
              help="卡片有效期：签发日期之后再加的天数（不能超过密钥的 max_validity_days）。/ "
                   "Cards are valid through the as-of date plus this many days (within the "
                   "key's max_validity_days).")
@click.option("--community", default="",
              help="Community name for rows whose 社区 cell is blank.")
@click.option("--template", default=None,
              help="Card layout: a bundled name (card) or a path to a .toml template.")
@rules_option
@click.option("--hotline", help="Hotline printed on the card backs (default: the template's).")
@click.option("--simplex", is_flag=True,
              help="Fronts only; by default each front page is followed by its back page, "
                   "mirrored for long-edge duplex printing.")
@click.option("--sheets-per-volume", type=click.IntRange(1), default=500, show_default=True,
              help="Start a new PDF after this many sheets (one PDF series per community).")
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False, path_type=Path),
              default=default_ledger, show_default=DEFAULT_LEDGER_SHOWN,
                        envvar=LEDGER_ENV, show_envvar=True,
              help="Issuance ledger (SQLite) recording every card with the facts it was decided "
                   "on; a resident's colour is decided from the ledger's last card and its "
                   "facts (上次颜色 counts only where the ledger has no card, or beside it when "
                   "worse), and an earlier unexpired card that lets its holder through where "
                   "the new one would not (a better colour, a longer validity) is revoked.")
@click.option("--jobs", type=click.IntRange(1, 64), default=os.cpu_count() or 1,
              show_default="the number of cores",
              help="Worker processes making the QR codes while rows are read and pages laid "
                   "out (above 1, the report is written by its own process too); the PDFs "
                   "are the same for any number.")
@click.option("--replace", is_flag=True,
              help="输出文件夹里若有上一批次的输出，先删除其清单（passgen-batch.json）所列的文件；"
                   "不加时拒绝，以免新旧卡片混在一起打印。/ Remove the files the folder's last "
                   "batch listed in its manifest first (without it such a folder is refused).")
@columns_option
@limit_options
def cards(rosters: tuple[Path, ...], key_path: Path, out_dir: Path, as_of: dt.date | None,
          issuer: str | None, valid_days: int, community: str, template: str | None,
          rules_path: Path | None, hotline: str | None, simplex: bool, sheets_per_volume: int,
          ledger_path: Path, jobs: int, replace: bool, columns: ColumnMap, max_rows: int,
          max_mb: float) -> ExitStatus:
    """Print signed cards for every good row of ROSTER files (.xlsx, .xls, .ods, .csv in
    UTF-8 or GB18030) and write a report with one line per row."""
    from passgen.jobs.cards import print_cards
    if out_dir.suffix.lower() in (".pdf", ".xlsx", ".xls", ".csv"):
        raise click.UsageError(f"--out 要的是一个文件夹，不是文件名（{out_dir}）/ --out names a "
                               "folder for the PDFs and the report, not a file")
    result = print_cards(list(rosters), key_path, passphrase_source(), out_dir,
                         as_of or today(), issuer=issuer, valid_days=valid_days,
                         community=community, template=template, rules=rules_path,
                         hotline=hotline, duplex=not simplex,
                         sheets_per_volume=sheets_per_volume, ledger=ledger_path, jobs=jobs,
                         limits=Limits(max_mb, max_rows), progress=ProgressBar(),
                         replace=replace, columns=columns)
    echo_outcomes(result, "未制卡 rejected")
    if result.superseded:
        click.echo(f"已吊销旧卡 superseded: {len(result.superseded)} earlier cards of these "
                   "residents are revoked; export a new revocation list "
                   "(passgen revocations export)", err=True)
    for pdf in result.pdfs:
        click.echo(f"卡片 cards: {pdf}")
    click.echo(f"报告 report: {result.report}")
    click.echo(f"登记册 ledger: {ledger_path}")
    if result.totals.rows == 0:
        click.echo("注意：花名册中没有任何数据行，没有制卡 / notice: the rosters hold no data "
                   "rows, so no card was made", err=True)
    if result.totals.rejected or result.totals.rows == 0:
        return ExitStatus.REJECTED_ROWS  # a script can tell "some rows need fixing" apart
    return ExitStatus.OK


COMMANDS = (cards,)
