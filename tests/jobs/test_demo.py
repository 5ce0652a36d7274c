"""The bundled samples and `passgen demo`, as a newcomer runs them."""

import datetime as dt
from importlib import resources
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook
from passgen.samples import make_samples

from passgen.cli import cli
from passgen.errors import ExitStatus


def _plain(value: object) -> object:
    """Compare cell values as Excel keeps them: numbers as floats, date cells as dates."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def test_committed_samples_match_their_generator(tmp_path: Path) -> None:
    expected = make_samples.sheets()
    for name, (_, rows) in expected.items():
        book = load_workbook(resources.files("passgen.samples") / name)  # type: ignore[arg-type]
        got = [list(r) for r in book.active.iter_rows(values_only=True)]  # type: ignore[union-attr]
        want = [[None if v == "" else _plain(v) for v in r] for r in rows]
        got = [[_plain(v) for v in r] for r in got]
        assert got == want, name


def test_samples_are_big_enough_and_mixed() -> None:
    rosters = make_samples.rosters()
    assert len(rosters["elderly.xlsx"]) - 1 >= 30 and len(rosters["students.xlsx"]) - 1 >= 30


def test_demo_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert result.exit_code == ExitStatus.OK, result.output
    assert "DEMO key" in result.output
    assert "read 69 rows: 63 cards, 6 rejected" in result.output
    assert "63 of 63 codes in the PDF verify as valid" in result.output
    for name in ("cards-桂花社区-001.pdf", "report.xlsx", "trust.json", "demo-key.pem",
                 "demo-key.pem.pub.json"):
        assert (out / name).is_file(), name
    report = load_workbook(out / "report.xlsx")
    rows = list(report["逐行结果"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 69
    outcomes = [r[5] for r in rows]
    assert outcomes.count("已制卡") == 63 and outcomes.count("未制卡") == 6
    colours = {r[6] for r in rows if r[6]}
    assert colours == {"绿码", "黄码", "红码"}
