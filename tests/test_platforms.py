"""Where passgen runs (DESIGN.md §9, issue #25): each system's default folders, the Windows
stand-in itself, and the commands a clerk and a checkpoint type, run as processes of their own
under the stand-in (no fcntl, no fork, folders that cannot be opened, files held open by
another program, output piped in code page 936), beside the same commands on Linux."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import subprocess
import sys
import warnings
from importlib import resources
from pathlib import Path

import pytest
from helpers import (
    AS_OF,
    REPO,
    fixed_key,
    make_id,
    passgen_env,
    row,
    run_passgen,
    write_roster,
)
from pdfcheck import decode, pages

from passgen import folders
from passgen.errors import KeyFileError, PassgenWarning
from passgen.models import Assessment, Category, Colour, Location, Resident
from passgen.passes import keys
from passgen.passes.issue import issue

pytestmark = pytest.mark.e2e
PASSPHRASE = {"PASSGEN_KEY_PASSPHRASE": "桂花社区办公室的口令2020"}


def clean(ran_err: str) -> bool:
    """Nothing a clerk should never see: a traceback, an encoding error, an internal error."""
    return not any(bad in ran_err for bad in ("Traceback", "UnicodeEncodeError", "内部错误"))


# -- default folders ----------------------------------------------------------------------------

def test_the_default_folders_of_each_system(monkeypatch: pytest.MonkeyPatch) -> None:
    """platformdirs, told the system: %LOCALAPPDATA%\\passgen on Windows, Application Support
    on macOS, and on Linux the XDG folders where earlier versions kept the ledger."""
    import platformdirs.windows

    local = r"C:\Users\李明\AppData\Local"
    monkeypatch.setattr(platformdirs.windows, "get_win_folder",
                        lambda name: {"CSIDL_LOCAL_APPDATA": local}[name])
    for where in (folders.data_dir("win32"), folders.state_dir("win32")):
        assert str(where).replace("/", "\\") == local + r"\passgen"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", "/Users/liming")
    assert str(folders.data_dir("darwin")) == "/Users/liming/Library/Application Support/passgen"
    assert folders.state_dir("darwin") == folders.data_dir("darwin")
    monkeypatch.setenv("HOME", "/home/liming")
    assert str(folders.data_dir("linux")) == "/home/liming/.local/share/passgen"
    assert str(folders.state_dir("linux")) == "/home/liming/.local/state/passgen"
    monkeypatch.setenv("XDG_DATA_HOME", "/srv/data")
    from passgen.jobs.ledger_tasks import default_ledger

    assert default_ledger() == Path("/srv/data/passgen/passgen-ledger.sqlite")


# -- the stand-in -------------------------------------------------------------------------------

PROBE = r"""
import multiprocessing, os, shutil, sys
try:
    import fcntl
    print("fcntl")
except ImportError:
    pass
if hasattr(os, "fork"):
    print("os.fork")
print("methods", multiprocessing.get_all_start_methods(), multiprocessing.get_start_method())
try:
    multiprocessing.get_context("fork")
    print("fork context")
except ValueError:
    pass
try:
    os.close(os.open(sys.argv[1], os.O_RDONLY))
    print("folder opened")
except PermissionError:
    pass
open(sys.argv[2], "w").close()
try:
    os.replace(sys.argv[2], sys.argv[2] + ".new")
    print("held file replaced")
except PermissionError:
    pass
