"""One batch per output folder (issue #17): a manifest of what a batch wrote; another batch
into the folder is refused, or with --replace clears exactly the files the manifest lists."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import AS_OF, fixed_key, make_id, row, write_roster

from passgen.cli import cli
from passgen.errors import ExitStatus, OutputExists
from passgen.jobs.cards import check_rosters, run_cards
from passgen.jobs.manifest import MANIFEST
from passgen.passes import keys
from passgen.printing.layout import load_template
from passgen.rules import load_rules


def batch(tmp: Path, name: str, communities: list[str], replace: bool = False):  # type: ignore[no-untyped-def]
    rows = [row(姓名=f"甲{i}", 身份证号=make_id(dt.date(1950, 1, 1), i), 社区=c)
            for i, c in enumerate(communities)]
    roster = write_roster(tmp / f"{name}.xlsx", rows)
    return run_cards([roster], fixed_key(), tmp / "out", load_rules(), load_template(), AS_OF,
                     replace=replace)


def test_a_second_batch_into_a_used_folder_is_refused_and_touches_nothing(tmp_path: Path) -> None:
    first = batch(tmp_path, "first", ["东门社区", "西门社区"])
    out = tmp_path / "out"
    listed = json.loads((out / MANIFEST).read_text())
    assert sorted(listed["files"]) == ["cards-东门社区-001.pdf", "cards-西门社区-001.pdf",
                                       "report.xlsx"]
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(OutputExists) as info:
        batch(tmp_path, "second", ["西门社区"])
    assert "另一批次" in info.value.zh and "--replace" in info.value.en
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert first.pdfs  # still there, unmixed


def test_replace_removes_exactly_the_last_batch_s_files(tmp_path: Path) -> None:
    batch(tmp_path, "first", ["东门社区", "西门社区"])
    out = tmp_path / "out"
    (out / "notes.txt").write_text("the clerk's own file")
    second = batch(tmp_path, "second", ["西门社区"], replace=True)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["cards-西门社区-001.pdf", "notes.txt", MANIFEST, "report.xlsx"]
    assert any("已删除上一批次的 3 个文件" in n.zh for n in second.notices)
    assert json.loads((out / MANIFEST).read_text())["files"] == ["cards-西门社区-001.pdf",
                                                                 "report.xlsx"]


def test_outputs_no_manifest_accounts_for_are_never_deleted(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "cards-桂花社区-002.pdf").write_bytes(b"%PDF- printed by hand, or by an old passgen")
    for replace in (False, True):
        with pytest.raises(OutputExists) as info:
            batch(tmp_path, "r", ["桂花社区"], replace=replace)
        assert "cards-桂花社区-002.pdf" in info.value.zh
    assert (out / "cards-桂花社区-002.pdf").exists()


def test_roster_check_never_overwrites_a_batch_s_report(tmp_path: Path) -> None:
    batch(tmp_path, "first", ["东门社区"])
    roster = write_roster(tmp_path / "r.xlsx", [row()])
    with pytest.raises(OutputExists):
        check_rosters([roster], tmp_path / "out", None, AS_OF)
    for _ in range(2):  # its own folder: as often as the clerk likes
        check_rosters([roster], tmp_path / "check", None, AS_OF)


def test_cards_replace_on_the_command_line(tmp_path: Path) -> None:
    key = tmp_path / "office.pem"
    keys.save(fixed_key(), key, b"correct horse battery")
    env = {"PASSGEN_KEY_PASSPHRASE": "correct horse battery"}
    roster = write_roster(tmp_path / "r.xlsx", [row()])
    args = ["cards", str(roster), "--key", str(key), "--out", str(tmp_path / "out"),
            "--as-of", AS_OF.isoformat(), "--ledger", str(tmp_path / "l.sqlite")]
    runner = CliRunner()
    assert runner.invoke(cli, args, env=env).exit_code == ExitStatus.OK
    again = runner.invoke(cli, args, env=env)
    assert again.exit_code == ExitStatus.ERROR and "--replace" in again.output
    assert runner.invoke(cli, [*args, "--replace"], env=env).exit_code == ExitStatus.OK
