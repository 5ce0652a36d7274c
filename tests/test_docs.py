"""The documentation runs as written: the library script of docs/library.md, and every
command and option it names exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from helpers import REPO


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def test_library_script_runs(tmp_path: Path) -> None:
    [script] = python_blocks(REPO / "docs" / "library.md")
    (tmp_path / "script.py").write_text(script, encoding="utf-8")
    done = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "valid" in lines and re.search(r"^\d+ codes in the PDF, all valid$", lines[-1])
    assert any(line.startswith("读取 ") and "read " in line for line in lines)
    assert list((tmp_path / "out").glob("cards-*.pdf")) and (tmp_path / "out" / "report.xlsx").is_file()


def test_library_table_names_exist() -> None:
    """Every `module.name` the table lists can be imported."""
    import importlib

    text = (REPO / "docs" / "library.md").read_text(encoding="utf-8")
    for row in re.findall(r"^\| [^|]+ \| `(passgen\.\w+)` \| (.+) \|$", text, re.M):
        package, names = row
        for dotted in re.findall(r"`([\w.]+)`", names):
            module, _, name = dotted.rpartition(".")
            target = importlib.import_module(f"{package}.{module}" if module else package)
            assert hasattr(target, name), f"{package}.{dotted}"


def test_the_clerk_s_guide_is_linked_first_and_explains_every_demo_rejection(
        tmp_path: Path) -> None:
    """docs/指南.md: the README's first document link; its pictures exist; and every
    rejection the sample rosters produce is in its table, word for word."""
    from passgen.jobs.cards import check_rosters
    from passgen.jobs.demo import DEMO_AS_OF

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((docs/[^)]+\.md)\)", readme)
    assert links[0] == "docs/指南.md"
    guide = (REPO / "docs" / "指南.md").read_text(encoding="utf-8")
    for picture in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", guide):
        assert (REPO / "docs" / picture).is_file(), picture
    samples = [REPO / "samples" / n for n in ("elderly.xlsx", "students.xlsx")]
    checked = check_rosters(samples, tmp_path, None, DEMO_AS_OF)  # as roster check reads them
    rejections = [o.error for o in checked.rejected if o.error is not None]
    assert len(rejections) == 6
    for r in rejections:
        assert r.zh in guide, r.zh


def test_the_guide_explains_the_fixed_rejections() -> None:
    from passgen.intake import cells

    guide = (REPO / "docs" / "指南.md").read_text(encoding="utf-8")
    for problem in (cells.EMPTY_NAME, cells.NO_COMMUNITY, cells.NO_ARRIVAL, cells.NO_ENTRY):
        assert problem.zh in guide, problem.zh
    assert cells.DESTROYED_ID[0] in guide
