"""The command line, driven through click's runner with exact exit statuses."""

import json
import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from helpers import AS_OF, make_id, row, write_roster

from passgen.cli import cli
from passgen.errors import ExitStatus

ENV = {"PASSGEN_KEY_PASSPHRASE": "correct horse"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def make_key(runner: CliRunner, folder: Path, issuer: str = "NC-XM-01") -> Path:
    key = folder / "office.pem"
    result = runner.invoke(cli, ["keys", "generate", "--out", str(key), "--issuer", issuer,
                                 "--not-before", "2020-01-01", "--not-after", "2020-12-31"],
                           env=ENV)
    assert result.exit_code == ExitStatus.OK, result.output
    return key


def test_keys_generate_and_trust(runner: CliRunner, tmp_path: Path) -> None:
    key = make_key(runner, tmp_path)
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert "PRIVATE" not in runner.invoke(cli, ["keys", "trust", str(key), "--out",
                                                str(tmp_path / "t.json")]).output
    doc = json.loads((tmp_path / "t.json").read_text())
    assert doc["keys"][0]["issuer"] == "NC-XM-01"
    again = runner.invoke(cli, ["keys", "generate", "--out", str(key), "--issuer", "X"], env=ENV)
    assert again.exit_code == ExitStatus.ERROR and "--force" in again.output


def test_keys_show(runner: CliRunner, tmp_path: Path) -> None:
    key = make_key(runner, tmp_path)
    shown = runner.invoke(cli, ["keys", "show", str(key)])
    assert shown.exit_code == ExitStatus.OK and "NC-XM-01" in shown.output and "2020-01-01 .. 2020-12-31" \
        in shown.output
    assert "PRIVATE" not in shown.output


def test_passphrase_needed_without_a_terminal(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["keys", "generate", "--out", str(tmp_path / "k.pem"),
                                 "--issuer", "X"], env={"PASSGEN_KEY_PASSPHRASE": ""})
    assert result.exit_code == ExitStatus.ERROR and "PASSGEN_KEY_PASSPHRASE" in result.output
    assert not (tmp_path / "k.pem").exists()


def test_cards_then_verify(runner: CliRunner, tmp_path: Path) -> None:
    key = make_key(runner, tmp_path)
    runner.invoke(cli, ["keys", "trust", str(key), "--out", str(tmp_path / "t.json")])
    roster = write_roster(tmp_path / "r.xlsx", [row(), row(姓名="坏行", 身份证号="1")])
    out = tmp_path / "out"
    result = runner.invoke(cli, ["cards", str(roster), "--key", str(key), "--out", str(out),
                                 "--as-of", AS_OF.isoformat(), "--ledger",
                                 str(tmp_path / "ledger.sqlite")], env=ENV)
    assert result.exit_code == ExitStatus.REJECTED_ROWS, result.output  # 3: a row to fix
    assert "read 2 rows: 1 cards, 1 rejected" in result.output
    assert "第3行" in result.output and "身份证号" in result.output
    pdf = out / "cards-桂花社区-001.pdf"
    assert pdf.is_file() and (out / "report.xlsx").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left

    verdict = runner.invoke(cli, ["verify", str(pdf), "--trust",
                                  str(tmp_path / "t.json"), "--at", "2020-03-26", "--json"])
    assert verdict.exit_code == ExitStatus.OK, verdict.output
    [line] = verdict.stdout.strip().splitlines()
    obj = json.loads(line)
    assert {"source", "status", "color", "serial", "name", "expires"} <= set(obj)
    assert (obj["status"], obj["color"], obj["name"]) == ("valid", "green", "张三")

    late = runner.invoke(cli, ["verify", str(pdf), "--trust",
                               str(tmp_path / "t.json"), "--at", "2020-05-01"])
    assert late.exit_code == ExitStatus.NOT_VALID and "expired" in late.output

    text = tmp_path / "codes.txt"
    payload_ok = obj["serial"]  # not a payload: a garbage line
    text.write_text(f"{payload_ok}\n\n")
    garbage = runner.invoke(cli, ["verify", str(text), "--trust", str(tmp_path / "t.json")])
    assert garbage.exit_code == ExitStatus.NOT_VALID and "malformed" in garbage.output


def test_verify_standard_input(runner: CliRunner, tmp_path: Path) -> None:
    key = make_key(runner, tmp_path)
    runner.invoke(cli, ["keys", "trust", str(key), "--out", str(tmp_path / "t.json")])
    result = runner.invoke(cli, ["verify", "-", "--trust", str(tmp_path / "t.json")],
                           input="PG1:NOT-REALLY\n")
    assert result.exit_code == ExitStatus.NOT_VALID and "stdin:1\t无法识别 malformed" in result.output


def test_wrong_passphrase_and_issuer(runner: CliRunner, tmp_path: Path) -> None:
    key = make_key(runner, tmp_path)
    roster = write_roster(tmp_path / "r.xlsx", [row()])
    args = ["cards", str(roster), "--key", str(key), "--out", str(tmp_path / "o"),
            "--ledger", str(tmp_path / "l.sqlite"), "--as-of", "2020-03-25"]
    bad = runner.invoke(cli, args, env={"PASSGEN_KEY_PASSPHRASE": "nope"})
    assert bad.exit_code == ExitStatus.ERROR and "口令错误" in bad.output and "Traceback" not in bad.output
    other = runner.invoke(cli, args + ["--issuer", "SOMEONE"], env=ENV)
    assert other.exit_code == ExitStatus.ERROR and "SOMEONE" in other.output
    outside = runner.invoke(cli, args[:-1] + ["2021-06-01"], env=ENV)
    assert outside.exit_code == ExitStatus.ERROR and "有效期" in outside.output


def test_usage_errors_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["verify", "x.pdf"]).exit_code == ExitStatus.ERROR
    assert runner.invoke(cli, ["cards", "--as-of", "tomorrow"]).exit_code == ExitStatus.ERROR
    trust = tmp_path / "t.json"
    trust.write_text('{"format": "passgen-trust/1", "keys": []}')
    missing = runner.invoke(cli, ["verify", str(tmp_path / "nothing.pdf"), "--trust", str(trust)])
    assert missing.exit_code == ExitStatus.ERROR and "找不到" in missing.output


