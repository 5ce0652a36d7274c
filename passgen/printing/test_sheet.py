"""A test sheet to check that a printer prints at actual size (issue #38): an A4 page with a
100 mm ruler along each axis and an ID-1 card outline (85.6 × 54 mm).  A clerk prints it with
the settings the cards will use and measures: a printer set to "fit to page" prints cards at
about 96 %, which a ruler shows at once."""

from __future__ import annotations

from pathlib import Path

from passgen.files import atomic_write
from passgen.printing.layout import pt
from passgen.printing.pdf import new_canvas

A4 = (210.0, 297.0)
CARD = (85.6, 54.0)


def write_test_sheet(path: Path) -> Path:
    """Write the test sheet to ``path`` (whole or not at all)."""

    def draw(tmp: Path) -> None:
        c = new_canvas(tmp, A4, "passgen 打印测试页 print test sheet", duplex=False)
        c.setLineWidth(0.5)
        x0, y0 = 30.0, 200.0  # the horizontal ruler's left end, in mm from bottom left
        c.line(pt(x0), pt(y0), pt(x0 + 100), pt(y0))
        for mm in range(0, 101):
            tick = 6.0 if mm % 10 == 0 else 4.0 if mm % 5 == 0 else 2.5
            c.line(pt(x0 + mm), pt(y0), pt(x0 + mm), pt(y0 + tick))
            if mm % 10 == 0:
                c.setFontSize(7)
                c.drawCentredString(pt(x0 + mm), pt(y0 + 7.5), str(mm))
        vx, vy = 20.0, 60.0  # the vertical ruler's bottom end
        c.line(pt(vx), pt(vy), pt(vx), pt(vy + 100))
        for mm in range(0, 101):
            tick = 6.0 if mm % 10 == 0 else 4.0 if mm % 5 == 0 else 2.5
            c.line(pt(vx), pt(vy + mm), pt(vx + tick), pt(vy + mm))
        c.rect(pt(60), pt(90), pt(CARD[0]), pt(CARD[1]))
        c.setFontSize(11)
        lines = [
            "打印测试页：请用印卡时同样的打印设置打印这一页，再用尺子量。",
            "上面的横线应正好 100 毫米，左边的竖线也是 100 毫米；",
            "中间的方框应是 85.6 × 54 毫米（身份证大小）。",
            "不对时：在打印设置里选“实际大小”（不要“适合页面”“缩放”），再打印一次。",
            "Print test sheet: both rulers must measure exactly 100 mm and the box 85.6 × 54 mm;",
            "if not, choose actual size (not fit to page) in the print settings.",
        ]
        for i, line in enumerate(lines):
            c.drawString(pt(30), pt(260 - i * 7), line)
        c.setFontSize(9)
        c.drawString(pt(62), pt(90 + CARD[1] / 2), "85.6 × 54 mm")
        c.showPage()
        c.save()

    atomic_write(path, draw)
    return path
