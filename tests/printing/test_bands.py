"""Colour bands a black-and-white printer cannot confuse (issue #19): a card sheet with one
card of each colour, rendered, then thresholded to 1 bit at 50 %, dithered and left grey;
each colour's band must differ from the other two by its texture in all three."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from helpers import AS_OF, make_id, row, write_roster
from pdfcheck import pages
from PIL import Image

from passgen.errors import TemplateError
from passgen.jobs.cards import PrintOptions, run_cards
from passgen.models import Colour
from passgen.passes import keys
from passgen.printing.layout import (
    card_origins,
    default_template_bytes,
    load_template,
    parse_template,
)
from passgen.rules import load_rules

TEMPLATE = load_template()
DPI = 300
LAG = 4  # pixels: longer than a line is thick, shorter than the gap between lines


def threshold(image: Image.Image) -> np.ndarray:
    return np.asarray(image) < 128


def dither(image: Image.Image) -> np.ndarray:
    return ~np.asarray(image.convert("1"))  # Floyd–Steinberg, as a cheap printer driver does


def grey_lines(image: Image.Image) -> np.ndarray:
    return np.asarray(image) < 60  # the black pattern lines, whatever grey the tint prints


def texture(dark: np.ndarray) -> np.ndarray:
    """Darkness, and how often a dark pixel continues LAG pixels on along each of the four
    directions (across, down, rising, falling): lines in one direction continue only along
    it, cross-hatching along two, dither dots along none."""
    k = LAG
    d = max(float(dark.mean()), 1e-6)
    along = [
        (dark[:, k:] & dark[:, :-k]).mean(),  # horizontal
        (dark[k:, :] & dark[:-k, :]).mean(),  # vertical
        (dark[k:, :-k] & dark[:-k, k:]).mean(),  # rising (image y grows downwards)
        (dark[k:, k:] & dark[:-k, :-k]).mean(),  # falling
    ]
    return np.array([float(dark.mean()), *(a / d for a in along)])


@pytest.fixture(scope="module")
def bands(tmp_path_factory: pytest.TempPathFactory,
          signing_key: keys.SigningKey) -> dict[Colour, Image.Image]:
    folder = tmp_path_factory.mktemp("bands")
    rows = [row(姓名="绿"), row(姓名="黄", 身份证号=make_id(dt.date(1951, 1, 1)), 症状="发热"),
            row(姓名="红", 身份证号=make_id(dt.date(1952, 1, 1)), 人员状态="确诊",
                状态日期="2020-03-20")]
    roster = write_roster(folder / "r.xlsx", rows)
    result = run_cards([roster], signing_key, folder / "out", load_rules(),
                       PrintOptions(TEMPLATE, duplex=False), AS_OF)
    page = pages(result.pdfs[0], dpi=DPI)[0]
    px = DPI / 25.4
    out = {}
    for slot, colour in enumerate(Colour):
        x, y = card_origins(TEMPLATE)[slot]
        b = TEMPLATE.band
        out[colour] = page.crop((round((x + b.x + 0.5) * px), round((y + 2) * px),
                                 round((x + b.x + b.width - 0.5) * px),
                                 round((y + b.height - 2) * px)))
    return out


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Darkness counts three times as much as one direction's continuation."""
    return float(3 * abs(a[0] - b[0]) + np.abs(a[1:] - b[1:]).max())


@pytest.mark.parametrize("mode", [threshold, dither, grey_lines], ids=lambda m: m.__name__)
def test_bands_differ_pairwise_in_black_and_white(bands: dict[Colour, Image.Image],
                                                  mode: object) -> None:
    measured = {c: texture(mode(image)) for c, image in bands.items()}  # type: ignore[operator]
    for a, b in ((Colour.GREEN, Colour.YELLOW), (Colour.GREEN, Colour.RED),
                 (Colour.YELLOW, Colour.RED)):
        assert distance(measured[a], measured[b]) > 0.3, (a, b, measured[a], measured[b])


def test_a_dark_solid_band_is_the_failure_the_test_catches(bands: dict[Colour, Image.Image]) -> None:
    """The measure is not blind: the old bands (a dark green solid and dark red under
    cross-hatching) both threshold to solid black and measure the same."""
    solid = texture(np.ones((200, 40), dtype=bool))
    assert distance(solid, texture(np.ones((180, 30), dtype=bool))) < 0.05
    assert distance(texture(threshold(bands[Colour.RED])), solid) > 0.3


def test_band_fills_must_be_light_enough_to_vanish_under_a_threshold() -> None:
    """The vocabulary's tints vanish under a 50 % threshold (a layout cannot change them)."""
    from passgen.printing.colours import COLOUR_STYLES, MIN_FILL_LUMINANCE, luminance

    assert all(luminance(c.fill) >= MIN_FILL_LUMINANCE for c in COLOUR_STYLES)
    text = default_template_bytes().decode().replace("[[text]]", """
[colours.green]
fill = "#1B7F3B"
pattern = "lines"
shape = "circle"

[[text]]""", 1)
    with pytest.raises(TemplateError) as info:
        parse_template(text.encode(), "mine.toml")
    assert "mine.toml line" in info.value.en and "colours.green" in info.value.en