def test_roster_check_writes_report_only(runner: CliRunner, tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "r.xlsx", [row(), row(姓名="坏行", 身份证号="1")])
    result = runner.invoke(cli, ["roster", "check", str(roster), "--out", str(tmp_path),
                                 "--as-of", "2020-03-25"])
    assert result.exit_code == ExitStatus.REJECTED_ROWS  # as cards (issue #30)
    assert "读取 2 行：通过 1，未通过 1" in result.output
    assert "read 2 rows: 1 passed, 1 rejected" in result.output
    assert (tmp_path / "report.xlsx").is_file() and not list(tmp_path.glob("*.pdf"))


def _commands(group: click.Group, prefix: str = ""):  # type: ignore[no-untyped-def]
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")


def test_every_command_and_option_is_explained(runner: CliRunner) -> None:
    assert runner.invoke(cli, ["--help"]).exit_code == ExitStatus.OK
    for name, command in _commands(cli):
        assert command.help, name
        result = runner.invoke(cli, [*name.split(), "--help"])
        assert result.exit_code == ExitStatus.OK, name
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.name}"


def test_python_dash_m_runs(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "passgen", "--help"], capture_output=True,
                            text=True, env={**os.environ}, check=False, cwd=tmp_path)
    assert result.returncode == 0 and "passgen" in result.stdout


def test_rules_show_and_explain(runner: CliRunner, tmp_path: Path) -> None:
    from passgen.rules import load_rules

    shown = runner.invoke(cli, ["rules", "show"])
    assert shown.exit_code == ExitStatus.OK
    assert load_rules().version_hex in shown.output
    for clause in ("R1", "R10", "Y5", "G4", "T1", "T2"):
        assert f"  {clause} " in shown.output, clause
    roster = write_roster(tmp_path / "r.xlsx", [
        row(**{"14天内旅居地区": "湖北省武汉市", "来南日期": "2020-03-20"}),
        row(姓名="坏行", 身份证号="1")])
    red = runner.invoke(cli, ["rules", "explain", str(roster), "--row", "2", "--as-of",
                              "2020-03-25"])
    assert red.exit_code == ExitStatus.OK, red.output
    assert "R1 红码" in red.output and "R5 红码" in red.output and "结果 result: 红码" in red.output
    bad = runner.invoke(cli, ["rules", "explain", str(roster), "--row", "3"])
    assert bad.exit_code == ExitStatus.OK and "rejected" in bad.output
    none = runner.invoke(cli, ["rules", "explain", str(roster), "--row", "9"])
    assert none.exit_code == ExitStatus.ERROR
    assert runner.invoke(cli, ["rules", "explain", str(roster)]).exit_code == ExitStatus.ERROR
    broken = tmp_path / "rules.toml"
    broken.write_text('format = "passgen-rules/1"\nwobble = 1\n')
    refused = runner.invoke(cli, ["rules", "show", "--rules", str(broken)])
    assert refused.exit_code == ExitStatus.ERROR and "line 2" in refused.output


