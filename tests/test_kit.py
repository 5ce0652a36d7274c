"""The offline install kit's recipe (kit/build.py, issue #38), without the network: which
wheels fit which Windows Python, whether a kit lacks one, and the scripts a clerk
double-clicks (code page 936, CRLF).  `make kit-check` builds the real kits and installs the
Linux one with no index (CI runs it)."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "kit"))

import build as kit  # noqa: E402


@pytest.mark.parametrize(("name", "fits"), [
    ("numpy-2.5.5-cp312-cp312-win_amd64.whl", {"3.12"}),
    ("pynacl-1.6.2-cp38-abi3-win_amd64.whl", {"3.11", "3.12", "3.13"}),
    ("zxing_cpp-3.1.1-cp312-abi3-win_amd64.whl", {"3.12", "3.13"}),
    ("click-8.5.1-py3-none-any.whl", {"3.11", "3.12", "3.13"}),
    ("colorama-0.4.6-py2.py3-none-any.whl", {"3.11", "3.12", "3.13"}),
    ("numpy-2.5.5-cp312-cp312-manylinux_2_28_x86_64.whl", set()),
    ("numpy-2.5.5-cp312-cp312-win32.whl", set()),
])
def test_which_windows_python_a_wheel_fits(name: str, fits: set[str]) -> None:
    _, pythons, abis, platforms = kit._wheel_tags(name)
    assert {v for v in kit.WINDOWS_PYTHONS if kit.fits(v, pythons, abis, platforms)} == fits


def fake_wheel(folder: Path, name: str, requires: list[str] = ()) -> None:  # type: ignore[assignment]
    with zipfile.ZipFile(folder / name, "w") as z:
        project = name.split("-")[0]
        z.writestr(f"{project}-1.dist-info/METADATA",
                   "Metadata-Version: 2.1\n" + "".join(f"Requires-Dist: {r}\n" for r in requires))


def test_a_kit_lacking_a_wheel_for_one_python_says_which(tmp_path: Path) -> None:
    fake_wheel(tmp_path, "passgen-0.1.0-py3-none-any.whl",
               ["numpy>=2", "click>=8", "colorama>=0.4; platform_system == 'Windows'",
                "pytest>=8; extra == 'test'"])
    fake_wheel(tmp_path, "click-8.5.1-py3-none-any.whl")
    fake_wheel(tmp_path, "numpy-2.4.6-cp311-cp311-win_amd64.whl")
    fake_wheel(tmp_path, "numpy-2.5.5-cp313-cp313-win_amd64.whl")
    assert kit.check(tmp_path, "windows") == ["numpy (Python 3.12)", "colorama (Python 3.11)",
                                              "colorama (Python 3.12)", "colorama (Python 3.13)"]
    assert kit.check(tmp_path, "linux") == []  # colorama is Windows's only; the test extra none
    assert kit.windows_only(tmp_path / "passgen-0.1.0-py3-none-any.whl") == ["colorama>=0.4"]


def test_the_scripts_a_clerk_double_clicks_read_right_in_code_page_936() -> None:
    for text in (kit.INSTALL_CMD, kit.DESK_CMD):
        data = kit.windows_text(text)
        assert data.count(b"\r\n") == text.count("\n") and b"\n" not in data.replace(b"\r\n", b"")
        assert data.decode("gbk").replace("\r\n", "\n") == text
    assert "--no-index" in kit.INSTALL_CMD and "py -3 -m venv" in kit.INSTALL_CMD
    assert "passgen.exe\" desk" in kit.DESK_CMD and "安装.cmd" in kit.DESK_CMD
