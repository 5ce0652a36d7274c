"""Card layouts as data: the default geometry, and invalid templates refused naming line and key."""

import pytest

from passgen.errors import TemplateError
from passgen.printing.layout import (
    block_size,
    card_origins,
    default_template_bytes,
    load_template,
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
    ('[qr]\nx_mm = 46.6', '[qr]\nwobble = 1\nx_mm = 46.6', "wobble"),
    ('pattern = "hatch"', 'pattern = "solid"', "pattern"),
    ('size_mm = 37.5', 'size_mm = 60', "[qr]"),
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
