"""Screenshots of the phone checkpoint page at phone size (412 × 915) for the README and the
clerk's guide: a green, a yellow and a red card, and a refused (revoked) one.

    .venv/bin/python docs/render_page_shots.py

Makes the demo batch, revokes one of its cards, builds the page (the test build, so it
checks as of the demo's day), shows each card to headless Chromium's fake camera and saves
what the page shows as docs/page-green.png, page-yellow.png, page-red.png, page-refused.png, and
page-scan.jpg: the page as it opens, with the camera's picture and the lists' dates.
Needs Debian's chromium and chromium-driver (tests/browser.py).
"""

from __future__ import annotations

import datetime as dt
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


if __name__ == "__main__":
    sys.exit(main())
