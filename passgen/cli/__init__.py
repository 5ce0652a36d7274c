"""The ``passgen`` command line: one thin module per command group.

Each command parses its options, calls one public library function and prints the result.
Every exception ends here, in ``PassgenGroup.main``, as one plain message (Chinese first, then
English) and an :class:`~passgen.errors.ExitStatus`; nobody sees a traceback.
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from typing import Any, TextIO

import click

from passgen import __version__, signals
from passgen.cli import streams
from passgen.cli.usage import chinese_usage
from passgen.errors import ExitStatus, Interrupted, PassgenError, PassgenWarning

DEBUG_ENV = "PASSGEN_DEBUG"  # set to 1 to see the traceback of an unexpected error


def exit_status(exc: BaseException) -> tuple[ExitStatus, str]:
    """The one place that maps an exception to an exit status and the message shown."""
    if isinstance(exc, Interrupted):
        return ExitStatus.INTERRUPTED, f"{exc.zh} / {exc.en}"
    if isinstance(exc, PassgenError):
        return ExitStatus.ERROR, f"错误：{exc.zh}\nError: {exc.en}"
    if isinstance(exc, (click.exceptions.Exit, SystemExit)):
        code = exc.exit_code if isinstance(exc, click.exceptions.Exit) else exc.code
        known = {int(s) for s in ExitStatus}
        return (ExitStatus(code) if isinstance(code, int) and code in known
                else ExitStatus.ERROR), ""
    if isinstance(exc, click.ClickException):
        return ExitStatus.ERROR, ""  # click shows its own message (``exc.show``)
    if isinstance(exc, (KeyboardInterrupt, click.Abort)):
        return ExitStatus.INTERRUPTED, "已中断 / interrupted"
    if isinstance(exc, OSError):
        where = f"{exc.filename}：" if exc.filename else ""
        where_en = f"{exc.filename}: " if exc.filename else ""
        reason = exc.strerror or str(exc)
        return ExitStatus.ERROR, (f"错误：{where}无法读写文件（{reason}）\n"
                                  f"Error: {where_en}{reason}")
    return ExitStatus.ERROR, (f"错误：passgen 内部错误（{type(exc).__name__}: {exc}），请把这条"
                              f"信息告诉维护人员；设置 {DEBUG_ENV}=1 可看到详细信息\n"
                              f"Error: internal error ({type(exc).__name__}: {exc}); "
                              f"set {DEBUG_ENV}=1 for details")


class PassgenGroup(click.Group):
    """A click group whose commands return an ExitStatus and whose every error is mapped
    by ``exit_status``."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False,
                                  **extra)
            status = ExitStatus(result) if isinstance(result, int) else ExitStatus.OK
        except BaseException as exc:  # noqa: BLE001 (every exception is mapped, once)
            if isinstance(exc, SystemExit) and not standalone_mode:
                raise
            status, message = exit_status(exc)
            if isinstance(exc, click.ClickException):
                zh = chinese_usage(exc)
                if zh:
                    click.echo(zh, err=True)
                exc.show()
            elif message:
                click.echo(message, err=True)
            if os.environ.get(DEBUG_ENV) and status is ExitStatus.ERROR \
                    and not isinstance(exc, (PassgenError, click.ClickException)):
                traceback.print_exception(exc, file=sys.stderr)
            if not standalone_mode:
                raise
        if standalone_mode:
            sys.exit(int(status))
        return status


@click.group(cls=PassgenGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="passgen")
def cli() -> None:
    """passgen：居民出行卡——为社区办公室制作带签名二维码的出行卡，检查点离线核验。

    读取花名册，按共用规则算出每位居民的颜色，签发 PG1 二维码，印在身份证大小的卡片上（每张A4十张）；
    检查点离线核验。先试一试：passgen demo --out out/ 。每个命令都有 --help（中文在前）。

    passgen: signed QR resident travel cards for community offices.  Read roster
    spreadsheets, compute each resident's colour with the shared rules, sign a PG1 pass and
    print it on ID-1 cards, 10 per A4 sheet; verify cards offline at checkpoints.  Start with
    `passgen demo --out out/`.
    """


def _register() -> None:
    from passgen.cli import (
        cards,
        check,
        demo,
        desk,
        keys,
        ledger,
        page,
        posters,
        revoking,
        roster,
        rules,
        zh,
    )

    for module in (demo, cards, posters, roster, ledger, revoking, rules, keys, check, page,
                   desk):
        for command in module.COMMANDS:
            cli.add_command(command)
    zh.chinese_first(cli)


_register()


def _show_warning(message: Warning | str, category: type[Warning], filename: str,
                  lineno: int, file: TextIO | None = None, line: str | None = None) -> None:
    """A passgen warning is a plain note for the clerk; any other keeps Python's form."""
    if isinstance(message, PassgenWarning):
        click.echo(f"注意：{message.zh}\nNote: {message.en}", err=True)
    else:
        _python_show_warning(message, category, filename, lineno, file, line)


_python_show_warning = warnings.showwarning


def main() -> None:
    try:
        signals.listen()  # SIGTERM ends a run as Ctrl-C does: cleanly, exit status 130
        streams.make_readable()
        if sys.platform == "win32":  # a Windows 10 console shows ANSI colours only in VT mode
            import colorama

            colorama.just_fix_windows_console()
        warnings.showwarning = _show_warning
    except KeyboardInterrupt:  # Ctrl-C before the command began: one line, exit 130
        click.echo("已中断 / interrupted", err=True)
        sys.exit(int(ExitStatus.INTERRUPTED))
    cli(prog_name="passgen")
