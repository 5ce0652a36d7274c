"""The README's short tour runs as written (issue #17): its shell block is taken from the
README, run line by line in one shell in an empty folder, and every command must end as the
README says (exit 0 unless its comment says ``exit N``).  The docs cannot drift."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from helpers import REPO, passgen_env

EXIT = re.compile(r"#\s*exit (\d+)")


def tour_commands() -> list[tuple[str, int]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("## A short tour", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        expected = EXIT.search(line)
        commands.append((line, int(expected.group(1)) if expected else 0))
    return commands


@pytest.mark.e2e
@pytest.mark.parametrize("standin", [False, True], ids=["linux", "windows-standin"])
def test_the_readme_tour_runs_as_written(tmp_path: Path, standin: bool) -> None:
    """On Linux, and under the Windows stand-in (no fcntl, no fork, folders that cannot be
    opened, output piped in code page 936)."""
    commands = tour_commands()
    assert len(commands) >= 14 and commands[0][0].startswith("source .venv/bin/activate")
    *commands, (cleanup, _) = commands  # run last, after what the tour made is looked at
    assert cleanup == "cd .. && rm -r tour"
    samples = resources.files("passgen.samples")
    (tmp_path / "samples").mkdir()
    for name in ("elderly.xlsx", "点位表.xlsx"):
        (tmp_path / "samples" / name).write_bytes((samples / name).read_bytes())
    bin_dir = Path(sys.executable).parent  # the environment passgen is installed in
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "activate").write_text(
        f'export PATH="{bin_dir}:$PATH"\n')  # what make demo's .venv/bin/activate does
    script = "\n".join(f"{command}\necho \"__status__ {index} $?\""
                       for index, (command, _) in enumerate(commands))
    home = tmp_path / "home"  # a fresh home folder: the default ledger would be made here
    home.mkdir()
    env = {k: v for k, v in passgen_env(standin).items()
           if k not in ("PASSGEN_KEY_PASSPHRASE", "PASSGEN_LEDGER", "XDG_DATA_HOME")}
    env["HOME"] = str(home)
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=600, env=env)
    encoding = "cp936" if standin else "utf-8"
    out = done.stdout.decode(encoding)  # strictly: a line cp936 could not say is a failure
    err = done.stderr.decode(encoding)
    statuses = {int(i): int(s) for i, s in re.findall(r"__status__ (\d+) (\d+)", out)}
    assert len(statuses) == len(commands), err[-2000:]
    for index, (command, expected) in enumerate(commands):
        assert statuses[index] == expected, f"{command}\n→ {statuses[index]}\n{err[-2000:]}"
    assert "Traceback" not in err and "UnicodeEncodeError" not in err and "内部错误" not in err
    tour = tmp_path / "tour"
    assert (tour / "cards" / "cards-桂花社区-001.pdf").exists()
    assert (tour / "revoked.json").exists() and (tour / "scans.csv").exists()
    assert list((tour / "posters").glob("posters-*.pdf")) and (tour / "state").is_dir()
    # the tour leaves the office's default ledger and the user's state folder untouched,
    # and nothing outside tour/; its last line removes that (issue #39 finding 6)
    default = home / ".local" / "share" / "passgen" / "passgen-ledger.sqlite"
    assert not default.exists() and (tour / "tour-ledger.sqlite").exists()
    assert not (home / ".local" / "state").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".venv", "home", "samples", "tour"]
    removed = subprocess.run(["bash", "-c", f"cd tour && {cleanup}"], cwd=tmp_path,
                             capture_output=True, stdin=subprocess.DEVNULL, timeout=60, env=env)
    assert removed.returncode == 0 and not tour.exists()
    first = subprocess.run(
        ["bash", "-c", "source .venv/bin/activate && export PASSGEN_KEY_PASSPHRASE='我们社区自己的口令2020' "
         "&& passgen keys generate --out mine.pem --issuer NC-XM-09 --not-before 2020-01-01 "
         "--not-after 2020-12-31 && passgen cards samples/elderly.xlsx --key mine.pem "
         "--out first/ --as-of 2020-03-25"], cwd=tmp_path, capture_output=True,
        stdin=subprocess.DEVNULL, timeout=600, env=env)
    assert first.returncode == 3, first.stderr.decode(encoding, "replace")[-2000:]
    assert default.exists()