print("rmtree by descriptors" if shutil._use_fd_functions else "rmtree by paths")
print(sys.stdout.encoding, sys.stdout.errors)
"""


def test_the_standin_behaves_as_windows_does(tmp_path: Path) -> None:
    """If the stand-in stopped standing in, every test under it would pass for nothing."""
    held = tmp_path / "held.txt"
    held.write_text(str(tmp_path / "report*.xlsx") + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path), str(tmp_path / "report.xlsx")],
        capture_output=True, env=passgen_env(True, held), check=True)
    assert done.stdout.decode("cp936").split("\n") == [
        "methods ['spawn'] spawn", "rmtree by paths", "cp936 strict", ""], done.stderr
    linux = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path), str(tmp_path / "report.xlsx")],
        capture_output=True, env=passgen_env(False, held), check=True, text=True)
    assert "fcntl" in linux.stdout and "folder opened" in linux.stdout  # the switch is off


# -- every command under the stand-in ------------------------------------------------------------

def samples(folder: Path) -> Path:
    (folder / "samples").mkdir(parents=True, exist_ok=True)
    for name in ("elderly.xlsx", "点位表.xlsx"):
        (folder / "samples" / name).write_bytes(
            (resources.files("passgen.samples") / name).read_bytes())
    return folder / "samples"


def office(folder: Path, standin: bool) -> None:
    """An office key and trust list, made as the tour makes them."""
    for args in (["keys", "generate", "--out", "office.pem", "--issuer", "NC-XM-01",
                  "--not-before", "2020-01-01", "--not-after", "2020-12-31"],
                 ["keys", "trust", "office.pem", "--out", "trust.json"]):
        ran = run_passgen(args, folder, standin, extra=PASSPHRASE)
        assert ran.status == 0 and clean(ran.err), ran.err


@pytest.fixture(scope="module")
def linux_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The elderly sample's cards made on Linux with forked workers (--jobs 2)."""
    folder = tmp_path_factory.mktemp("linux")
    samples(folder)
    office(folder, False)
    ran = run_passgen(["cards", "samples/elderly.xlsx", "--key", "office.pem", "--out", "cards",
                       "--as-of", "2020-03-25", "--jobs", "2", "--ledger", "ledger.sqlite"],
                      folder, False, extra=PASSPHRASE)
    assert ran.status == 3 and clean(ran.err), ran.err
    return folder


def test_a_clerk_s_day_under_the_standin(tmp_path: Path, linux_batch: Path) -> None:
    """Key, trust list, template, check, cards with two spawned workers (the same bytes as
    forked ones), the ledger, a revocation, verify, the gate, the phone page, posters and
    the rules: each ends as on Linux, with output piped in cp936."""
    samples(tmp_path)
    for name in ("office.pem", "office.pem.pub.json", "trust.json"):
        (tmp_path / name).write_bytes((linux_batch / name).read_bytes())
    (tmp_path / "office.pem").chmod(0o600)

    def ok(args: list[str], status: int = 0, stdin: bytes | None = None) -> str:
        ran = run_passgen(args, tmp_path, True, stdin=stdin, extra=PASSPHRASE)
        assert ran.status == status and clean(ran.err), f"{args}\n{ran.err}"
        return ran.out + ran.err

    ok(["roster", "template", "花名册.xlsx"])
    ok(["roster", "check", "samples/elderly.xlsx", "--as-of", "2020-03-25", "--out", "checked"], 3)
    said = ok(["cards", "samples/elderly.xlsx", "--key", "office.pem", "--out", "cards",
               "--as-of", "2020-03-25", "--jobs", "2", "--ledger", "ledger.sqlite"], 3)
    assert "cards-桂花社区-001.pdf" in said
    mine = sorted((tmp_path / "cards").glob("cards-*.pdf"))
    theirs = sorted((linux_batch / "cards").glob("cards-*.pdf"))
    assert [p.name for p in mine] == [p.name for p in theirs] and mine
    assert [p.read_bytes() for p in mine] == [p.read_bytes() for p in theirs]
    assert not [p for p in (tmp_path / "cards").iterdir() if p.name.startswith(".")]

    listed = ok(["ledger", "list", "--community", "桂花社区", "--ledger", "ledger.sqlite"])
    serial = listed.splitlines()[1].split()[0]
    ok(["revoke", serial, "--reason", "卡片遗失", "--ledger", "ledger.sqlite"])
    ok(["revocations", "export", "--key", "office.pem", "--out", "revoked.json",
        "--at", "2020-03-26", "--ledger", "ledger.sqlite"])
    ok(["ledger", "recover", "--ledger", "ledger.sqlite"])

    verified = ok(["verify", "cards/" + mine[0].name, "--trust", "trust.json", "--revoked",
                   "revoked.json", "--at", "2020-03-26"], 1)
    assert "revoked" in verified and "有效" in verified
    codes = decode(pages(mine[0])[0])
    scans = "\n".join([codes[0], "PG1:NOT-A-CARD", *codes[1:3]]) + "\n"
    gate = ok(["checkpoint", "--trust", "trust.json", "--revoked", "revoked.json", "--log",
               "scans.csv", "--at", "2020-03-26"], stdin=scans.encode())
    assert "INVALID" in gate and "共扫描 4 次" in gate
    with (tmp_path / "scans.csv").open(encoding="utf-8", newline="") as fh:
        assert len(list(csv.reader(fh))) == 1 + 4

    ok(["verifier-page", "--trust", "trust.json", "--revoked", "revoked.json",
        "--out", "核验.html"])
    assert (tmp_path / "核验.html").stat().st_size > 100_000
    ok(["posters", "samples/点位表.xlsx", "--out", "posters", "--kind", "checkpoint",
        "--size", "A3"])
    assert list((tmp_path / "posters").glob("posters-*.pdf"))
    assert "−" not in ok(["rules", "show"])  # the minus sign, as cp936 can write it
    report = (tmp_path / "cards" / "report.xlsx")
    assert report.exists() and json.loads(
        (tmp_path / "cards" / "passgen-batch.json").read_text(encoding="utf-8"))["kind"] == "cards"