def test_a_key_s_maximum_validity_bounds_the_batch(runner: CliRunner, tmp_path: Path) -> None:
    key = tmp_path / "short.pem"
    made = runner.invoke(cli, ["keys", "generate", "--out", str(key), "--issuer", "NC-XM-01",
                               "--not-before", "2020-01-01", "--not-after", "2020-12-31",
                               "--max-validity-days", "5"], env=ENV)
    assert made.exit_code == ExitStatus.OK and "max 5" in made.output
    assert json.loads(Path(f"{key}.pub.json").read_text())["max_validity_days"] == 5
    roster = write_roster(tmp_path / "r.xlsx", [row()])
    ledger = ["--ledger", str(tmp_path / "ledger.sqlite")]
    result = runner.invoke(cli, ["cards", str(roster), "--key", str(key), "--out",
                                 str(tmp_path / "out"), "--as-of", AS_OF.isoformat(), *ledger],
                           env=ENV)
    assert result.exit_code == ExitStatus.ERROR
    assert "超过了该密钥允许的最长 5 天" in result.output and "maximum of 5 days" in result.output
    assert not (tmp_path / "out").exists()  # refused before any work
    ok = runner.invoke(cli, ["cards", str(roster), "--key", str(key), "--out",
                             str(tmp_path / "out"), "--as-of", AS_OF.isoformat(),
                             "--valid-days", "4", *ledger], env=ENV)
    assert ok.exit_code == ExitStatus.OK, ok.output


def test_verify_standard_input_survives_bytes_that_are_not_utf8(runner: CliRunner,
                                                                 tmp_path: Path) -> None:
    key = make_key(runner, tmp_path)
    runner.invoke(cli, ["keys", "trust", str(key), "--out", str(tmp_path / "t.json")])
    result = runner.invoke(cli, ["verify", "-", "--trust", str(tmp_path / "t.json")],
                           input=b"PG1:\xff\xfe\nPG1:NOT-REALLY\n")
    assert result.exit_code == ExitStatus.NOT_VALID, result.output
    assert "stdin:1\t无法识别 malformed" in result.output and "stdin:2\t无法识别 malformed" in result.output
    assert "Traceback" not in result.output


def test_exit_status_tells_all_cards_from_rejected_rows_and_an_empty_roster(
        runner: CliRunner, tmp_path: Path) -> None:
    """DESIGN.md §8: 0 every row a card, 3 completed with rejected rows or no rows at all."""
    key = make_key(runner, tmp_path)
    ledger = ["--ledger", str(tmp_path / "l.sqlite"), "--as-of", AS_OF.isoformat()]
    good = write_roster(tmp_path / "good.xlsx", [row()])
    empty = write_roster(tmp_path / "empty.xlsx", [])
    done = runner.invoke(cli, ["cards", str(good), "--key", str(key), "--out",
                               str(tmp_path / "a"), *ledger], env=ENV)
    assert done.exit_code == ExitStatus.OK, done.output
    none = runner.invoke(cli, ["cards", str(empty), "--key", str(key), "--out",
                               str(tmp_path / "b"), *ledger], env=ENV)
    assert none.exit_code == ExitStatus.REJECTED_ROWS and "没有任何数据行" in none.output
    assert int(ExitStatus.REJECTED_ROWS) == 3


