"""What every command shares: the passphrase prompt, the progress bar, date options,
size limits and the lines that report a batch's rows."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:  # imported by the commands that use them: --help starts quickly
    from passgen.passes.keys import SigningKey

from passgen.dates import SHANGHAI, noon
from passgen.errors import KeyFileError
from passgen.intake.sheets import DEFAULT_MAX_MB, DEFAULT_MAX_ROWS

PASSPHRASE_ENV = "PASSGEN_KEY_PASSPHRASE"
F = TypeVar("F", bound=Callable[..., Any])


def passphrase_source(confirm: bool = False) -> Callable[[], bytes]:
    """Where the library asks for the key passphrase: PASSGEN_KEY_PASSPHRASE, else a hidden
    prompt on a terminal."""
    from passgen.passes.keys import MIN_PASSPHRASE, check_passphrase
    def ask() -> bytes:
        env = os.environ.get(PASSPHRASE_ENV)
        if env:
            return env.encode()
        if not sys.stdin.isatty():
            raise KeyFileError(f"需要密钥口令：请设置环境变量 {PASSPHRASE_ENV}",
                               f"a key passphrase is needed: set {PASSPHRASE_ENV}")
        if not confirm:
            return str(click.prompt("密钥口令 / key passphrase", hide_input=True)).encode()
        while True:  # a new key's passphrase: checked before it is asked again, then repeated
            first = str(click.prompt(f"新密钥的口令（至少 {MIN_PASSPHRASE} 个字符）/ new key's "
                                     "passphrase", hide_input=True))
            try:
                check_passphrase(first.encode())
            except KeyFileError as exc:
                click.echo(f"{exc.zh} / {exc.en}", err=True)
                continue
            again = str(click.prompt("再输入一次口令 / repeat the passphrase", hide_input=True))
            if again == first:
                return first.encode()
            click.echo("两次输入的口令不一样，请重新输入 / the two entries differ: try again", err=True)
    return ask


def parse_day(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    """A YYYY-MM-DD option."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"日期格式应为 YYYY-MM-DD（如 2020-03-25），而不是 {value} / "
                                 f"expected YYYY-MM-DD: {value}") from None


def parse_moment(ctx: click.Context, param: click.Parameter,
                 value: str | None) -> dt.datetime | None:
    """--at: a date (noon Asia/Shanghai) or an ISO date-time (Asia/Shanghai if no offset)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return noon(dt.date.fromisoformat(value))
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM（如 2020-03-25），而不是 "
                                 f"{value} / expected a date: {value}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def now() -> dt.datetime:
    return dt.datetime.now(SHANGHAI)


def limit_options(command: F) -> F:
    """--max-rows and --max-mb: files larger than these are refused before reading."""
    command = click.option("--max-mb", type=click.FloatRange(min=0.001), default=DEFAULT_MAX_MB,
                           show_default=True,
                           help="Refuse roster files larger than this many megabytes.")(command)
    return click.option("--max-rows", type=click.IntRange(min=1), default=DEFAULT_MAX_ROWS,
                        show_default=True,
                        help="Refuse roster files with more rows than this.")(command)


def columns_option(command: F) -> F:
    """--columns: an office's own headers and the columns they mean (DESIGN.md §3)."""
    def load(ctx: click.Context, param: click.Parameter, value: Path | None) -> tuple[Any, ...]:
        from passgen.intake.mapping import load_column_map
        return () if value is None else load_column_map(value)
    return click.option("--columns", "columns", callback=load,
                        type=click.Path(exists=True, dir_okay=False, path_type=Path),
                        help="The office's column mapping (JSON: its header → passgen's "
                             "header, or 不使用), as the desk saves it in 列对应.json.")(command)


def ledger_option(command: F) -> F:
    """--ledger for the commands that read an existing ledger."""
    from passgen.folders import DEFAULT_LEDGER_SHOWN, LEDGER_ENV, default_ledger
    return click.option("--ledger", "ledger_path",
                        type=click.Path(exists=True, dir_okay=False, path_type=Path),
                        default=default_ledger, show_default=DEFAULT_LEDGER_SHOWN,
                        envvar=LEDGER_ENV, show_envvar=True,
                        help="Issuance ledger (SQLite) written by passgen cards.")(command)


def rules_option(command: F) -> F:
    return click.option("--rules", "rules_path",
                        type=click.Path(exists=True, dir_okay=False, path_type=Path),
                        help="Rules file (default: the shared rules shipped with passgen).")(
                            command)


def history_option(command: F) -> F:
    """--ledger and --key for the commands that read rosters without issuing (roster check,
    rules explain): where residents' last cards and their facts are looked up, as passgen
    cards does."""
    from passgen.folders import DEFAULT_LEDGER_SHOWN, LEDGER_ENV, default_ledger
    command = click.option(
        "--key", "key_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="机构签名密钥：用它打开登记册中的居民假名，才能查到上一张卡（口令同 cards）。/ "
             "The office's signing key, which unlocks the ledger's pseudonyms so residents' "
             "last cards can be found (passphrase as for cards).")(command)
    return click.option("--ledger", "ledger_path",
                        type=click.Path(dir_okay=False, path_type=Path),
                        default=default_ledger, show_default=DEFAULT_LEDGER_SHOWN,
                        envvar=LEDGER_ENV, show_envvar=True,
                        help="Issuance ledger: each resident's last card and the facts kept "
                             "with it decide the colour, as in passgen cards (上次颜色 counts only "
                             "where it has no card); not used if the file does not exist.")(command)


def history_key(key_path: Path | None) -> SigningKey | None:
    """The key given to a history command, unlocked (None if none was given)."""
    from passgen.passes.keys import load_office_key
    return None if key_path is None else load_office_key(key_path, passphrase_source())


def echo_outcomes(result: Any, rejected_word: str, checking: bool = False) -> None:
    """Rejections and unread sheets on standard error, then the totals line."""
    for notice in result.notices:
        click.echo(f"注意 notice: {notice.message}", err=True)
    for o in result.rejected:
        if o.error:
            click.echo(f"{rejected_word}: {o.error.message}", err=True)
    click.echo(result.totals.line(checking), err=True)