def test_demo_under_the_standin(tmp_path: Path) -> None:
    ran = run_passgen(["demo", "--out", "out"], tmp_path, True)
    assert ran.status == 0 and clean(ran.err), ran.err
    assert "自检 self-check: 63 of 63" in ran.out
    assert (tmp_path / "out" / "cards-桂花社区-001.pdf").exists()


# -- a name the code page lacks --------------------------------------------------------------

def test_a_name_holding_a_character_cp936_lacks_verifies_and_is_logged(tmp_path: Path) -> None:
    """• (U+2022) is accepted by intake and printed by the font; GBK has no such character.
    Piped in cp936, ``verify`` and the gate show it as its look-alike, and log the scan."""
    key = fixed_key()
    keys.write_trust([key.entry], tmp_path / "trust.json")
    resident = Resident(name="阿依古丽•买买提", id_number=make_id(dt.date(1950, 6, 15)),
                        category=Category.ELDERLY, community="桂花社区",
                        where=Location("r.xlsx", "花名册", 2))
    card = issue(resident, Assessment(Colour.GREEN, (), b"1234"), key, AS_OF)
    (tmp_path / "codes.txt").write_text(card.payload + "\n", encoding="utf-8")
    for standin, extra in ((True, {}), (False, {"PYTHONIOENCODING": "cp936"})):
        verified = run_passgen(["verify", "codes.txt", "--trust", "trust.json",
                                "--at", "2020-03-26"], tmp_path, standin, extra=extra)
        assert verified.status == 0 and clean(verified.err), verified.err
        assert "阿依古丽·买买提" in verified.out
        gate = run_passgen(["checkpoint", "--trust", "trust.json", "--log", "scans.csv",
                            "--at", "2020-03-26"], tmp_path, standin, extra=extra,
                           stdin=(card.payload + "\nPG1:GARBAGE\n").encode())
        assert gate.status == 0 and clean(gate.err), gate.err
        assert "阿依古丽·买买提" in gate.out and "× 无效 INVALID" in gate.out
    with (tmp_path / "scans.csv").open(encoding="utf-8", newline="") as fh:
        logged = list(csv.reader(fh))
    assert [r[2] for r in logged[1:]] == ["valid", "malformed"] * 2


