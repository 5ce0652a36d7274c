"""One verdict per person at the gate (issue #35): the phone page in Chromium with a fake
camera playing a queue of people, each turn marked in its frames (``mark_turn``), so that the
test build can note, frame by frame, whose turn it was and whose verdict was on screen."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from browser import FRAME, chromium, console_errors, frame_of, wait_for, write_y4m, write_y4m_frames
from PIL import Image, ImageDraw, ImageOps
from test_page_field import BLANK, VERDICT, damaged_code, side_by_side, state
from test_verifier_page import (  # noqa: F401  (fixtures)
    CHECK_DAY,
    blank_camera,
    cards,
    demo,
    demo_pass,
    handled,
    make_page,
    needs_browser,
    own_folders,
    pages,
    qr_image,
)

from passgen.check.verify import verify
from passgen.dates import SHANGHAI
from passgen.models import Colour, short_serial
from passgen.passes import keys

TURN_MS = 500  # 2 cards a second
FPS = 10
LATE_MS = 300  # a verdict may outlive its turn by this much, no more (the bound)


def mark_turn(frame: Image.Image, turn: int) -> Image.Image:
    """Write ``turn`` (1–255) in the frame's top left as 8 squares, white for a 1 bit: the
    test build reads them back (web/src/page.js ``testSeen``)."""
    frame = frame.copy()
    draw = ImageDraw.Draw(frame)
    for bit in range(8):
        fill = "white" if turn >> bit & 1 else "black"
        draw.rectangle((8 + bit * 28, 8, 32 + bit * 28, 32), fill=fill)
    return frame


def centred(code: Image.Image, corner: Image.Image | None = None) -> Image.Image:
    """A person's card's code held up in the middle; ``corner``: the last person's still
    in view at the top right (lowered, not yet put away)."""
    frame = placed(code, 440)
    if corner is not None:
        small = corner.copy()
        small.thumbnail((230, 230))
        frame.paste(small, (FRAME[0] - small.width - 20, 20))
    return frame


@dataclasses.dataclass
class Person:
    turn: int
    kind: str  # "card", "linger", "unreadable", "pair"
    texts: tuple[str, ...]  # the codes of this turn that can be read (a pair: two)


def queue(size: int = 30, turn_ms: int = TURN_MS
          ) -> tuple[list[Person], list[tuple[Image.Image, int]]]:
    """``size`` people, each in view ``turn_ms``, colours alternating; every 6th lingers (the
    last card still in the corner), every 6th shows a code that cannot be read, every 6th
    holds up two cards together."""
    people, shots = [], []
    last: Image.Image | None = None
    for turn in range(1, size + 1):
        colour = (Colour.GREEN, Colour.RED, Colour.YELLOW)[turn % 3]
        text = demo_pass(f"排队{turn}", colour=colour)
        kind = {2: "linger", 4: "unreadable", 5: "pair"}.get(turn % 6, "card")
        if kind == "unreadable":
            frame, texts = centred(damaged_code(text)), ()
        elif kind == "pair":
            other = demo_pass(f"同行{turn}", colour=Colour.GREEN)
            frame, texts = side_by_side(qr_image(text), qr_image(other)), (text, other)
        else:
            frame = centred(qr_image(text), last if kind == "linger" else None)
            texts = (text,)
        last = qr_image(text)
        people.append(Person(turn, kind, texts))
        shots.append((mark_turn(frame, turn), FPS * turn_ms // 1000))
    return people, shots


LEAD_IN = 3  # seconds of an empty table before the first person: the page gets ready


def one_pass(driver: Any, size: int) -> list[dict[str, Any]]:
    """The test build's frame notes for one whole pass of the queue: from the first frame of
    turn 1 that follows the empty lead-in (or the page's first frame) to the frame where the
    queue ends (the fake camera plays it in a loop).  The first pass is taken when the page
    was ready in time for it, else the next."""
    wait_for(driver, "window.passgenTest", 30)
    seen: list[dict[str, Any]] = []

    def whole() -> list[dict[str, Any]] | None:
        seen.extend(driver.execute_script("return window.passgenTest.history()"))
        turns = [e["turn"] for e in seen]
        starts = [i for i, t in enumerate(turns) if t == 1 and (i == 0 or turns[i - 1] == 0)]
        for start in starts:
            end = next((i for i in range(start + 1, len(turns))
                        if turns[i] < turns[i - 1] - size // 2), None)
            if end is not None and set(turns[start:end]) >= set(range(1, size + 1)):
                return seen[start:end]
        return None
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 180, poll_frequency=0.2).until(lambda _: whole())


def owners(people: list[Person]) -> dict[str, int]:
    return {text: p.turn for p in people for text in p.texts}


@pytest.mark.parametrize(("slowdown", "turn_ms"), [(1, 500), (4, 1000)])
def test_a_queue_of_30_never_sees_another_person_s_verdict(
        slowdown: int, turn_ms: int, pages: dict[str, Path], demo: Path,
        tmp_path: Path) -> None:
    """30 people at 2 cards a second with lingering, unreadable and paired cards, and on a
    cheap phone (the CPU 4× slower) at 1 a second: no verdict is on screen for more than
    0.3 s of another person's turn, a pair never gets one card's verdict, and every
    readable card is logged."""
    needs_browser()
    people, shots = queue(turn_ms=turn_ms)
    camera = write_y4m_frames([(BLANK, LEAD_IN * FPS), *shots], tmp_path / "queue.y4m", fps=FPS)
    with chromium(camera, cpu_throttle=slowdown) as driver:
        driver.get(pages["main"].as_uri() + f"#at={CHECK_DAY}")
        seen = one_pass(driver, len(people))
        log = driver.execute_script("return window.passgenTest.logCsv()")
        errors = console_errors(driver)
    owner = owners(people)
    first: dict[int, float] = {}
    for e in seen:
        first.setdefault(e["turn"], e["t"])
    whole = [e for e in seen if e["turn"]]
    assert set(first) == {p.turn for p in people}  # every turn's frames were handled
    wrong = [(e["turn"], owner.get(e["shown"]), round(e["t"] - first[e["turn"]]))
             for e in whole if e["shown"] and owner.get(e["shown"]) != e["turn"]
             and e["t"] - first[e["turn"]] > LATE_MS]
    assert not wrong, wrong  # (turn, whose verdict, ms into the turn)
    by_turn = {p.turn: p for p in people}
    paired = [(e["turn"], round(e["t"] - first[e["turn"]])) for e in whole
              if by_turn[e["turn"]].kind == "pair" and e["shown"]
              and e["t"] - first[e["turn"]] > LATE_MS]
    assert not paired, paired
    trust = keys.read_trust(demo / "trust.json")
    at = dt.datetime(2020, 3, 26, 12, tzinfo=SHANGHAI)
    logged = {row["serial"] for row in csv.DictReader(io.StringIO(log.lstrip("\ufeff")))}
    for p in people:
        for text in p.texts:
            serial = short_serial(verify(text, trust, at).claims.serial)
            assert serial in logged, (p.turn, p.kind)
    shown_turns = {owner[e["shown"]] for e in whole if e["shown"]}
    assert {p.turn for p in people if p.kind == "card"} <= shown_turns  # verdicts came
    assert not errors, errors


def test_a_camera_that_hangs_without_an_event_is_reopened(
        cards: dict[str, tuple[Image.Image, str]], pages: dict[str, Path],
        tmp_path: Path) -> None:
    """The video keeps its time but no new frame comes (the stall check read currentTime,
    which kept advancing): the page sees no frame presented and reopens the camera."""
    needs_browser()
    camera = write_y4m(frame_of(cards["green"][0]), tmp_path / "card.y4m")
    with chromium(camera) as driver:
        driver.get(pages["main"].as_uri() + f"#at={CHECK_DAY}")
        wait_for(driver, f"{VERDICT}.dataset.status === 'valid'")
        opened = driver.execute_script("return document.getElementById('scan').dataset.camera")
        driver.execute_script("window.passgenTest.freezeCamera()")
        started = driver.execute_script("return performance.now()")
        wait_for(driver, f"document.getElementById('scan').dataset.camera !== '{opened}'", 10)
        after = driver.execute_script("return performance.now()")
        frames = state(driver)["frames"]
        wait_for(driver, f"Number(document.getElementById('scan').dataset.frames) > {frames}")
    assert after - started < 3000 + 500  # the page's own clock: within 3 s (+ one poll)


def test_each_verdict_has_the_card_s_mark_and_a_pattern_of_its_own(
        cards: dict[str, tuple[Image.Image, str]], pages: dict[str, Path],
        tmp_path: Path) -> None:
    """Without colour the screens still differ: ● green, ▲ yellow, ☒ red, ✕ refused, as on
    the card, and in greyscale the four screenshots are told apart by their marks."""
    needs_browser()
    marks = {}
    shots = {}
    with chromium(blank_camera(tmp_path)) as driver:
        driver.get(pages["main"].as_uri() + f"#at={CHECK_DAY}")
        wait_for(driver, "window.passgenTest")
        for name in ("green", "yellow", "red", "other-green"):
            seen = handled(driver, cards[name][1])
            marks[name] = driver.execute_script(
                "return document.querySelector('#v-mark svg').dataset.mark")
            shots[name] = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("L")
            assert seen["status"] in ("valid", "revoked")
    assert marks == {"green": "green", "yellow": "yellow", "red": "red",
                     "other-green": "refused"}
    grey = [np.asarray(ImageOps.autocontrast(s), dtype=np.float32) for s in shots.values()]
    for i in range(len(grey)):
        for j in range(i + 1, len(grey)):
            assert np.abs(grey[i] - grey[j]).mean() > 8  # not one grey screen four times


def contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    def lum(c: tuple[int, ...]) -> float:
        ch = [(v / 255) / 12.92 if v / 255 <= 0.03928 else ((v / 255 + 0.055) / 1.055) ** 2.4
              for v in c[:3]]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("name", ["green", "yellow", "red", "other-green"])
def test_forced_dark_keeps_every_verdict_readable(name: str, pages: dict[str, Path],
                                                 cards: dict[str, tuple[Image.Image, str]],
                                                 tmp_path: Path) -> None:
    """A phone's "dark mode for all sites" (Chromium's forced dark), in a browser that
    ignores the page's own dark colour scheme (Chromium honours it, so the test takes it out
    of a copy): each verdict's word and action keep a contrast of 4.5:1 or more with their
    background (white on yellow was 1.7:1, 不得通行 3.8:1)."""
    needs_browser()
    page = tmp_path / "核验.html"
    declared = '<meta name="color-scheme" content="dark">'
    html = pages["main"].read_text(encoding="utf-8")
    assert declared in html
    page.write_text(html.replace(declared, ""), encoding="utf-8")
    with chromium(blank_camera(tmp_path), extra=["--enable-features=WebContentsForceDark"]
                  ) as driver:
        driver.get(page.as_uri() + f"#at={CHECK_DAY}")
        wait_for(driver, "window.passgenTest")
        handled(driver, cards[name][1])
        colours = driver.execute_script("""
            const px = (el) => { const r = el.getBoundingClientRect();
              return [r.left + 2, r.top + r.height / 2, r.right - 2]; };
            return ['v-word', 'v-action'].map((id) => px(document.getElementById(id)));""")
        image = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
        scale = image.width / driver.execute_script("return innerWidth")
    for left, middle, right in colours:
        row = [image.getpixel((int(x * scale), int(middle * scale)))
               for x in np.linspace(left, right, 400)]
        background = image.getpixel((int(left * scale), int(middle * scale)))
        ink = max(row, key=lambda c: contrast(c, background))
        assert contrast(ink, background) >= 4.5, (name, ink, background)


SHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "page-shots"


@pytest.mark.parametrize("view", ["plain", "large"])
def test_large_text_and_zoom_keep_the_aiming_box_on_screen(
        view: str, pages: dict[str, Path], cards: dict[str, tuple[Image.Image, str]],
        tmp_path: Path) -> None:
    """A 360×640 phone at font 24 px and 200 % zoom (the header took 583 of 915 px): the
    camera and its aiming box stay on screen, and so does each verdict's word."""
    needs_browser()
    large = {"font_size": 24, "zoom": 2.0} if view == "large" else {}
    with chromium(blank_camera(tmp_path), size=(360, 640), **large) as driver:
        driver.get(pages["main"].as_uri() + f"#at={CHECK_DAY}")
        wait_for(driver, "document.getElementById('lists').innerText")
        box = driver.execute_script("""
            const r = document.getElementById('frame').getBoundingClientRect();
            const font = parseFloat(getComputedStyle(document.body).fontSize);
            return {top: r.top, bottom: r.bottom, height: r.height, vh: innerHeight, font};""")
        words = []
        for name in ("green", "red"):
            handled(driver, cards[name][1])
            words.append(driver.execute_script("""
                const r = document.getElementById('v-word').getBoundingClientRect();
                return r.top >= 0 && r.bottom <= innerHeight && r.height > 0;"""))
    assert box["top"] >= 0 and box["bottom"] <= box["vh"], box
    assert box["height"] >= 0.25 * box["vh"], box
    if view == "large":
        assert box["vh"] == 320 and box["font"] >= 24, box  # the setting took effect
    assert all(words)


