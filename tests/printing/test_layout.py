"""Card layouts as data: the default geometry, and invalid templates refused naming line and key."""

from collections.abc import Callable
from typing import Any

import pytest

from passgen.errors import TemplateError
from passgen.printing.layout import (
    block_size,
    card_origins,
    default_template_bytes,
    fit_text,
    load_template,
    module_mm,
    parse_template,
)

DEFAULT = default_template_bytes().decode()


def test_default_template_geometry() -> None:
    t = load_template()
    assert t.card_mm == (85.60, 53.98) and t.per_page == 10
    w, h = block_size(t)
    origins = card_origins(t)
    left, top = origins[0]
    assert left >= 10 and top >= 10
    assert abs(left - (210 - w - left)) < 1e-9 and abs(top - (297 - h - top)) < 1e-9
    assert len(set(origins)) == 10


@pytest.mark.parametrize("old, new, needle", [
    ('text = "{name}"', 'text = "{nickname}"', "{nickname}"),
    ('size = "A4"', 'size = "Letter"', "size"),
    ('[qr]\nx_mm = 38.6', '[qr]\nwobble = 1\nx_mm = 38.6', "wobble"),
    ('size_mm = 46.5', 'size_mm = 60', "[qr]"),
    ('min_size_pt = 14', 'min_size_pt = 17', "min_size_pt"),
    ('\nlines = 2', '\nlines = 5', "lines"),
    ('columns = 2', 'columns = 3', "[page]"),
])
def test_invalid_templates_name_the_line(old: str, new: str, needle: str) -> None:
    assert old in DEFAULT
    with pytest.raises(TemplateError) as info:
        parse_template(DEFAULT.replace(old, new, 1).encode(), "mine.toml")
    assert "mine.toml line" in info.value.en


def test_missing_template_file() -> None:
    with pytest.raises(TemplateError):
        load_template("/nonexistent/card.toml")


# --- fitting rules (issue #19) ---------------------------------------------------------------

def width_of() -> Callable[[str, float], float]:
    from reportlab.pdfbase import pdfmetrics

    from passgen import fonts

    font = pdfmetrics.getFont(fonts.register())
    return lambda text, size: font.stringWidth(text, size) / MM  # mm


MM = 72 / 25.4
# The widest value each placeholder can take: a 6-character name (nearly every Chinese name
# is 2 to 4), a 13-character community, a 16-character issuer in CJK, the widest hex digits.
WORST = {"community": "沙坪坝区覃家岗街道新桥社区", "name": "欧阳娜娜娜娜", "masked_id": "511302********849X",
         "category": "老年人", "colour_word": "黄码", "colour_meaning": "检查体温、充分核验后方可通行",
         "valid_until": "2020-12-28", "invalid_after": "2020-12-28", "issued": "2020-12-28",
         "serial": "DDDD-DDDD-DDDD-DDDD", "issuer": "国" * 16, "rules_version": "dddddddd",
         "hotline": "0817-12345678"}


def test_every_text_keeps_its_minimum_size_with_the_widest_values() -> None:
    t = load_template()
    measure = width_of()
    for item in t.texts + t.back_texts:
        text = item.text.format_map(WORST)
        fitted = fit_text(text, measure, item.size, item.max_width, item.min_size, item.lines)
        assert fitted.size >= (item.min_size or item.size) - 1e-9, (item.text, fitted)
        assert fitted.size >= 6.0, item.text  # nothing on the card below 6 pt (the serial)
        assert all(measure(line, fitted.size) <= item.max_width + 1e-6 for line in fitted.lines)
        assert fitted.lines == (text,)  # the widest usual values need no second line


def test_a_long_name_breaks_onto_two_lines_in_the_height_of_one() -> None:
    t = load_template()
    measure = width_of()
    [name] = [i for i in t.texts if i.text == "{name}"]
    assert fit_text("欧阳娜娜娜娜", measure, name.size, name.max_width, name.min_size,
                    name.lines).size >= 14
    seven = fit_text("阿依古丽娜娜娜", measure, name.size, name.max_width, name.min_size,
                     name.lines)
    assert seven.lines == ("阿依古丽娜娜娜",) and 12 < seven.size < 14  # one line still wins
    long = "阿卜杜热西提·买买提艾力·吐尔逊"
    fitted = fit_text(long, measure, name.size, name.max_width, name.min_size, name.lines)
    assert fitted.lines == ("阿卜杜热西提·买买提艾力·", "吐尔逊") or len(fitted.lines) == 2
    assert "".join(fitted.lines) == long  # nothing dropped
    assert fitted.size >= 7.5 and fitted.leading * 1 + fitted.size <= name.size * 1.13
    assert all(measure(line, fitted.size) <= name.max_width + 1e-6 for line in fitted.lines)