def test_piped_in_cp936_every_character_becomes_a_look_alike() -> None:
    from passgen.cli import streams

    text = "规则 − R1 ✗ 无效 ✓ • 张•三 （１２） …"
    assert text.encode("cp936", streams.HANDLER).decode("cp936") == \
        "规则 - R1 × 无效 √ · 张·三 （１２） …"
    assert "−✗".encode("ascii", streams.HANDLER) == b"-?"  # no look-alike in ASCII: ?
    assert "ｆ".encode("ascii", streams.HANDLER) == b"f"  # its compatibility form


# -- files held open by another program -----------------------------------------------------

def test_a_report_open_in_excel_stops_a_rerun_with_a_message_and_loses_nothing(
        tmp_path: Path) -> None:
    key = fixed_key()
    keys.save(key, tmp_path / "office.pem", b"passphrase-1234")
    write_roster(tmp_path / "r.xlsx", [row(), row(姓名="李四", 身份证号=make_id(dt.date(1951, 1, 1)))])
    args = ["cards", "r.xlsx", "--key", "office.pem", "--out", "out", "--as-of", "2020-03-25",
            "--ledger", "l.sqlite"]
    env = {"PASSGEN_KEY_PASSPHRASE": "passphrase-1234"}
    assert run_passgen(args, tmp_path, True, extra=env).status == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    held = tmp_path / "held.txt"
    held.write_text(str(tmp_path / "out" / "report.xlsx") + "\n", encoding="utf-8")
    ran = run_passgen([*args, "--replace"], tmp_path, True, held, extra=env)
    assert ran.status == 2 and clean(ran.err), ran.err
    first = ran.err.splitlines()[0]
    assert first.startswith("错误：") and "report.xlsx" in first and "WPS" in first
    assert "关闭" in first and "Close the file" in ran.err
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before
    held.write_text("", encoding="utf-8")  # closed in Excel
    again = run_passgen([*args, "--replace"], tmp_path, True, held, extra=env)
    assert again.status == 0 and clean(again.err), again.err


def test_a_volume_held_while_renamed_leaves_the_batch_for_ledger_recover(tmp_path: Path) -> None:
    """Windows refuses to rename a file another program has open (a virus scanner reading the
    new PDF, say): after the ledger has the batch, the clerk is told, and ``ledger recover``
    finishes the batch once the file is free."""
    key = fixed_key()
    keys.save(key, tmp_path / "office.pem", b"passphrase-1234")
    write_roster(tmp_path / "r.xlsx", [row()])
    env = {"PASSGEN_KEY_PASSPHRASE": "passphrase-1234"}
    held = tmp_path / "held.txt"
    held.write_text(str(tmp_path / "out" / ".pg-*.part") + "\n", encoding="utf-8")
    ran = run_passgen(["cards", "r.xlsx", "--key", "office.pem", "--out", "out", "--as-of",
                       "2020-03-25", "--ledger", "l.sqlite"], tmp_path, True, held, extra=env)
    assert ran.status == 2 and clean(ran.err), ran.err
    assert "WPS" in ran.err and "passgen ledger recover" in ran.err
    assert not (tmp_path / "out" / "cards-桂花社区-001.pdf").exists()
    still = run_passgen(["ledger", "recover", "--ledger", "l.sqlite"], tmp_path, True, held)
    assert still.status == 2 and "WPS" in still.err and clean(still.err)  # still held
    held.write_text("", encoding="utf-8")
    done = run_passgen(["ledger", "recover", "--ledger", "l.sqlite"], tmp_path, True, held)
    assert done.status == 0 and clean(done.err), done.err
    pdf = tmp_path / "out" / "cards-桂花社区-001.pdf"
    assert pdf.exists() and len(decode(pages(pdf)[0])) == 1
    assert (tmp_path / "out" / "passgen-batch.json").exists()


# -- keys on a USB stick ---------------------------------------------------------------------

