"""Benchmark: how long from opening the phone page to the verdict?  (issue #18)

    .venv/bin/python bench/verifier_page.py [--runs 5] [--throttle 1,4]

Makes the demo batch and a verifier page (with --test-hooks, so it checks as of the demo's
day), shows one green demo card (rendered by pypdfium2) to headless Chromium's fake camera,
and reads the time the verdict appeared, in ms since the page started loading (the page
stamps it on the verdict as data-shown-at).  Each run is a new browser with an empty profile;
its start-up is not counted.  Runs again with the CPU throttled (Chromium's
Emulation.setCPUThrottlingRate) for a slower phone.  Also reports the page's size and how
long the decoder alone takes a frame.

Needs Debian's chromium and chromium-driver (tests/browser.py).  Targets: page ≤ 700 KB;
median open → verdict ≤ 1.5 s, and ≤ 3 s with the CPU throttled 4×.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))

from browser import chromium, demo_cards, frame_of, missing, wait_for, write_y4m  # noqa: E402

from passgen.check.page import PAGE_LIMIT  # noqa: E402
from passgen.cli import cli  # noqa: E402
from passgen.jobs.demo import run_demo  # noqa: E402

SECONDS_PER_FRAME = """
const done = arguments[0];
const video = document.getElementById('camera');
const canvas = document.createElement('canvas');
canvas.width = video.videoWidth; canvas.height = video.videoHeight;
const context = canvas.getContext('2d');
context.drawImage(video, 0, 0);
const image = context.getImageData(0, 0, canvas.width, canvas.height);
const start = performance.now();
let n = 0;
const next = () => window.passgenTest.decode(image).then(() => {
  n += 1;
  if (n < 20) next(); else done((performance.now() - start) / n);
});
next();
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--throttle", default="1,4", help="CPU slow-down factors to run")
    args = parser.parse_args()
    if missing():
        print(f"cannot run: {missing()}")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run_demo(folder / "demo")
        page = folder / "核验.html"
        try:
            cli(["verifier-page", "--trust", str(folder / "demo" / "trust.json"), "--out",
                 str(page), "--at", "2020-03-26", "--test-hooks", "--allow-demo"],
                standalone_mode=False)
        except SystemExit:
            pass
        size = page.stat().st_size
        print(f"page: {size / 1024:.0f} KB ({size:,} bytes; limit {PAGE_LIMIT // 1024} KB)")
        camera = write_y4m(frame_of(demo_cards(folder / "demo")["green"][0]),
                           folder / "card.y4m")
        url = page.as_uri() + "#at=2020-03-26"
        for factor in (float(f) for f in args.throttle.split(",")):
            times: list[float] = []
            marks: list[dict[str, int]] = []
            for _ in range(args.runs):
                with chromium(camera, cpu_throttle=factor) as driver:
                    driver.get(url)
                    wait_for(driver, "document.getElementById('verdict').dataset.shownAt", 60)
                    shown = driver.execute_script(
                        "return Number(document.getElementById('verdict').dataset.shownAt)")
                    status = driver.execute_script(
                        "return document.getElementById('verdict').dataset.status")
                    assert status == "valid", status
                    times.append(shown / 1000)
                    marks.append(driver.execute_script(
                        "return Object.fromEntries(performance.getEntriesByType('mark')"
                        ".map((m) => [m.name, Math.round(m.startTime)]))"))
                    if len(times) == 1:
                        driver.set_script_timeout(120)
                        frame_ms = driver.execute_async_script(SECONDS_PER_FRAME)
            print(f"CPU ×{factor:g}: open → verdict median {statistics.median(times):.2f} s "
                  f"(runs: {', '.join(f'{t:.2f}' for t in times)}); decoding one 1280×720 "
                  f"frame {frame_ms:.0f} ms")
            for name in marks[0]:
                ms = statistics.median(m[name] for m in marks)
                print(f"    {name}: median {ms / 1000:.2f} s after opening")
    return 0


if __name__ == "__main__":
    sys.exit(main())
