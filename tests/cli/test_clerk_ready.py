"""Clerk-ready, second round (issue #30): errors that say what is wrong, advice for a file
that is not a spreadsheet, posters' hotline and template help, passphrase prompts, the report's
words, a quick start that Ctrl-C cannot turn into a traceback."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import (
    AS_OF,
    PASSGEN_SCRIPT,
    PTY,
    REPO,
    fixed_key,
    make_id,
    needs_posix,
    passgen_env,
    pexpect_or_none,
    row,
    write_roster,
)
from openpyxl import load_workbook

from passgen.cli import cli
from passgen.errors import ExitStatus
from passgen.passes import keys

pexpect = pexpect_or_none()  # None under the stand-in

PASSGEN = str(PASSGEN_SCRIPT)
HEAVY = ("openpyxl", "numpy", "reportlab", "pypdfium2", "zxingcpp", "cryptography", "nacl",
         "PIL", "cbor2", "python_calamine", "qrcode")


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


# --- 4: usage errors in Chinese that name the option and the problem -------------------------

def test_usage_errors_name_the_option_and_the_problem(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "r.xlsx", [row()])
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    for args, words in (
            (["roster", "check", str(tmp_path / "missing.xlsx"), "--out", str(tmp_path / "o")],
             ["ROSTERS", "不存在"]),
            (["roster", "check", str(roster), "--out", str(tmp_path / "a-file")],
             ["--out", "这是一个文件，这里要的是文件夹"]),
            (["roster", "check", str(roster), "--out", str(tmp_path / "o"), "--as-of",
              "2020/3/25"], ["--as-of", "YYYY-MM-DD", "2020/3/25"])):
        status, output = invoke(*args)
        first = output.splitlines()[0]
        assert status == ExitStatus.ERROR and first.startswith("错误："), output
        assert all(w in first for w in words), first
        assert "文件不存在或格式不对" not in output and "见下面的英文说明" not in first


# --- 5: a file that is not a spreadsheet -------------------------------------------------------

def test_a_word_file_renamed_xlsx_gets_advice(tmp_path: Path) -> None:
    import zipfile

    fake = tmp_path / "花名册.xlsx"
    with zipfile.ZipFile(fake, "w") as doc:
        doc.writestr("[Content_Types].xml", "<Types/>")
        doc.writestr("word/document.xml", "<w:document/>")
    status, output = invoke("roster", "check", str(fake), "--out", str(tmp_path / "o"))
    assert status == ExitStatus.ERROR and "Word 文档" in output and "另存为 .xlsx" in output
    assert "CalamineError）" not in output.splitlines()[0]
    (tmp_path / "scan.xlsx").write_bytes(b"%PDF-1.4 a scanned roster")
    status, output = invoke("roster", "check", str(tmp_path / "scan.xlsx"), "--out",
                            str(tmp_path / "o"))
    assert status == ExitStatus.ERROR and "PDF" in output


# --- 8: posters ----------------------------------------------------------------------------------

def test_posters_hotline_fills_the_blank_cells_of_a_venue_list(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    from passgen.intake.roster_template import write_venue_template

    venues = tmp_path / "点位表.xlsx"
    write_venue_template(venues)
    book = load_workbook(venues)
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]  # under the template's title row
    values = {"名称": "骏达市场", "社区": "西门社区", "地址": "", "类型": "市场", "咨询电话": None,
              "二维码内容": ""}
    for column, header in enumerate(headers, start=1):
        sheet.cell(row=3, column=column, value=values.get(str(header), ""))
    book.save(venues)
    status, output = invoke("posters", str(venues), "--out", str(tmp_path / "p"), "--kind",
                            "checkpoint", "--hotline", "0817-1234567")
    assert status == 0, output
    pdf = next((tmp_path / "p").glob("posters-*.pdf"))
    text = pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert "0817-1234567" in text
    bad = invoke("posters", str(venues), "--out", str(tmp_path / "q"), "--hotline", "call me")
    assert bad[0] == ExitStatus.ERROR and "--hotline" in bad[1]


def test_posters_template_help_is_its_own() -> None:
    status, output = invoke("posters", "template", "--help")
    assert status == 0 and "passgen posters template OUT.xlsx" in output
    assert "--kind" not in output and "空白点位表" in output


# --- 9: report.xlsx ------------------------------------------------------------------------------

def test_the_check_report_wraps_its_notes_and_shows_an_id_as_excel_does(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "r.xlsx", [row(), row(身份证号=511302195006151000)])
    status, output = invoke("roster", "check", str(roster), "--out", str(tmp_path / "o"),
                            "--as-of", "2020-03-25")
    assert status == ExitStatus.REJECTED_ROWS and "「5.11302E+17」" in output
    sheet = load_workbook(tmp_path / "o" / "report.xlsx").worksheets[0]
    rows = list(sheet.iter_rows())
    assert rows[2][5].value == "未通过" and "5.11302E+17" in rows[2][9].value
    assert rows[2][9].alignment.wrap_text and sheet.column_dimensions["J"].width <= 50
    assert rows[1][5].value == "通过"


# --- 10: passphrase prompts, top-level help ------------------------------------------------------

@needs_posix(PTY)
def test_a_short_passphrase_is_refused_before_it_is_repeated(tmp_path: Path) -> None:
    env = {k: v for k, v in passgen_env().items() if k != "PASSGEN_KEY_PASSPHRASE"}
    child = pexpect.spawn(PASSGEN, ["keys", "generate", "--out", "k.pem", "--issuer", "NC-1"],
                          cwd=str(tmp_path), env=env, encoding="utf-8", timeout=30)
    child.expect("新密钥的口令")
    child.sendline("short")
    child.expect("口令太短")
    child.expect("新密钥的口令")
    child.sendline("一句好记的长口令二〇二〇")
    child.expect("再输入一次口令")
    child.sendline("another long passphrase")
    child.expect("两次输入的口令不一样")
    child.expect("新密钥的口令")
    child.sendline("一句好记的长口令二〇二〇")
    child.expect("再输入一次口令")
    child.sendline("一句好记的长口令二〇二〇")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and (tmp_path / "k.pem").exists()


def test_the_top_level_help_is_chinese_first() -> None:
    status, output = invoke("--help")
    assert status == 0 and output.split("\n\n")[1].strip().startswith("passgen：居民出行卡")


# --- 11: install, a failed batch --------------------------------------------------------------

def test_every_package_folder_is_listed_so_installing_warns_of_nothing() -> None:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(project["tool"]["setuptools"]["packages"])
    folders = {".".join(p.relative_to(REPO).parts) for p in (REPO / "passgen").rglob("*")
               if p.is_dir() and "__pycache__" not in p.parts and any(
                   f.is_file() for f in p.iterdir())}
    assert folders <= listed, folders - listed


def test_a_failed_batch_leaves_no_empty_folder(tmp_path: Path) -> None:
    keys.save(fixed_key(), tmp_path / "k.pem", b"passphrase-1234")
    result = CliRunner().invoke(cli, ["cards", str(tmp_path / "r.csv"), "--key",
                                      str(tmp_path / "k.pem"), "--out", str(tmp_path / "new"),
                                      "--as-of", AS_OF.isoformat(), "--ledger",
                                      str(tmp_path / "l.sqlite")],
                                env={"PASSGEN_KEY_PASSPHRASE": "passphrase-1234"})
    assert result.exit_code == ExitStatus.ERROR and not (tmp_path / "new").exists()


# --- 3: without --key -------------------------------------------------------------------------------

def test_explain_says_when_the_ledger_was_not_looked_up(tmp_path: Path) -> None:
    from passgen.jobs.cards import PrintOptions, run_cards
    from passgen.printing.layout import load_template
    from passgen.rules import load_rules

    roster = write_roster(tmp_path / "r.xlsx", [row()])
    ledger = tmp_path / "l.sqlite"
    run_cards([roster], fixed_key(), tmp_path / "out", load_rules(),
              PrintOptions(load_template()), AS_OF, ledger=ledger)
    status, output = invoke("rules", "explain", str(roster), "--row", "2", "--as-of",
                            "2020-03-26", "--ledger", str(ledger))
    assert status == 0 and "没有加 --key" in output and "登记册中没有此人" not in output
    keys.save(fixed_key(), tmp_path / "k.pem", b"passphrase-1234")
    keyed = CliRunner().invoke(cli, ["rules", "explain", str(roster), "--row", "2", "--as-of",
                                     "2020-03-26", "--ledger", str(ledger), "--key",
                                     str(tmp_path / "k.pem")],
                               env={"PASSGEN_KEY_PASSPHRASE": "passphrase-1234"})
    assert keyed.exit_code == 0 and "登记册中上一张卡" in keyed.output


# --- 6: progress from the rows that hold values -------------------------------------------------

def test_a_template_roster_is_counted_by_its_rows_not_its_formatting(tmp_path: Path) -> None:
    from passgen.intake.estimate import estimate_rows
    from passgen.intake.roster_template import write_template

    blank = tmp_path / "blank.xlsx"
    write_template(blank)
    assert estimate_rows(blank) == 0
    book = load_workbook(blank)
    sheet = book.worksheets[0]
    for i in range(16):
        sheet.append([f"王{i}", make_id(dt.date(1950, 1, 1), i)])
    book.save(blank)
    assert estimate_rows(blank) == 16


# --- 12: a quick start ------------------------------------------------------------------------------

def test_help_imports_no_heavy_library() -> None:
    probe = ("import sys\nsys.argv = ['passgen', '--help']\nfrom passgen.__main__ import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, env=passgen_env(False))
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("module", ["click", "passgen.cli.cards", "passgen.check.inputs"])
def test_ctrl_c_while_passgen_loads_is_one_line_and_130(tmp_path: Path, module: str) -> None:
    """Ctrl-C at a moment of start-up, made exact: the import of ``module`` raises it."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name == {module!r}:\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupt())\n", encoding="utf-8")
    keys.write_trust([fixed_key().entry], tmp_path / "t.json")
    env = passgen_env(False)
    env["PYTHONPATH"] = os.pathsep.join([str(hook), env.get("PYTHONPATH", "")])
    done = subprocess.run([PASSGEN, "verify", "-", "--trust", "t.json"], cwd=tmp_path,
                          capture_output=True, text=True, env=env, input="")
    assert done.returncode == ExitStatus.INTERRUPTED, done.stderr
    assert done.stderr.strip() == "已中断 / interrupted" and "Traceback" not in done.stderr


def test_the_progress_bar_settles_its_eta_and_ends_at_100(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #39 finding 7: the time left read "06:20:27" at 5 s of a 69 s job (start-up
    counted as if it were rows), and the bar stopped at 84 % (the rows were estimated)."""
    import io
    import sys

    from passgen.cli import progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    clock = [1000.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    bar = progress.ProgressBar()
    bar.start("制卡", 1000)
    clock[0] += 30  # reading the key, opening the workbook: not rows
    bar.advance(1)
    assert bar.eta() is None  # too early to say
    for _ in range(99):
        clock[0] += 0.05
        bar.advance(1)
    assert bar.eta() == "剩余约 00:45 / about 00:45 left"  # 900 rows at 0.05 s, not hours
    for _ in range(740):
        bar.advance(1)
    bar.finish()
    assert "100%" in screen.getvalue() and "06:" not in screen.getvalue()
