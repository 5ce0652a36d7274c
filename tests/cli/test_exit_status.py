"""Exit statuses: one ExitStatus enum, one mapper, every kind of trouble a clear message."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from helpers import AS_OF, fixed_key

from passgen.cli import cli, exit_status
from passgen.errors import ExitStatus, KeyFileError, PassgenError, RosterError
from passgen.passes import keys, trust


@pytest.mark.parametrize("exc, status, words", [
    (RosterError("表头缺少列", "the header lacks columns"), ExitStatus.ERROR, "错误：表头缺少列"),
    (FileNotFoundError(2, "No such file or directory", "a/b.xlsx"), ExitStatus.ERROR,
     "错误：a/b.xlsx：无法读写文件"),
    (NotADirectoryError(20, "Not a directory", "afile/sub"), ExitStatus.ERROR, "错误：afile/sub"),
    (KeyboardInterrupt(), ExitStatus.INTERRUPTED, "已中断"),
    (click.Abort(), ExitStatus.INTERRUPTED, "已中断"),
    (click.UsageError("x"), ExitStatus.ERROR, ""),
    (ValueError("boom"), ExitStatus.ERROR, "错误：passgen 内部错误"),
])
def test_every_exception_maps_to_one_status(exc: BaseException, status: ExitStatus,
                                            words: str) -> None:
    got, message = exit_status(exc)
    assert got is status
    assert message.startswith(words)
    if isinstance(exc, PassgenError):
        assert "Error: " in message  # English second


def test_output_below_a_file_is_one_clear_error(tmp_path: Path) -> None:
    """`demo --out afile/sub` and `keys generate --out afile/k.pem` where afile is a file
    printed a traceback and exited 1."""
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    runner = CliRunner()
    demo = runner.invoke(cli, ["demo", "--out", str(afile / "sub")])
    key = runner.invoke(cli, ["keys", "generate", "--out", str(afile / "k.pem"), "--issuer",
                              "X"], env={"PASSGEN_KEY_PASSPHRASE": "correct horse"})
    for result, named in ((demo, afile / "sub"), (key, afile / "k.pem")):
        assert result.exit_code == ExitStatus.ERROR, result.output
        assert "Traceback" not in result.output
        assert isinstance(result.exception, SystemExit)  # a clean exit, not a crash
        assert result.output.startswith("错误：") and str(named) in result.output
    assert afile.read_text() == "not a folder"


def test_verify_statuses(tmp_path: Path) -> None:
    key = fixed_key()
    trust = tmp_path / "trust.json"
    keys.write_trust([key.entry], trust)
    runner = CliRunner()
    base = ["verify", "-", "--trust", str(trust), "--at", str(AS_OF)]
    assert runner.invoke(cli, base, input="PG1:NOT-A-PASS\n").exit_code == ExitStatus.NOT_VALID
    assert runner.invoke(cli, base, input="").exit_code == ExitStatus.NOT_VALID  # no code
    assert runner.invoke(cli, ["verify"]).exit_code == ExitStatus.ERROR


def test_internal_errors_show_no_traceback_unless_asked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> list[str]:
        raise ValueError("boom")

    monkeypatch.setattr(trust, "describe", broken)
    pub = tmp_path / "k.pub.json"
    pub.write_text("{}")
    quiet = CliRunner().invoke(cli, ["keys", "show", str(pub)])
    assert quiet.exit_code == ExitStatus.ERROR and "Traceback" not in quiet.output
    assert "内部错误" in quiet.output and "boom" in quiet.output
    loud = CliRunner().invoke(cli, ["keys", "show", str(pub)], env={"PASSGEN_DEBUG": "1"})
    assert loud.exit_code == ExitStatus.ERROR and "Traceback" in loud.output


def test_a_key_error_is_a_passgen_error() -> None:
    assert issubclass(KeyFileError, PassgenError)
