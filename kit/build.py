"""Build the offline install kit (issue #38): a folder and a zip holding passgen's wheel and a
wheel of every dependency, for Windows (win_amd64, Python 3.11, 3.12 and 3.13) or for this
Linux machine's Python, with the scripts a clerk double-clicks: 安装.cmd (makes a virtual
environment with ``py`` and installs from the kit alone, --no-index) and passgen 办公桌.cmd
(starts the desk).  The same recipe for Linux has install.sh and desk.sh.

    python kit/build.py windows            # dist/passgen-kit-windows/ and .zip
    python kit/build.py linux              # dist/passgen-kit-linux/ and .zip (this Python)
    python kit/build.py check DIR [windows|linux]   # does DIR hold every wheel it needs?
    python kit/build.py try-linux          # install the Linux kit offline, start the desk

Wheels are fetched with pip's platform options (--platform, --python-version,
--only-binary=:all:), so the Windows kit is built on any machine.  Scripts a person reads are
written in code page 936 with CRLF line ends (cmd.exe reads a .cmd file in the console's code
page, 936 on a Chinese Windows).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WINDOWS_PYTHONS = ("3.11", "3.12", "3.13")

INSTALL_CMD = r"""@echo off
chcp 936 >nul
cd /d "%~dp0"
echo 正在安装 passgen（不需要上网）…
py -3 --version >nul 2>nul || (
  echo 找不到 Python：请先安装 python.org 的 Python 3.11、3.12 或 3.13（安装时勾选 py 启动器），再双击本文件。
  pause
  exit /b 1
)
py -3 -m venv "%LOCALAPPDATA%\passgen\venv" || (echo 无法创建运行环境 & pause & exit /b 1)
"%LOCALAPPDATA%\passgen\venv\Scripts\python.exe" -m pip install --no-index --find-links "%~dp0wheels" passgen || (
  echo 安装没有成功：请把上面的文字拍照发给技术支持。
  pause
  exit /b 1
)
echo 安装完成。以后双击“passgen 办公桌.cmd”即可打开办公桌。
pause
"""

DESK_CMD = r"""@echo off
chcp 936 >nul
if not exist "%LOCALAPPDATA%\passgen\venv\Scripts\passgen.exe" (
  echo 还没有安装：请先双击“安装.cmd”。
  pause
  exit /b 1
)
echo 正在打开办公桌，浏览器会自动打开；用完在网页上点“退出”。
"%LOCALAPPDATA%\passgen\venv\Scripts\passgen.exe" desk
"""

INSTALL_SH = """#!/bin/sh
# passgen, installed from this kit alone (no network)
set -e
cd "$(dirname "$0")"
VENV="${PASSGEN_VENV:-$HOME/.local/share/passgen/venv}"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --no-index --find-links wheels passgen
echo "安装完成 / installed: $VENV/bin/passgen desk"
"""

DESK_SH = """#!/bin/sh
VENV="${PASSGEN_VENV:-$HOME/.local/share/passgen/venv}"
exec "$VENV/bin/passgen" desk "$@"
"""


def windows_text(text: str) -> bytes:
    """A .cmd file as cmd.exe reads it on a Chinese Windows: code page 936, CRLF."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("gbk")


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True)


