"""Screenshots of the phone checkpoint page at phone size (412 × 915) for the README and the
clerk's guide: a green, a yellow and a red card, and a refused (revoked) one.

    .venv/bin/python docs/render_page_shots.py

Makes the demo batch, revokes one of its cards, builds the page (the test build, so it
checks as of the demo's day), shows each card to headless Chromium's fake camera and saves
what the page shows as docs/page-green.png, page-yellow.png, page-red.png, page-refused.png, and
page-scan.jpg: the page as it opens, with the camera's picture and the lists' dates; and
docs/page-shots/VIEW.png, the four verdicts side by side in colour, in greyscale, in forced
dark and on a 360 × 640 phone at font 24 px and 200 % zoom (issue #35).
Needs Debian's chromium and chromium-driver (tests/browser.py).
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))

from browser import (  # noqa: E402
    chromium,
    demo_cards,
    frame_of,
    missing,
    test_build_assets,
    wait_for,
    write_y4m,
)
from PIL import Image  # noqa: E402

from passgen.check.page import write_page  # noqa: E402
from passgen.check.verify import verify  # noqa: E402
from passgen.dates import SHANGHAI, day_start  # noqa: E402
from passgen.jobs.demo import demo_key, run_demo  # noqa: E402
from passgen.passes import keys, revocation  # noqa: E402

AT = dt.datetime(2020, 3, 26, 9, 30, tzinfo=SHANGHAI)


def main() -> int:
    if missing():
        print(f"cannot run: {missing()}")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run_demo(folder / "demo")
        cards = demo_cards(folder / "demo")
        trust = keys.read_trust(folder / "demo" / "trust.json")
        revoked = verify(cards["other-green"][1], trust, AT).claims
        assert revoked is not None
        listed = folder / "revoked.json"
        listed.write_text(revocation.build(demo_key(), [revoked.serial],
                                           day_start(AT.date())), encoding="utf-8")
        page = folder / "核验.html"
        write_page(page, folder / "demo" / "trust.json", [listed], AT, 48.0, test_build_assets(),
                   allow_demo=True,
                   seen=folder / "seen.json")
        for shot, card in (("green", "green"), ("yellow", "yellow"), ("red", "red"),
                           ("refused", "other-green")):
            camera = write_y4m(frame_of(cards[card][0]), folder / f"{shot}.y4m")
            with chromium(camera) as driver:
                driver.get(page.as_uri() + "#at=2020-03-26")
                wait_for(driver, "document.getElementById('verdict').dataset.status")
                target = Path(__file__).parent / f"page-{shot}.png"
                driver.save_screenshot(str(target))
            image = Image.open(target).convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
            image.save(target, optimize=True)
            print(target)
        sheets(page, cards, folder)
        camera = write_y4m(frame_of(cards["green"][0], "rotated"), folder / "scan.y4m")
        with chromium(camera) as driver:  # the page as it opens, before a card is held up
            driver.get(page.as_uri() + "#at=2020-03-27")
            wait_for(driver, "Number(document.getElementById('scan').dataset.frames) > 0")
            driver.execute_script("document.getElementById('verdict').remove()")
            target = Path(__file__).parent / "page-scan.png"
            driver.save_screenshot(str(target))
        Image.open(target).convert("RGB").save(target.with_suffix(".jpg"), quality=80)
        target.unlink()
        print(target.with_suffix(".jpg"))
    return 0


VIEWS = {  # issue #35: readable without colour, in forced dark, with large text and zoom
    "colour": {},
    "greyscale": {},
    "forced-dark": {"extra": ["--enable-features=WebContentsForceDark"]},
    "large-text-zoom": {"size": (360, 640), "font_size": 24, "zoom": 2.0},
}


def sheets(page: Path, cards: dict[str, tuple[Image.Image, str]], folder: Path) -> None:
    """docs/page-shots/VIEW.png: the four verdicts side by side in each view.  Forced dark is
    shown as a browser that ignores the page's own dark colour scheme renders it (Chromium
    honours it, so the page is copied without it)."""
    out = Path(__file__).parent / "page-shots"
    out.mkdir(exist_ok=True)
    ignored = page.with_name("ignored.html")
    ignored.write_text(page.read_text(encoding="utf-8").replace(
        '<meta name="color-scheme" content="dark">', ""), encoding="utf-8")
    blank = write_y4m(Image.new("RGB", (1280, 720), (110, 105, 100)), folder / "blank.y4m")
    for view, options in VIEWS.items():
        shots = []
        with chromium(blank, **options) as driver:
            driver.get((ignored if view == "forced-dark" else page).as_uri() + "#at=2020-03-26")
            wait_for(driver, "window.passgenTest")
            for card in ("green", "yellow", "red", "other-green"):
                driver.execute_script("return window.passgenTest.handle(arguments[0])",
                                      cards[card][1])
                wait_for(driver, "!document.getElementById('verdict').hidden")
                shot = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
                shots.append(shot.convert("L").convert("RGB") if view == "greyscale" else shot)
        height = max(s.height for s in shots)
        sheet = Image.new("RGB", (sum(s.width for s in shots) + 12 * 3, height), "white")
        x = 0
        for shot in shots:
            sheet.paste(shot, (x, 0))
            x += shot.width + 12
        sheet.thumbnail((1400, 1400))
        target = out / f"{view}.png"
        sheet.convert("P", palette=Image.Palette.ADAPTIVE, colors=96).save(target, optimize=True)
        print(target)


if __name__ == "__main__":
    sys.exit(main())
