"""Screenshots of the clerk's desk for 指南 (docs/desk-shots/*.png), taken by the test that
walks a clerk's day through it in Chromium (tests/desk/test_desk_day.py).

    .venv/bin/python docs/render_desk_shots.py

Needs Debian's chromium and chromium-driver (tests/browser.py) and a CJK font
(fonts-noto-cjk) for the Chinese to be drawn.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent


def main() -> int:
    out = HERE / "desk-shots"
    out.mkdir(exist_ok=True)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                           str(HERE.parent / "tests" / "desk" / "test_desk_day.py")],
                          env={**os.environ, "PASSGEN_DESK_SHOTS": str(out),
                               "PASSGEN_BROWSER_TESTS": "required"}, cwd=HERE.parent)
    for shot in sorted(out.glob("*.png")):  # smaller files for the guide
        Image.open(shot).convert("P", palette=Image.Palette.ADAPTIVE, colors=64).save(
            shot, optimize=True)
        print(shot)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
