"""Benchmark: how long from opening the phone page to the verdict?  (issue #18)

    .venv/bin/python bench/verifier_page.py [--runs 5] [--throttle 1,4]

Makes the demo batch and a verifier page (the test build, so it checks as of the demo's
day), shows one green demo card (rendered by pypdfium2) to headless Chromium's fake camera,
and reads the time the verdict appeared, in ms since the page started loading (the page
stamps it on the verdict as data-shown-at).  Each run is a new browser with an empty profile;
its start-up is not counted.  Runs again with the CPU throttled (Chromium's
Emulation.setCPUThrottlingRate) for a slower phone.  Also reports the page's size and how
long the decoder alone takes a frame.

With --city, the same for a city's page beside the one-office page (issues #28, #37): the
demo's key and 500 offices' keys, each office's signed revocation list built by 8 weeks of
weekly re-issues through a real ledger (bench/city.py), the green demo card shown to both,
measured in alternation.

Needs Debian's chromium and chromium-driver (tests/browser.py).  Targets: page ≤ 700 KB;
median open → verdict ≤ 1.5 s, and ≤ 3 s with the CPU throttled 4× (a city's page: ≤ 3 s
at 4×).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))

from browser import (  # noqa: E402
    chromium,
    demo_cards,
    frame_of,
    missing,
    page_test_build,
    wait_for,
    write_y4m,
)

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
    parser.add_argument("--city", action="store_true",
                        help="also a page for 500 offices' keys and revocation lists")
    args = parser.parse_args()
    if missing():
        print(f"cannot run: {missing()}")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["XDG_STATE_HOME"] = str(folder / "state")  # the lists' memory: its own
        run_demo(folder / "demo")
        pages = {"one office": make_page(folder, "核验.html", folder / "demo" / "trust.json", [])}
        if args.city:  # the lists as 500 offices' real ledgers make them (bench/city.py)
            from city import city_lists, describe

            from passgen.jobs.demo import demo_key
            trust, lists, figures = city_lists(folder, extra=[demo_key().entry])
            print(describe(figures))
            pages["city"] = make_page(folder, "城市.html", trust, lists)
        for name, page in pages.items():
            size = page.stat().st_size
            print(f"{name} page: {size / 1024:,.0f} KB ({size:,} bytes; "
                  f"one office's limit {PAGE_LIMIT // 1024} KB)")
        camera = write_y4m(frame_of(demo_cards(folder / "demo")["green"][0]),
                           folder / "card.y4m")
        for factor in (float(f) for f in args.throttle.split(",")):
            times: dict[str, list[float]] = {name: [] for name in pages}
            marks: dict[str, list[dict[str, int]]] = {name: [] for name in pages}
            frame_ms = 0.0
            for _ in range(args.runs):
                for name, page in pages.items():  # side by side: the machine's mood is shared
                    shown, mark, ms = open_to_verdict(page, camera, factor, frame_ms == 0)
                    times[name].append(shown)
                    marks[name].append(mark)
                    frame_ms = ms or frame_ms
            print(f"CPU ×{factor:g}: decoding one 1280×720 frame {frame_ms:.0f} ms")
            for name in pages:
                print(f"  {name}: open → verdict median {statistics.median(times[name]):.2f} s "
                      f"(runs: {', '.join(f'{t:.2f}' for t in times[name])})")
                for mark in marks[name][0]:
                    ms = statistics.median(m[mark] for m in marks[name])
                    print(f"      {mark}: median {ms / 1000:.2f} s after opening")
    return 0


def make_page(folder: Path, name: str, trust: Path, lists: list[Path]) -> Path:
    page = folder / name
    args = ["verifier-page", "--trust", str(trust), "--out", str(page), "--at", "2020-03-26",
            "--allow-demo"]
    for listed in lists:
        args += ["--revoked", str(listed)]
    try:
        with page_test_build():  # it checks as of #at= in its address
            cli(args, standalone_mode=False)
    except SystemExit:
        pass
    return page


def open_to_verdict(page: Path, camera: Path, factor: float,
                    measure_frame: bool) -> tuple[float, dict[str, int], float]:
    """A new browser (empty profile) opens the page with the card in front of the camera:
    seconds from opening to the verdict, the page's performance marks, and (if asked) the
    milliseconds one frame takes to decode."""
    with chromium(camera, cpu_throttle=factor) as driver:
        driver.get(page.as_uri() + "#at=2020-03-26")
        wait_for(driver, "document.getElementById('verdict').dataset.shownAt", 120)
        shown = driver.execute_script(
            "return Number(document.getElementById('verdict').dataset.shownAt)")
        status = driver.execute_script("return document.getElementById('verdict').dataset.status")
        assert status == "valid", status
        marks = driver.execute_script(
            "return Object.fromEntries(performance.getEntriesByType('mark')"
            ".map((m) => [m.name, Math.round(m.startTime)]))")
        frame_ms = 0.0
        if measure_frame:
            driver.set_script_timeout(120)
            frame_ms = driver.execute_async_script(SECONDS_PER_FRAME)
    return shown / 1000, marks, frame_ms


if __name__ == "__main__":
    sys.exit(main())