AWKWARD = ("0123456789012345", "31415926535E0100")  # a leading 0; a number in E-notation


def test_the_exported_log_keeps_serials_as_text_in_a_spreadsheet(
        pages: dict[str, Path], tmp_path: Path) -> None:
    """Serials a spreadsheet would retype (0123… lost its 0, 31415926535E0100 became
    3.1E+110) open as the text printed on the card; the file starts with a byte order mark,
    so Excel and WPS read it as UTF-8."""
    from spreadsheet import open_as_spreadsheet

    needs_browser()
    with chromium(blank_camera(tmp_path)) as driver:
        driver.get(pages["main"].as_uri() + f"#at={CHECK_DAY}")
        wait_for(driver, "window.passgenTest")
        for serial in AWKWARD:
            handled(driver, demo_pass(serial=bytes.fromhex(serial)))
        data = driver.execute_script(
            "return window.passgenTest.logCsv()").encode("utf-8")
    rows = open_as_spreadsheet(data)
    assert data.startswith(b"\xef\xbb\xbf") and rows[0] == ["time", "serial", "verdict", "colour"]
    assert [r[1] for r in rows[1:]] == [short_serial(bytes.fromhex(s)) for s in AWKWARD]
    assert b"\r\n" in data


def _perspective(image: Image.Image) -> Image.Image:
    """The frame as a camera sees a card tilted away from it: its top edge shorter."""
    w, h = image.size
    source = [(0, 0), (w, 0), (w, h), (0, h)]
    target = [(w * 0.3, 0), (w * 0.7, 0), (w, h), (0, h)]
    rows = []
    for (x, y), (u, v) in zip(source, target, strict=True):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
    a = np.array(rows, dtype=float)
    coeffs = np.linalg.lstsq(a, np.array(target, dtype=float).reshape(8), rcond=None)[0]
    return image.transform((w, h), Image.PERSPECTIVE, tuple(coeffs), Image.BICUBIC,
                           fillcolor=(110, 105, 100))


