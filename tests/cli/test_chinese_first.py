"""Chinese first, English second, everywhere a clerk reads (issue #17): every command's and
option's --help, click's own usage errors, the interrupt message."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from passgen.cli import cli, exit_status
from passgen.cli.zh import starts_in_chinese
from passgen.errors import ExitStatus


def commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize("path, command", commands(cli), ids=lambda v: v if isinstance(v, str)
                         else "")
def test_every_help_starts_in_chinese(path: str, command: click.Command) -> None:
    assert starts_in_chinese(command.help), (path, command.help)
    for param in command.params:
        if isinstance(param, click.Option) and param.help:
            assert starts_in_chinese(param.help), (path, param.opts, param.help)
    shown = CliRunner().invoke(cli, [*path.split(), "--help"])
    assert shown.exit_code == ExitStatus.OK
    body = shown.output.split("\n\n", 1)[1]
    assert starts_in_chinese(body), body[:80]


@pytest.mark.parametrize("args, zh", [
    (["cards"], "缺少"),  # a missing argument
    (["cards", "r.xlsx", "--nonsense"], "没有这个选项"),
    (["verify", "missing.pdf", "--trust", "missing.json"], "无效"),
    (["keys", "generate", "--out", "k.pem"], "缺少"),
    (["frobnicate"], "没有这个命令"),
])
def test_click_s_own_usage_errors_start_in_chinese(tmp_path: Path, args: list[str],
                                                   zh: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == ExitStatus.ERROR
    first = result.output.strip().splitlines()[0]
    assert first.startswith("错误：") and zh in first, result.output
    assert "Error:" in result.output  # then click's English


def test_the_interrupt_message_starts_in_chinese() -> None:
    status, message = exit_status(KeyboardInterrupt())
    assert status == ExitStatus.INTERRUPTED and message.startswith("已中断")
