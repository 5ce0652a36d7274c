"""``passgen revoke`` and ``passgen revocations``: cards revoked in the ledger, and the
signed lists of them for checkpoints."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import click

from passgen.cli.common import (
    PASSPHRASE_ENV,
    columns_option,
    ledger_option,
    now,
    parse_day,
    parse_moment,
    passphrase_source,
)
from passgen.errors import ExitStatus
from passgen.intake.mapping import ColumnMap
from passgen.models import short_serial


@click.command()
@click.argument("serials", nargs=-1, required=True)
@click.option("--reason", required=True, help="Why the cards are revoked (kept in the ledger).")
@ledger_option
def revoke(serials: tuple[str, ...], reason: str, ledger_path: Path) -> ExitStatus:
    """Revoke cards by SERIAL (as printed, e.g. 1A2B-3C4D-5E6F-7081).  Then export a new
    revocation list for the checkpoints."""
    from passgen.jobs.revocations import revoke_cards
    revoked = revoke_cards(ledger_path, serials, reason, int(time.time()))
    click.echo(f"已吊销 revoked: {len(revoked)} cards.  下一步 next: passgen revocations export")
    return ExitStatus.OK


@click.group()
def revocations() -> None:
    """Signed revocation lists for checkpoints."""


@revocations.command("export")
@click.option("--key", "key_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=f"The office's private key (passphrase from ${PASSPHRASE_ENV} or a prompt).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Revocation list to write (JSON, signed).")
@click.option("--at", "at", callback=parse_moment,
              help="Generation time (default: now); cards expired by then are left out.")
@click.option("--allow-new-ledger", is_flag=True,
              help="Export from a ledger in which this key signed no card (a new office): "
                   "checkpoints then forget what the office revoked before.")
@click.option("--allow-drop", is_flag=True,
              help="Export a list that drops unexpired cards an earlier list revoked.")
@ledger_option
def revocations_export(key_path: Path, out_path: Path, at: dt.datetime | None,
                       allow_new_ledger: bool, allow_drop: bool,
                       ledger_path: Path) -> ExitStatus:
    """Write the signed list of this office's revoked cards that have not expired yet."""
    from passgen.jobs.revocations import export_revocations
    exported = export_revocations(key_path, passphrase_source(), ledger_path, out_path,
                                  at or now(), allow_new_ledger, allow_drop)
    kb = exported.size / 1024
    withdrawn = (f"，撤回密钥 {exported.withdrawn} 把" if exported.withdrawn else "")
    click.echo(f"吊销名单 {exported.path}：{exported.cards} 张卡{withdrawn}，{kb:.1f} KB / revocation "
               f"list {exported.path}: {exported.cards} cards, {exported.withdrawn} keys "
               f"withdrawn, {kb:.1f} KB")
    return ExitStatus.OK


@click.command()
@click.argument("rosters", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--find", "query", required=True,
              help="The resident's name, or ID number (whole, as masked on the card, or its "
                   "last digits).")
@click.option("--row", type=int, help="Which of several residents found: their row number.")
@click.option("--reason", required=True, help="Why (kept in the ledger), e.g. 卡片遗失.")
@click.option("--key", "key_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=f"The office's private key (passphrase from ${PASSPHRASE_ENV} or a prompt).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the new card's PDF and report.")
@click.option("--as-of", "as_of", callback=parse_day, help="Date of the new card (default: today).")
@columns_option
@ledger_option
def reissue(rosters: tuple[Path, ...], query: str, row: int | None, reason: str,
            key_path: Path, out_dir: Path, as_of: dt.date | None, columns: ColumnMap,
            ledger_path: Path) -> ExitStatus:
    """A lost card in one step: find the resident in ROSTERS, revoke their cards still in
    force, and print their new card.  Then export a new revocation list."""
    from passgen.dates import today
    from passgen.jobs.cards import PrintOptions
    from passgen.jobs.reissue import find_residents
    from passgen.jobs.reissue import reissue as reissue_card
    from passgen.passes.keys import load_office_key
    from passgen.printing.layout import load_template
    from passgen.rules import load_rules
    day = as_of or today()
    key = load_office_key(key_path, passphrase_source())
    found = find_residents(list(rosters), query, day, ledger_path, key, columns)
    chosen = [f for f in found if row is None or f.row[2] == row]
    if len(chosen) != 1:
        for f in found:
            click.echo(f"  {f.row[0]} · {f.row[1]} · 第{f.row[2]}行  {f.name}  {f.masked_id}  "
                       f"{f.community}  卡 cards: {len(f.cards)}", err=True)
        raise click.UsageError("没有找到这位居民 / no resident matches --find" if not chosen else
                               "找到几位居民，请用 --row 选一位 / several match: choose with --row")
    done = reissue_card(list(rosters), chosen[0].row, reason, key, ledger_path, out_dir,
                        load_rules(), PrintOptions(load_template()), day, int(time.time()),
                        columns)
    for serial in done.revoked:
        click.echo(f"已吊销 revoked: {short_serial(serial)}")
    if not done.revoked:
        click.echo("登记册里没有这位居民仍有效的卡，无需吊销 / no card of theirs in force to revoke")
    for pdf in done.batch.pdfs:
        click.echo(f"新卡 new card: {pdf}")
    click.echo("下一步 next: passgen revocations export")
    return ExitStatus.OK


COMMANDS = (revoke, revocations, reissue)