def test_a_key_on_a_file_system_without_modes_is_warned_about_not_refused(
        tmp_path: Path) -> None:
    """FAT/exFAT shows every file as 0777 (or 0755): chmod cannot help there."""
    key = fixed_key()
    path = tmp_path / "office.pem"
    keys.save(key, path, b"passphrase-1234")
    path.chmod(0o777)
    with pytest.warns(PassgenWarning) as said:
        assert keys.load_signing(path, b"passphrase-1234").entry == key.entry
    warning = said[0].message
    assert isinstance(warning, PassgenWarning)
    assert "U 盘" in warning.zh and str(folders.data_dir()) in warning.zh
    assert "chmod" not in warning.zh
    path.chmod(0o644)  # an ordinary file system: a mode that can and must be fixed
    with warnings.catch_warnings(), pytest.raises(KeyFileError) as refused:
        warnings.simplefilter("error")
        keys.load_signing(path, b"passphrase-1234")
    assert "chmod 600" in refused.value.zh


def test_the_cli_shows_that_warning_as_a_plain_note(tmp_path: Path) -> None:
    key = fixed_key()
    keys.save(key, tmp_path / "office.pem", b"passphrase-1234")
    (tmp_path / "office.pem").chmod(0o755)
    write_roster(tmp_path / "r.xlsx", [row()])
    ran = run_passgen(["cards", "r.xlsx", "--key", "office.pem", "--out", "out", "--as-of",
                       "2020-03-25", "--ledger", "l.sqlite"], tmp_path, None,
                      extra={"PASSGEN_KEY_PASSPHRASE": "passphrase-1234"})
    assert ran.status == 0 and ran.err.startswith("注意：私钥文件"), ran.err
    assert "Note: private key" in ran.err and "UserWarning" not in ran.err


# -- Windows consoles ------------------------------------------------------------------------

def test_a_windows_console_is_switched_to_colours(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows 10 shows ANSI colours only once colorama has switched the console."""
    import types

    from passgen import cli

    switched: list[bool] = []
    fake = types.ModuleType("colorama")
    fake.just_fix_windows_console = lambda: switched.append(True)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "colorama", fake)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(sys, "argv", ["passgen", "--version"])
    with pytest.raises(SystemExit) as ended:
        cli.main()
    assert ended.value.code == 0 and switched == [True]


def test_colorama_is_a_dependency_on_windows_only() -> None:
    from importlib.metadata import requires

    wanted = [r for r in requires("passgen") or [] if r.startswith("colorama")]
    assert wanted and "platform_system == \"Windows\"" in wanted[0].replace("'", '"')


# -- the two commands on every system --------------------------------------------------------

def readme_steps(language: str) -> dict[str, list[str]]:
    """The README's ``language`` block of set-up steps, by the make target its comment names."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    [block] = re.findall(rf"```{language}\n(# make demo\n.*?)```", text, re.S)
    steps: dict[str, list[str]] = {}
    for line in block.splitlines():
        if line.startswith("# make "):
            target = steps[line.removeprefix("# make ")] = []
        elif line.strip():
            target.append(line.strip())
    return steps


def make_steps(target: str) -> list[str]:
    """What ``make TARGET`` runs from scratch, less the JavaScript set-up (Node, optional)."""
    done = subprocess.run(["make", "-n", "-B", target, "PYTHON=python3"], cwd=REPO,
                          capture_output=True, text=True, check=True)
    return [line for line in done.stdout.splitlines()
            if line.startswith(("python3 ", ".venv/"))]


def test_the_readme_gives_what_make_does_on_windows_and_macos() -> None:
    windows, mac = readme_steps("powershell"), readme_steps("sh")
    assert set(windows) == set(mac) == {"demo", "test"}
    for target in ("demo", "test"):
        assert mac[target] == make_steps(target)
        as_posix = [re.sub(r"^py ", "python3 ", line).replace(".venv\\Scripts\\", ".venv/bin/")
                    for line in windows[target]]
        assert as_posix == make_steps(target)
        assert all("/" not in line.split()[0] for line in windows[target])  # PowerShell paths
    guide = (REPO / "docs" / "指南.md").read_text(encoding="utf-8")
    assert "\n".join(windows["demo"]) in guide and "$env:PASSGEN_KEY_PASSPHRASE" in guide
