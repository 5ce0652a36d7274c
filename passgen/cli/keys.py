"""``passgen keys``: office signing keys and the trust lists checkpoints load."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from passgen.cli.common import ledger_option, parse_day, passphrase_source
from passgen.dates import today
from passgen.errors import ExitStatus


@click.group("keys")
def keys_group() -> None:
    """Signing keys and trust lists."""


@keys_group.command("generate")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Private key file to write (encrypted PKCS#8 PEM, mode 0600); "
                   "its public half goes to OUT.pub.json.")
@click.option("--issuer", required=True, help="Issuing office code, at most 16 characters.")
@click.option("--not-before", callback=parse_day,
              help="First day the key may sign (default: today).")
@click.option("--not-after", callback=parse_day,
              help="Last day the key may sign (default: one year after --not-before).")
@click.option("--max-validity-days", type=click.IntRange(1, 366), default=60, show_default=True,
              help="该密钥签发的卡片最长有效天数，写入信任列表；核验时拒绝更长的卡，"
                   "密钥被盗也造不出长期有效的卡。/ The longest validity a card of this key may "
                   "have, written into the trust list: checkpoints refuse longer ones.")
@click.option("--force", is_flag=True, help="Overwrite an existing key file.")
def keys_generate(out_path: Path, issuer: str, not_before: dt.date | None,
                  not_after: dt.date | None, max_validity_days: int,
                  force: bool) -> ExitStatus:
    """Create a new signing key for an office."""
    from passgen.passes import keys
    key, pub = keys.create(out_path, issuer, not_before or today(), not_after,
                           passphrase_source(confirm=True), force, max_validity_days)
    click.echo(f"私钥 private key: {out_path}")
    click.echo(f"公钥 public key:  {pub}")
    click.echo(f"kid {key.entry.kid.hex()}  issuer {issuer}  "
               f"{key.entry.not_before} .. {key.entry.not_after}  "
               f"卡片最长 max {key.entry.max_validity_days} 天 days")
    return ExitStatus.OK


@keys_group.command("trust")
@click.argument("sources", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Trust list to write (passgen-trust/1 JSON).")
@click.option("--allow-demo", is_flag=True,
              help="允许放入公开的演示密钥（仅供演示）/ Accept the public demo key (demos only).")
@click.option("--rotation", is_flag=True,
              help="同一办公室换了新密钥：允许一个签发机构代码对应几把密钥 / One office's old and new "
                   "key: let one issuer code have several keys.")
def keys_trust(sources: tuple[Path, ...], out_path: Path, allow_demo: bool,
               rotation: bool) -> ExitStatus:
    """Build a trust list from key files, KEY.pub.json files or other trust lists; two
    different entries for one key, or one issuer code for two offices' keys, are refused."""
    from passgen.passes import trust
    entries = trust.build_trust(list(sources), out_path, allow_demo, rotation)
    click.echo(f"信任列表 trust list: {out_path} ({len(entries)} keys)")
    return ExitStatus.OK


@keys_group.command("show")
@click.argument("sources", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
def keys_show(sources: tuple[Path, ...]) -> ExitStatus:
    """Print kid, issuer and validity window of keys (KEY, KEY.pub.json or a trust list).
    Private material is never read or shown."""
    from passgen.passes import trust
    click.echo("\n".join(trust.describe(list(sources))))
    return ExitStatus.OK


@keys_group.command("withdraw")
@click.argument("kid")
@click.option("--reason", required=True, help="Why the key is withdrawn (kept in the ledger).")
@ledger_option
def keys_withdraw(kid: str, reason: str, ledger_path: Path) -> ExitStatus:
    """Withdraw one of this office's keys (lost, stolen, retired early) by its KID: every
    revocation list exported from now on names it, and a checkpoint that loads one refuses
    every card the key signed.  Re-issue those cards with the new key first."""
    import time

    from passgen.jobs.revocations import withdraw_key
    issuer = withdraw_key(ledger_path, kid, reason, int(time.time()))
    click.echo(f"已撤回 {issuer} 的密钥 {kid} / withdrew key {kid} of {issuer}.  下一步 next: "
               "passgen revocations export --key 新密钥 new key")
    return ExitStatus.OK


COMMANDS = (keys_group,)
