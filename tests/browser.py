"""Headless Chromium for the verifier page's tests: Debian's chromium and chromium-driver
driven by Selenium, with a fake camera that plays a Y4M file made from a rendered card.

Without them the browser tests are skipped, with one line in pytest's summary saying why;
``.ci/run`` installs them and sets PASSGEN_BROWSER_TESTS=required, which turns that skip
into a failure.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

CHROMIUM = ("chromium", "chromium-browser")
REQUIRED = os.environ.get("PASSGEN_BROWSER_TESTS") == "required"
PHONE = (412, 915)  # CSS pixels of a common Android phone
FRAME = (1280, 720)  # the fake camera's frames


TEST_BUILD = Path(__file__).parent / "page_test_build" / "verifier.js"  # by web/build.mjs


def test_build_assets() -> Any:
    """The page's parts with the test build of its script, which reads #at= (the checking
    day) and #engine= from the address and offers window.passgenTest; ``passgen
    verifier-page`` cannot make such a page (issue #37)."""
    import dataclasses

    from passgen.check.page import Assets

    return dataclasses.replace(Assets.load(), script=TEST_BUILD.read_text(encoding="utf-8"))


@contextlib.contextmanager
def page_test_build() -> Iterator[None]:
    """Inside this block, ``verifier-page`` (called in this process) writes the test build."""
    from unittest import mock

    from passgen.check.page import Assets

    with mock.patch.object(Assets, "load", return_value=test_build_assets()):
        yield


@functools.cache
def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (pip install '.[test]')"
    if not any(shutil.which(c) for c in CHROMIUM):
        return "no chromium (apt-get install chromium chromium-driver)"
    if not shutil.which("chromedriver"):
        return "no chromedriver (apt-get install chromium-driver)"
    return None


def write_y4m(image: Image.Image, path: Path, frames: int = 4) -> Path:
    """A Y4M video showing ``image`` for ``frames`` frames; Chromium's fake camera plays it
    in a loop."""
    return write_y4m_frames([(image, frames)], path)


def write_y4m_frames(shots: list[tuple[Image.Image, int]], path: Path,
                     fps: int = 10) -> Path:
    """A Y4M video (4:2:0) of each image for its number of frames, in turn, at ``fps``
    frames a second; Chromium's fake camera plays it in a loop.  The samples are in the
    limited ("studio") range, Y 16–235 and chroma 16–240, which is how Chromium reads a
    Y4M file: full-range samples made every frame darker and greyer than the image
    (issue #28)."""
    size = shots[0][0].size
    w, h = size[0] - size[0] % 2, size[1] - size[1] % 2
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420mpeg2\n".encode())
        for image, count in shots:
            rgb = image.convert("RGB").crop((0, 0, w, h))
            y, cb, cr = (np.asarray(p, dtype=np.float32) for p in rgb.convert("YCbCr").split())
            half = (w // 2, h // 2)
            luma = np.rint(16 + y * (219 / 255)).astype(np.uint8)
            chroma = [np.rint(128 + (np.asarray(Image.fromarray(c.astype(np.uint8)).resize(
                half, Image.BOX), dtype=np.float32) - 128) * (224 / 255)).astype(np.uint8)
                for c in (cb, cr)]
            planes = luma.tobytes() + chroma[0].tobytes() + chroma[1].tobytes()
            for _ in range(count):
                f.write(b"FRAME\n" + planes)
    return path


@contextlib.contextmanager
def chromium(camera: Path | None = None, size: tuple[int, int] = PHONE,
             cpu_throttle: float = 1.0, downloads: Path | None = None,
             extra: tuple[str, ...] | list[str] = (), font_size: int | None = None,
             zoom: float = 1.0) -> Iterator[Any]:
    """A headless Chromium with its own empty profile; ``camera`` is a Y4M file it uses as
    the camera (permission granted without asking); files it downloads go to ``downloads``;
    ``extra``: more command-line switches; ``font_size``: the default font size a person set
    (px); ``zoom``: the page zoom, as a person sets it (the layout sees a viewport that much
    smaller, drawn that much larger)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = next(p for c in CHROMIUM if (p := shutil.which(c)))
    profile = tempfile.mkdtemp(prefix="passgen-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required",
                 f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}"):
        options.add_argument(flag)
    for flag in extra:
        options.add_argument(flag)
    if font_size is not None:
        options.add_experimental_option("prefs", {"webkit.webprefs.default_font_size": font_size})
    if camera is not None:
        options.add_argument("--use-fake-device-for-media-stream")
        options.add_argument(f"--use-file-for-fake-video-capture={camera}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": round(size[0] / zoom), "height": round(size[1] / zoom),
            "deviceScaleFactor": zoom, "mobile": True})
        if downloads is not None:
            driver.execute_cdp_cmd("Browser.setDownloadBehavior", {
                "behavior": "allow", "downloadPath": str(downloads)})
        if cpu_throttle != 1.0:
            driver.execute_cdp_cmd("Emulation.setCPUThrottlingRate", {"rate": cpu_throttle})
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


BROWSERS_OWN = ("chrome://", "chrome-untrusted://", "chrome-search://", "about:")


def requests_made(driver: Any) -> list[str]:
    """Every URL the page asked for since the last call (the performance log); the
    browser's own pages (chrome://, such as the new tab page it starts with, which newer
    Chromium loads lazily) are not the page's and cannot be asked for by it."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            document = message["params"].get("documentURL", "")
            if not any(u.startswith(BROWSERS_OWN) for u in (url, document)):
                urls.append(url)
    return urls


def console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def wait_for(driver: Any, script: str, timeout: float = 30.0) -> Any:
    """Wait until ``script`` (a JavaScript expression) is truthy; return its value."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(
        lambda d: d.execute_script(f"return {script};"))


def demo_cards(demo: Path) -> dict[str, tuple[Image.Image, str]]:
    """From the card PDFs ``passgen demo`` wrote to ``demo``: one card of each colour (a crop
    of a page rendered at 200 dpi by pypdfium2) and its text, and a second green card
    ("other-green")."""
    import datetime as dt

    import pypdfium2 as pdfium
    import zxingcpp

    from passgen.check.verify import verify
    from passgen.dates import SHANGHAI
    from passgen.passes import keys

    trust = keys.read_trust(demo / "trust.json")
    at = dt.datetime(2020, 3, 26, 12, tzinfo=SHANGHAI)
    found: dict[str, tuple[Image.Image, str]] = {}
    for pdf_path in sorted(demo.glob("cards-*.pdf")):
        pdf = pdfium.PdfDocument(pdf_path)
        for index in range(0, len(pdf), 2):  # fronts; backs follow each front
            page = pdf[index].render(scale=200 / 72).to_pil().convert("RGB")
            for code in zxingcpp.read_barcodes(page):
                result = verify(code.text, trust, at)
                assert result.claims is not None
                name = result.claims.colour.english
                if name in found:
                    name = "other-" + name
                if name not in found:
                    found[name] = (card_crop(page, code), code.text)
        if {"green", "yellow", "red", "other-green"} <= set(found):
            return found
    raise AssertionError(f"the demo has no card of each colour: {sorted(found)}")


def card_crop(page: Image.Image, code: Any) -> Image.Image:
    p = code.position
    xs = (p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x)
    ys = (p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y)
    side = max(xs) - min(xs)
    return page.crop((int(min(xs) - side * 0.25), int(min(ys) - side * 0.25),
                      int(max(xs) + side * 0.9), int(max(ys) + side * 0.25)))


def frame_of(card: Image.Image, treatment: str = "") -> Image.Image:
    """A camera frame: the card on a grey table, as a phone held 15 cm above sees it."""
    frame = Image.new("RGB", FRAME, (110, 105, 100))
    card = card.copy()
    card.thumbnail((FRAME[0] * 0.8, FRAME[1] * 0.8))
    frame.paste(card, ((FRAME[0] - card.width) // 2, (FRAME[1] - card.height) // 2))
    if treatment == "rotated":
        frame = frame.rotate(23, fillcolor=(110, 105, 100))
    elif treatment == "blurred":
        frame = frame.filter(ImageFilter.GaussianBlur(2.0))
    elif treatment == "noisy":
        pixels = np.asarray(frame, dtype=np.float32)
        noise = np.random.default_rng(7).normal(0, 20, pixels.shape)
        frame = Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))
    return frame
