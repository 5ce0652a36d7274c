"""``passgen revoke`` and ``passgen revocations``: cards revoked in the ledger, and the
signed lists of them for checkpoints."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import click

from passgen.cli.common import PASSPHRASE_ENV, ledger_option, now, parse_moment, passphrase_source
from passgen.errors import ExitStatus


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


COMMANDS = (revoke, revocations)
