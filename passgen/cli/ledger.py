"""``passgen ledger``: the office's record of the cards it issued (``passgen revoke`` and
``passgen revocations`` are in ``cli.revoking``)."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # imported by the commands that use them: --help starts quickly
    from passgen.jobs.ledger import LedgerCard

from passgen.cli.common import (
    history_key,
    ledger_option,
    parse_day,
    passphrase_source,
)
from passgen.errors import ExitStatus


@click.group("ledger")
def ledger_group() -> None:
    """The issuance ledger: which cards were issued, to which community, revoked or not."""


def _print_cards(found: Sequence[LedgerCard], as_json: bool) -> None:
    from passgen.jobs.ledger_tasks import card_lines
    for line in (json.dumps(c.to_json(), ensure_ascii=False) for c in found) if as_json \
            else card_lines(found):
        click.echo(line)


@ledger_group.command("list")
@click.option("--community", help="Only this community.")
@click.option("--colour", "--color", "colour",
              type=click.Choice(["green", "yellow", "red", "绿码", "黄码", "红码"]),
              help="Only cards of this colour.")
@click.option("--from", "issued_from", callback=parse_day, help="Issued on or after YYYY-MM-DD.")
@click.option("--to", "issued_to", callback=parse_day, help="Issued on or before YYYY-MM-DD.")
@click.option("--batch", help="Only this batch (id as shown).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per card.")
@ledger_option
def ledger_list(community: str | None, colour: str | None, issued_from: dt.date | None,
                issued_to: dt.date | None, batch: str | None, as_json: bool,
                ledger_path: Path) -> ExitStatus:
    """List issued cards, oldest first, with filters."""
    from passgen.jobs.ledger_tasks import card_filters, list_cards
    found = list_cards(ledger_path, card_filters(community, colour, issued_from, issued_to,
                                                 batch))
    _print_cards(found, as_json)
    if not as_json:
        click.echo(f"{len(found)} cards", err=True)
    return ExitStatus.OK


@ledger_group.command("show")
@click.argument("serial", required=False)
@click.option("--id", "by_id", is_flag=True,
              help="按身份证号查找此人的所有卡：号码在提示时输入（不显示）或从标准输入读入，不留在"
                   "命令行历史里；需要 --key。/ Every card of a resident, by the full ID number "
                   "typed at a hidden prompt or read from standard input; needs --key.")
@click.option("--key", "key_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="机构签名密钥，用于 --id / The office's signing key, for --id.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per card.")
@ledger_option
def ledger_show(serial: str | None, by_id: bool, key_path: Path | None, as_json: bool,
                ledger_path: Path) -> ExitStatus:
    """Show one card by SERIAL, or every card of a resident by --id."""
    from passgen.jobs.ledger_tasks import find_cards
    if (serial is None) == (not by_id) or (by_id and key_path is None):
        raise click.UsageError("请给出卡片编号，或 --id 加 --key / give a SERIAL, or --id with --key")
    id_number = (click.prompt("身份证号 / ID number", hide_input=True) if sys.stdin.isatty()
                 else sys.stdin.readline()) if by_id else None
    _print_cards(find_cards(ledger_path, serial, id_number, history_key(key_path)), as_json)
    return ExitStatus.OK


@ledger_group.command("add-key")
@click.argument("new_public", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", "key_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="现用的签名密钥 / The signing key in use now (its passphrase is asked for).")
@ledger_option
def ledger_add_key(new_public: Path, key_path: Path, ledger_path: Path) -> ExitStatus:
    """换用新签名密钥前运行：让新密钥（NEW.pem.pub.json）也能打开登记册中的居民假名。/ Before
    switching to a new signing key: let it open the ledger's pseudonyms too."""
    from passgen.jobs.ledger_tasks import add_ledger_key
    new = add_ledger_key(ledger_path, key_path, passphrase_source(), new_public)
    click.echo(f"登记册已可用新密钥 ledger now opens with key {new.kid.hex()} ({new.issuer})")
    return ExitStatus.OK


@ledger_group.command("recover")
@ledger_option
def ledger_recover(ledger_path: Path) -> ExitStatus:
    """Finish or undo card batches that a crash or power cut interrupted (every batch does
    this first by itself): their PDFs and the ledger agree again afterwards."""
    from passgen.jobs.ledger_tasks import recover_ledger
    done = recover_ledger(ledger_path)
    for batch, rebuilt in done:
        click.echo(" / ".join(batch.message(rebuilt)))
    click.echo(f"已处理中断的批次 batches recovered: {len(done)}")
    return ExitStatus.OK


@ledger_group.command("correct")
@click.argument("serial")
@click.option("--reason", required=True, help="Why the card was wrong (kept in the ledger).")
@ledger_option
def ledger_correct(serial: str, reason: str, ledger_path: Path) -> ExitStatus:
    """更正一张判错的红码或黄码卡：吊销它，并且以后不再按它记录的事实判定此人（DESIGN §4）。/
    Undo a wrong red or yellow card: it is revoked and its facts are no longer the resident's
    history.  Then print the resident's card again and export a new revocation list."""
    from passgen.jobs.ledger_tasks import correct_card
    from passgen.models import short_serial
    done, colour = correct_card(ledger_path, serial, reason, int(time.time()))
    click.echo(f"已更正并吊销 corrected and revoked: {short_serial(done)}（{colour.word}）。"
               "下一步 next: passgen cards（重新制卡 print again）, passgen revocations export")
    return ExitStatus.OK


COMMANDS = (ledger_group,)