def build(target: str, dist: Path = ROOT / "dist") -> Path:
    folder = dist / f"passgen-kit-{target}"
    if folder.exists():
        shutil.rmtree(folder)
    wheels = folder / "wheels"
    wheels.mkdir(parents=True)
    _pip("wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(ROOT))
    own = next(wheels.glob("passgen-*.whl"))
    if target == "windows":
        for version in WINDOWS_PYTHONS:
            # pip judges environment markers by this machine, not by --platform: the
            # requirements marked for Windows are named explicitly
            _pip("download", "--quiet", "--dest", str(wheels), "--only-binary=:all:",
                 "--platform", "win_amd64", "--python-version", version,
                 "--implementation", "cp", str(own), *windows_only(own))
        (folder / "安装.cmd").write_bytes(windows_text(INSTALL_CMD))
        (folder / "passgen 办公桌.cmd").write_bytes(windows_text(DESK_CMD))
    else:
        _pip("download", "--quiet", "--dest", str(wheels), "--only-binary=:all:", str(own))
        for name, text in (("install.sh", INSTALL_SH), ("desk.sh", DESK_SH)):
            (folder / name).write_text(text, encoding="utf-8")
            (folder / name).chmod(0o755)
    missing = check(wheels, target)
    if missing:
        raise SystemExit(f"the kit lacks wheels for: {', '.join(missing)}")
    archive = dist / f"passgen-kit-{target}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            z.write(path, path.relative_to(dist))
    return archive


def _wheel_tags(name: str) -> tuple[str, set[str], set[str], set[str]]:
    """A wheel file name's project (normalised), and its Python, ABI and platform tags."""
    parts = name[:-len(".whl")].split("-")
    project = re.sub(r"[-_.]+", "-", parts[0]).lower()
    return project, set(parts[-3].split(".")), set(parts[-2].split(".")), \
        set(parts[-1].split("."))


def fits(version: str, pythons: set[str], abis: set[str], platforms: set[str]) -> bool:
    """Whether a wheel with these tags installs on CPython ``version`` for win_amd64."""
    if not platforms & {"win_amd64", "any"}:
        return False
    cp = "cp" + version.replace(".", "")
    if cp in pythons or pythons & {"py3", "py2.py3"}:
        return True
    minor = int(version.split(".")[1])
    stable = [int(p[3:]) for p in pythons if re.fullmatch(r"cp3\d+", p)]
    return "abi3" in abis and any(m <= minor for m in stable)


def _requires(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        lines = z.read(meta).decode("utf-8").splitlines()
    return [line.split(":", 1)[1].strip() for line in lines if line.startswith("Requires-Dist:")]


def windows_only(wheel: Path) -> list[str]:
    """Requirements only Windows has (``; platform_system == 'Windows'``), without the
    marker: ``colorama>=0.4.6,<1``."""
    return [spec.split(";", 1)[0].strip() for spec in _requires(wheel)
            if "platform_system == 'Windows'" in spec or 'platform_system == "Windows"' in spec]


def requirements(wheel: Path, target: str) -> list[str]:
    """The projects passgen's wheel requires on ``target`` (its environment markers read)."""
    out = []
    for spec in _requires(wheel):
        if "extra ==" in spec:
            continue
        if "platform_system ==" in spec and "Windows" in spec and target != "windows":
            continue
        out.append(re.sub(r"[-_.]+", "-", re.split(r"[ ;<>=!~\[(]", spec, maxsplit=1)[0]).lower())
    return out


def check(wheels: Path, target: str) -> list[str]:
    """The requirements (direct ones) with no wheel for ``target``: on Windows one for
    win_amd64 (or any platform) that each of Python 3.11, 3.12 and 3.13 can install."""
    own = next(wheels.glob("passgen-*.whl"))
    have: dict[str, list[tuple[set[str], set[str], set[str]]]] = {}
    for wheel in wheels.glob("*.whl"):
        project, pythons, abis, platforms = _wheel_tags(wheel.name)
        have.setdefault(project, []).append((pythons, abis, platforms))
    missing = []
    for project in requirements(own, target):
        found = have.get(project, [])
        if target != "windows":
            missing += [] if found else [project]
            continue
        missing += [f"{project} (Python {v})" for v in WINDOWS_PYTHONS
                    if not any(fits(v, *tags) for tags in found)]
    return missing


def try_linux(dist: Path = ROOT / "dist") -> None:
    """Install the Linux kit into a fresh virtual environment with no index at all, start
    the desk in it, and open its first page with the one-time token (what CI runs)."""
    import tempfile
    import urllib.request

    kit = dist / "passgen-kit-linux"
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--no-index", "--find-links", str(kit / "wheels"), "passgen"],
                       check=True)
        desk = subprocess.Popen([str(venv / "bin" / "passgen"), "desk", "--no-browser",
                                 "--folder", str(Path(tmp) / "desk")],
                                stdout=subprocess.PIPE, text=True, encoding="utf-8")
        try:
            assert desk.stdout is not None
            address = desk.stdout.readline().strip()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
            with opener.open(address, timeout=30) as answer:
                page = answer.read().decode("utf-8")
            if "花名册检查" not in page:
                raise SystemExit(f"the desk from the kit did not open: {page[:200]}")
            print(f"the Linux kit installed offline and its desk answered at {address[:30]}…")
        finally:
            desk.terminate()
            desk.wait(timeout=30)


if __name__ == "__main__":
    if sys.argv[1:2] == ["try-linux"]:
        try_linux()
        sys.exit(0)
    if sys.argv[1:2] == ["check"]:
        lacking = check(Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "windows")
        print("\n".join(lacking) or "every requirement has its wheels")
        sys.exit(1 if lacking else 0)
    print(build(sys.argv[1] if len(sys.argv) > 1 else "windows"))