def test_verify_says_what_each_input_held_and_sums_up(runner: CliRunner, tmp_path: Path) -> None:
    """A photo where no code could be read is said, counted and makes the run not valid."""
    from PIL import Image

    key = make_key(runner, tmp_path)
    runner.invoke(cli, ["keys", "trust", str(key), "--out", str(tmp_path / "t.json")])
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    codes = tmp_path / "codes.txt"
    codes.write_text("PG1:NOT-REALLY\nPG1:NOR-THIS\n")
    result = runner.invoke(cli, ["verify", str(blank), str(codes), "--trust",
                                 str(tmp_path / "t.json")])
    assert result.exit_code == ExitStatus.NOT_VALID
    assert f"{blank}: 找到 0 个二维码" in result.output and "none readable" in result.output
    assert f"{codes}: 找到 2 个二维码 / 2 codes found" in result.output
    last = result.stdout.strip().splitlines()[-1]
    assert last == ("共 3 张：有效 0，无效 3（无法识别 3） / 3 codes: 0 valid, 3 not valid "
                    "(malformed 3)")


def test_progress_into_a_log_says_the_start_and_each_finished_volume(runner: CliRunner,
                                                                    tmp_path: Path) -> None:
    import datetime as dt

    from passgen.intake.estimate import estimate_rows

    key = make_key(runner, tmp_path)
    rows = [row(姓名=f"甲{i}", 身份证号=make_id(dt.date(1950, 1, 1), i)) for i in range(15)]
    roster = write_roster(tmp_path / "r.xlsx", rows)
    assert estimate_rows(roster) == 15
    (tmp_path / "r.csv").write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    assert estimate_rows(tmp_path / "r.csv") == 2 and estimate_rows(tmp_path / "x.ods") is None
    result = runner.invoke(cli, ["cards", str(roster), "--key", str(key), "--out",
                                 str(tmp_path / "out"), "--as-of", AS_OF.isoformat(),
                                 "--sheets-per-volume", "1", "--ledger",
                                 str(tmp_path / "l.sqlite")], env=ENV)
    assert result.exit_code == ExitStatus.OK, result.output
    assert "约 15 行 / about 15 rows" in result.output
    done = [line for line in result.output.splitlines() if line.startswith("已写好")]
    assert done == ["已写好 cards-桂花社区-001.pdf（10 张卡，批次完成后生效） / volume written: "
                    "cards-桂花社区-001.pdf (10 cards, final once the batch completes)",
                    "已写好 cards-桂花社区-002.pdf（5 张卡，批次完成后生效） / volume written: "
                    "cards-桂花社区-002.pdf (5 cards, final once the batch completes)"]
    quarters = [line for line in result.output.splitlines() if line.startswith("已处理")]
    assert quarters[:3] == [f"已处理 {n} / 15 行（{p}） / {n} of 15 rows done"
                            for n, p in ((4, "27%"), (8, "53%"), (12, "80%"))]


def test_the_default_ledger_lives_in_the_user_s_data_folder_not_the_working_one(
        runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = make_key(runner, tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    work = tmp_path / "somewhere"
    work.mkdir()
    monkeypatch.chdir(work)
    roster = write_roster(tmp_path / "r.xlsx", [row()])
    done = runner.invoke(cli, ["cards", str(roster), "--key", str(key), "--out", "out",
                               "--as-of", AS_OF.isoformat()], env=ENV)
    ledger = tmp_path / "data" / "passgen" / "passgen-ledger.sqlite"
    assert done.exit_code == ExitStatus.OK, done.output
    assert ledger.exists() and f"登记册 ledger: {ledger}" in done.output
    assert not list(work.glob("*.sqlite"))
    listed = runner.invoke(cli, ["ledger", "list"])  # found again from anywhere
    assert listed.exit_code == ExitStatus.OK and "1 cards" in listed.output


def test_a_public_key_given_as_key_and_a_file_name_given_as_out(runner: CliRunner,
                                                                 tmp_path: Path) -> None:
    key = make_key(runner, tmp_path)
    roster = write_roster(tmp_path / "r.xlsx", [row()])
    public = runner.invoke(cli, ["cards", str(roster), "--key", f"{key}.pub.json", "--out",
                                 str(tmp_path / "out"), "--as-of", AS_OF.isoformat()], env=ENV)
    assert public.exit_code == ExitStatus.ERROR and "是公钥文件" in public.output
    assert "chmod" not in public.output
    as_file = runner.invoke(cli, ["cards", str(roster), "--key", str(key), "--out",
                                  str(tmp_path / "cards.pdf"), "--as-of", AS_OF.isoformat()],
                            env=ENV)
    assert as_file.exit_code == ExitStatus.ERROR and "不是文件名" in as_file.output
    assert not (tmp_path / "cards.pdf").exists()
