"""Benchmark: the first card after the page has been idle (issue #35 finding 11: ~300 ms
against 72 ms).

    .venv/bin/python bench/idle_first_card.py [--runs 5]

The fake camera shows nothing for 12 s (the page goes idle after 10 s and decodes fewer
frames), then a green demo card; each frame carries its turn (tests/check/test_page_gate.py
``mark_turn``), and the test build notes the time each frame was handled and the verdict then
on screen.  Printed: from the last empty frame handled to the verdict on screen, median of
the runs (an upper bound of the wait a person sees: a card held up just after that frame).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent.parent / "tests"),
                str(Path(__file__).parent.parent / "tests" / "check")]

from browser import (  # noqa: E402
    FRAME,
    chromium,
    demo_cards,
    missing,
    wait_for,
    write_y4m_frames,
)
from PIL import Image  # noqa: E402
from test_page_gate import centred, mark_turn  # noqa: E402
from test_verifier_page import qr_image  # noqa: E402
from verifier_page import make_page  # noqa: E402

from passgen.jobs.demo import run_demo  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if missing():
        print(f"cannot run: {missing()}")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run_demo(folder / "demo")
        page = make_page(folder, "核验.html", folder / "demo" / "trust.json", [])
        text = demo_cards(folder / "demo")["green"][1]
        blank = Image.new("RGB", FRAME, (110, 105, 100))
        camera = write_y4m_frames([(mark_turn(blank, 1), 120),
                                   (mark_turn(centred(qr_image(text)), 2), 30)],
                                  folder / "idle.y4m")
        waits = []
        for _ in range(args.runs):
            with chromium(camera) as driver:
                driver.get(page.as_uri() + "#at=2020-03-26")
                wait_for(driver, "window.passgenTest")
                seen: list[dict[str, float]] = []
                wait_for(driver, "document.getElementById('verdict').dataset.status", 60)
                seen = driver.execute_script("return window.passgenTest.history()")
            last_empty = max(e["t"] for e in seen if e["turn"] == 1)
            shown = min(e["t"] for e in seen if e["turn"] == 2 and e["shown"])
            waits.append(shown - last_empty)
        print(f"idle → first card's verdict: median {statistics.median(waits):.0f} ms "
              f"(runs: {', '.join(f'{w:.0f}' for w in waits)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