def placed(code: Image.Image, size: int) -> Image.Image:
    frame = BLANK.copy()
    code = code.copy()
    code.thumbnail((size, size))
    frame.paste(code, ((FRAME[0] - code.width) // 2, (FRAME[1] - code.height) // 2))
    return frame


def test_a_card_held_up_but_not_read_gets_a_hint_of_what_to_do(
        cards: dict[str, tuple[Image.Image, str]], pages: dict[str, Path],
        tmp_path: Path) -> None:
    """Dim, far, tilted or blurred (a code found but not read): each its own short hint,
    where the hint said 等待下一张卡 before."""
    needs_browser()
    from PIL import ImageEnhance

    text = cards["green"][1]
    frames = {
        "dim": ImageEnhance.Brightness(placed(qr_image(text), 440)).enhance(0.04),
        "far": placed(damaged_code(text), 130),
        "tilted": _perspective(placed(damaged_code(text), 600)),
        "blurred": placed(damaged_code(text), 440),
    }
    seen = {}
    for kind, frame in frames.items():
        with chromium(write_y4m(frame, tmp_path / f"{kind}.y4m")) as driver:
            driver.get(pages["main"].as_uri() + f"#at={CHECK_DAY}")
            wait_for(driver, f"document.getElementById('hint').dataset.kind === '{kind}'", 30)
            seen[kind] = state(driver)
    for kind, s in seen.items():
        assert s["status"] is None and s["count"] == "0", kind
    assert "太暗" in seen["dim"]["hint"] and "靠近" in seen["far"]["hint"]
    assert "放平" in seen["tilted"]["hint"] and "拿稳" in seen["blurred"]["hint"]


def test_lists_older_than_the_publishing_interval_are_announced_on_every_verdict(
        pages: dict[str, Path], demo: Path, cards: dict[str, tuple[Image.Image, str]],
        tmp_path: Path) -> None:
    """A page whose lists are older than the office publishes them (--publish-every, 24 h
    by default) puts a full-width warning a worker acts on over every verdict; a fresh one
    puts none."""
    needs_browser()
    listed = pages["main"].parent / "revoked.json"  # made 2020-03-26 01:00
    strict = make_page(tmp_path / "strict.html", demo / "trust.json", "--revoked", str(listed),
                       "--at", f"{CHECK_DAY}T08:00", "--publish-every", "6")
    seen: dict[str, list[str]] = {}
    with chromium(blank_camera(tmp_path)) as driver:
        for name, page in (("fresh", pages["main"]), ("stale", strict)):
            driver.get(page.as_uri() + f"#at={CHECK_DAY}")
            wait_for(driver, "window.passgenTest")
            seen[name] = []
            for card in ("green", "red", "other-green"):
                handled(driver, cards[card][1])
                seen[name].append(driver.execute_script("""
                    const s = document.getElementById('v-stale');
                    const r = s.getBoundingClientRect();
                    return s.innerText + (r.width >= innerWidth - 2 ? ' [full width]' : '');"""))
    assert seen["fresh"] == ["", "", ""]
    for text in seen["stale"]:
        assert "名单已过期" in text and "12 小时前" in text and "要新网页" in text
        assert "[full width]" in text
