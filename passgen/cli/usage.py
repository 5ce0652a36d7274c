"""Usage errors in plain Chinese before click's English (issue #30): the option or argument
is named, and what is wrong with its value is said, not guessed."""

from __future__ import annotations

import re

import click

from passgen.text import visible

_QUOTED = re.compile(r"""^(?:Path|File|Directory) (['"])(.+)\1 """)


def chinese_usage(exc: click.ClickException) -> str:
    """A Chinese line before click's own English message (none when ours already is)."""
    message = exc.format_message()
    if message[:1] and "\u4e00" <= message[0] <= "\u9fff":
        return ""
    hint = getattr(exc, "param_hint", None) or ""
    if isinstance(hint, (list, tuple)):
        hint = " / ".join(hint)
    param = getattr(exc, "param", None)
    if not hint and param is not None:  # click fills param_hint only when it shows it
        hint = " / ".join(getattr(param, "opts", ()) or ()) or (param.human_readable_name or "")
        hint = hint.upper() if isinstance(param, click.Argument) else hint
    if isinstance(exc, click.MissingParameter):
        return f"错误：缺少必填的参数或选项 {hint}".rstrip()
    if isinstance(exc, click.NoSuchOption):
        return f"错误：没有这个选项 {exc.option_name}"
    if isinstance(exc, click.BadParameter):
        named = _QUOTED.search(exc.message)  # click quotes the path it could not use
        value = f"「{visible(named[2])}」" if named else ""
        return f"错误：{hint} 的值{value}无效：{why_bad(exc.message)}"
    if isinstance(exc, click.FileError):
        return f"错误：无法打开文件 {exc.ui_filename}"
    if isinstance(exc, click.UsageError) and "No such command" in message:
        return "错误：没有这个命令（passgen --help 列出全部命令）"
    return "错误：命令用法不对（见下面的英文说明和 --help）"


# click's own messages for a bad value, in plain Chinese (the English follows on the next line)
BAD_VALUE_WORDS = (
    ("does not exist", "文件或文件夹不存在，请检查名字和所在的文件夹"),
    ("is a file", "这是一个文件，这里要的是文件夹"),
    ("is a directory", "这是一个文件夹，这里要的是文件"),
    ("is not readable", "无法读取（没有权限）"),
    ("is not writable", "无法写入（没有权限）"),
    ("is not a valid integer", "应为整数"),
    ("is not a valid float", "应为数字"),
    ("is not one of", "只能是列出的几个值之一"),
    ("is not in the range", "超出允许的范围"),
    ("is not a valid boolean", "应为 是/否（yes/no）"),
)


def why_bad(message: str) -> str:
    """What is wrong with a value, in Chinese: a message of ours as it is, click's in words."""
    words = _QUOTED.sub("", message)  # a Chinese file name is not a Chinese message
    if any("\u4e00" <= ch <= "\u9fff" for ch in words):
        return message.split(" / ")[0]
    for english, chinese in BAD_VALUE_WORDS:
        if english in message:
            return chinese
    return "值不对（见下面的英文说明）"
