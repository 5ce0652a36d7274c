"""Real round trips: roster → cards.pdf → rasterise → decode every QR → verify."""

import datetime as dt
import re
from pathlib import Path

import pytest
from helpers import AS_OF, make_id, row, write_roster
from pdfcheck import decode, fonts, pages, text

from passgen import keys
from passgen.batch import run_cards
from passgen.layout import load_template
from passgen.rules import load_rules
from passgen.verify import VALID, verify

ROWS = [
    row(姓名="王建国"),
    row(姓名="李秀英", 身份证号=make_id(dt.date(1948, 2, 3)), 症状="发热"),
    row(姓名="欧阳子涵", 身份证号=make_id(dt.date(2008, 9, 1)), 类别="学生",
        **{"14天内旅居地区": "武汉", "来南日期": "2020-03-20"}),
    row(姓名="赵一", 身份证号=make_id(dt.date(1955, 1, 1), 7), 人员状态="确诊",
        状态日期="2020-03-20"),
    row(姓名="钱二", 身份证号="123"),  # rejected
] + [row(姓名=f"孙{'一二三四五六七八九十'[i % 10]}{'甲乙丙丁'[i // 10]}",
         身份证号=make_id(dt.date(1950, 1, 1) + dt.timedelta(days=37 * i), i)) for i in range(8)]
EXPECTED = {"王建国": "green", "李秀英": "yellow", "欧阳子涵": "red", "赵一": "red"}


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, signing_key: keys.SigningKey):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("batch")
    roster = write_roster(folder / "roster.xlsx", ROWS)
    return run_cards([roster], signing_key, folder / "out", load_rules(), load_template(), AS_OF)


def test_every_row_accounted_for(batch) -> None:  # type: ignore[no-untyped-def]
    t = batch.totals
    assert (t.rows, t.cards, t.rejected) == (13, 12, 1)
    assert t.rows == t.cards + t.rejected


def test_pdf_round_trip_at_200_dpi(batch, trust: keys.TrustList, noon: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    images = pages(batch.pdfs[0], dpi=200)
    assert len(images) == 2  # 12 cards, 10 per page
    texts = [t for image in images for t in decode(image)]
    assert len(texts) == 12
    results = [verify(t, trust, noon) for t in texts]
    assert all(r.status == VALID for r in results)
    by_name = {r.claims.name: r.claims.colour.english for r in results if r.claims}
    assert len(by_name) == 12
    for name, colour in EXPECTED.items():
        assert by_name[name] == colour
    issued = {o.card.payload for o in batch.outcomes if o.card}
    assert set(texts) == issued


def test_every_font_is_embedded(batch) -> None:  # type: ignore[no-untyped-def]
    found = fonts(batch.pdfs[0])
    assert found, "no text found"
    assert all(embedded for _, embedded in found), found
    raw = batch.pdfs[0].read_bytes()
    assert b"Helvetica" not in raw and b"/FontFile2" in raw


def test_chinese_text_is_in_the_pdf(batch) -> None:  # type: ignore[no-untyped-def]
    content = text(batch.pdfs[0])
    for needle in ("王建国", "绿码", "黄码", "红码", "查验体温亮码通行", "有效期至 2020-04-01",
                   "桂花社区"):
        assert needle in content, needle


def test_same_inputs_give_identical_pdf(batch, tmp_path: Path,  # type: ignore[no-untyped-def]
                                        signing_key: keys.SigningKey) -> None:
    roster = write_roster(tmp_path / "roster.xlsx", ROWS)
    again = run_cards([roster], signing_key, tmp_path / "out", load_rules(), load_template(),
                      AS_OF)
    assert again.pdfs[0].read_bytes() == batch.pdfs[0].read_bytes()


def test_qr_module_size_and_page_geometry(batch) -> None:  # type: ignore[no-untyped-def]
    """Measure from the PDF: the QR's finder pattern width gives the module size."""
    from passgen.layout import module_mm
    from passgen.qr import encode

    card = next(o.card for o in batch.outcomes if o.card)
    template = load_template()
    matrix = encode(card.payload, template.qr_error)
    assert module_mm(template, matrix.size) >= 0.6
    image = pages(batch.pdfs[0], dpi=600)[0]
    # the first card's QR box: its leftmost dark column is the finder pattern's edge
    px_per_mm = 600 / 25.4
    from passgen.layout import card_origins

    x0, y0 = card_origins(template)[0]
    qx = (x0 + template.qr.x) * px_per_mm
    qy = (y0 + template.qr.y) * px_per_mm
    side = template.qr.width * px_per_mm
    box = image.crop((int(qx), int(qy), int(qx + side), int(qy + side))).point(
        lambda v: 255 if v > 128 else 0)
    dark_cols = [x for x in range(box.width) if any(box.getpixel((x, y)) == 0
                                                      for y in range(box.height))]
    first_dark_y = min(y for y in range(box.height) if box.getpixel((dark_cols[0], y)) == 0)
    run = 0
    while box.getpixel((dark_cols[0] + run, first_dark_y + 2)) == 0:
        run += 1
    module_measured = run / 7 / px_per_mm  # the finder pattern is 7 modules wide
    assert module_measured >= 0.59
    quiet = dark_cols[0] / px_per_mm / module_measured
    assert quiet >= 3.9  # four modules of quiet zone inside the QR box
    assert re.search(rb"/MediaBox \[ 0 0 595.2756 841.8898 \]", batch.pdfs[0].read_bytes())
