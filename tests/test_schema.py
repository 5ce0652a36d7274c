"""The one schema for passgen's TOML files: every fault names file, line, key and what was
expected, Chinese first; defaults are filled in; the three real files are checked by it."""

from __future__ import annotations

import pytest
from helpers import REPO

from passgen.errors import RulesError, TemplateError
from passgen.printing.layout import parse_template
from passgen.printing.posters import parse_poster_template
from passgen.rules import default_rules_bytes, parse_rules
from passgen.schema import (
    Document,
    flag,
    integer,
    number,
    optional_table,
    table,
    tables,
    text,
)

SCHEMA = {
    "format": text(True, choices=("x/1",)),
    "size": integer(default=3),
    "page": table({"width_mm": number(default=10.0, minimum=1), "crop": flag(True)}),
    "legend": optional_table({"x_mm": number(True)}),
    "item": tables({"text": text(True), "size_pt": number(True, minimum=4)}),
}


def check(source: str) -> dict[str, object]:
    doc = Document(source.encode(), "mine.toml", TemplateError, "模板", "template")
    return doc.check(doc.parse(), SCHEMA)


def test_defaults_fill_what_is_left_out() -> None:
    assert check('format = "x/1"\n') == {"format": "x/1", "size": 3,
                                          "page": {"width_mm": 10.0, "crop": True},
                                          "legend": None, "item": ()}


@pytest.mark.parametrize("source, line, key, zh, en", [
    ('format = "x/1"\nsurprise = 1\n', 2, "surprise", "未知的项", "unknown key"),
    ('size = 3\n', 0, "", "缺少 format", "format is missing"),
    ('format = "x/2"\n', 1, "format", "只能是 x/1", "expected one of x/1"),
    ('format = "x/1"\nsize = "3"\n', 2, "size", "应为整数", "expected an integer"),
    ('format = "x/1"\n[page]\ncrop = 1\n', 3, "page.crop", "true 或 false", "true or false"),
    ('format = "x/1"\n[page]\nwidth_mm = 0.5\n', 3, "page.width_mm", "应不小于 1",
     "expected a number >= 1"),
    ('format = "x/1"\n[legend]\n', 2, "legend", "缺少 x_mm", "x_mm is missing"),
    ('format = "x/1"\n[[item]]\ntext = "a"\nsize_pt = 9\n[[item]]\ntext = "b"\n'
     'size_pt = 2\n', 7, "item[2].size_pt", "应不小于 4", "expected a number >= 4"),
])
def test_every_fault_names_file_line_key_and_expectation(source: str, line: int, key: str,
                                                         zh: str, en: str) -> None:
    with pytest.raises(TemplateError) as info:
        check(source)
    where_zh = f"模板 mine.toml 第{line}行：" if line else "模板 mine.toml ："
    assert info.value.zh.startswith(where_zh + (f"{key}：" if key else "")), info.value.zh
    assert zh in info.value.zh
    assert info.value.en.startswith("template mine.toml " + (f"line {line}: " if line else ": ")
                                    + (f"{key}: " if key else "")), info.value.en
    assert en in info.value.en


def test_the_three_kinds_of_file_use_it() -> None:
    rules = default_rules_bytes().replace(b"window_days = 14", b"window_days = 1.5", 1)
    with pytest.raises(RulesError, match=r"rules file default.toml line \d+: window_days: "
                                         r"expected an integer"):
        parse_rules(rules)
    card = (REPO / "templates" / "card.toml").read_bytes().replace(b"[card]", b"[card]\nx = 1")
    with pytest.raises(TemplateError, match=r"template card.toml line \d+: card.x: unknown key"):
        parse_template(card, "card.toml")
    poster = (REPO / "templates" / "poster-campaign.toml").read_bytes()
    poster = poster.replace(b'kind = "campaign"', b'kind = "banner"')
    with pytest.raises(TemplateError, match=r"template p.toml line \d+: kind: expected one of "
                                            r"campaign, checkpoint"):
        parse_poster_template(poster, "p.toml")


def test_not_toml_at_all() -> None:
    with pytest.raises(TemplateError, match="不是有效的TOML"):
        check("format = \n")