def test_break_prefers_the_middle_dot_and_never_overflows() -> None:
    measure = width_of()
    fitted = fit_text("买买提·吐尔逊", measure, 16, 12.0, 14, 2)
    assert fitted.lines == ("买买提·", "吐尔逊")
    for text in ("甲", "甲乙", "ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 3):
        f = fit_text(text, measure, 16, 10.0, 14, 2)
        assert "".join(f.lines).replace(" ", "") == text.replace(" ", "")
        assert all(measure(line, f.size) <= 10.0 + 1e-6 for line in f.lines)


def test_qr_module_of_the_usual_pass_is_at_least_three_quarters_of_a_millimetre() -> None:
    t = load_template()
    assert module_mm(t.qr.width, 17 + 4 * 9) >= 0.75  # version 9: every demo card's
    assert t.qr.x + t.qr.width <= t.card_mm[0] and t.qr.y + t.qr.height <= t.card_mm[1]
    for item in t.texts:  # no text's line crosses the code's box (quiet zone included)
        top = item.y - item.size / MM  # ascent of a line of ``size`` at most
        if item.x + item.max_width > t.qr.x:
            assert item.y + 0.3 * item.size / MM < t.qr.y or top > t.qr.y + t.qr.height, item


# --- issue #36 finding 5: a layout cannot change what a colour looks like ------------------

STYLES = """
[colours.green]
fill = "#F47C7C"
pattern = "crosshatch"
shape = "cross"

[colours.yellow]
fill = "#FFD23F"
pattern = "hatch"
shape = "triangle"

[colours.red]
fill = "#7CC68A"
pattern = "lines"
shape = "circle"
"""
WORD = 'text = "{colour_word}"\nx_mm = 13.5\ny_mm = 28.9\nsize_pt = 20\nmin_size_pt = 16'


@pytest.mark.parametrize("change, needle", [
    (lambda t: t.replace("[[text]]", STYLES + "\n[[text]]", 1), "[colours]"),
    (lambda t: t.replace(WORD, 'text = " "\nx_mm = 13.5\ny_mm = 28.9\nsize_pt = 20\n'
                               'min_size_pt = 16'), "{colour_word}"),
    (lambda t: t.replace(WORD, 'text = "{colour_word}"\nx_mm = 13.5\ny_mm = 28.9\n'
                               'size_pt = 6\nmin_size_pt = 6'), "{colour_word}"),
    (lambda t: t.replace(WORD, 'text = "{colour_word}"\nx_mm = 90\ny_mm = 28.9\n'
                               'size_pt = 20\nmin_size_pt = 16'), "{colour_word}"),
    (lambda t: t.replace('text = "{name}"', 'text = "绿码 {name}"'), "绿码"),
    (lambda t: t.replace('text = "{name}"', 'text = "{name:>300000000}"'), "{name}"),
    (lambda t: t.replace('text = "{masked_id}"', 'text = "{serial:d}"'), "{serial}"),
    (lambda t: t.replace('text = "{name}"', 'text = "{name!r}"'), "{name}"),
    (lambda t: t.replace("width_mm = 4.5", "width_mm = 0.5"), "width_mm"),
    (lambda t: t.replace("size_mm = 5.5", "size_mm = 1.0"), "size_mm"),
], ids=["swapped-styles", "no-word", "tiny-word", "word-off-card", "literal-word",
        "huge-width", "format-d", "conversion", "thin-band", "tiny-mark"])
def test_a_layout_cannot_restyle_hide_or_swap_a_colour(change: Any, needle: str) -> None:
    """Swapping the red and green styles and blanking the colour word passed every check;
    {name:>300000000} grew to 1.8 GB and {serial:d} ended in an internal error."""
    changed = change(DEFAULT)
    assert changed != DEFAULT
    with pytest.raises(TemplateError) as info:
        parse_template(changed.encode(), "mine.toml")
    assert "mine.toml" in info.value.zh and needle in info.value.zh


def test_a_layout_may_align_pad_and_keep_the_vocabulary_s_own_styles() -> None:
    from passgen.printing.colours import COLOUR_STYLES, MIN_FILL_LUMINANCE, luminance

    own = "".join(f"\n[colours.{k}]\nfill = \"{c.fill}\"\npattern = \"{c.pattern}\"\n"
                  f"shape = \"{c.shape}\"\n" for k, c in zip(("green", "yellow", "red"),
                                                                 COLOUR_STYLES, strict=True))
    text = DEFAULT.replace("[[text]]", own + "\n[[text]]", 1).replace(
        'text = "{name}"', 'text = "{name:<10}"')
    template = parse_template(text.encode(), "mine.toml")
    assert template.colours == COLOUR_STYLES
    assert all(luminance(c.fill) >= MIN_FILL_LUMINANCE for c in COLOUR_STYLES)
    assert len({c.pattern for c in COLOUR_STYLES}) == len({c.shape for c in COLOUR_STYLES}) == 3
