"""Posters: venue rows to PDFs, QR round trips at 100 dpi, sizes, fonts, rejections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as raw
import pytest
from click.testing import CliRunner
from helpers import REPO
from openpyxl import Workbook
from pdfcheck import decode, fonts, pages, text

from passgen.cli import cli
from passgen.errors import ExitStatus, TemplateError
from passgen.intake.venues import read_venues
from passgen.jobs.posters import run_posters
from passgen.printing.posters import load_poster_template, parse_poster_template
from passgen.qr.encode import encode

MM = 72 / 25.4
HEADERS = ["名称", "社区", "地址", "类型", "咨询电话", "二维码内容"]


def venues_file(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["西门社区海报点位表"])
    sheet.append(HEADERS)
    for r in rows:
        sheet.append(r)
    book.save(path)
    return path


ROWS = [
    ["骏达市场", "西门社区", "顺庆区骏达路1号", "市场", "0817-2345678", ""],
    ["桂花小区东门", "西门社区", "桂花路12号", "小区", "", "https://example.gov.cn/a?b=1"],
    ["", "西门社区", "无名", "小区", "", ""],
    ["长链接小区", "东门社区", "", "小区", "", "https://example.gov.cn/" + "x" * 600],
    ["电话错误", "东门社区", "", "小区", "请打我", ""],
    ["城南超市", "东门社区", "", "超市", "12345", ""],
]


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("posters")
    path = venues_file(folder / "venues.xlsx", ROWS)
    return run_posters(read_venues([path]), folder / "out",
                       load_poster_template("campaign"))


def test_every_row_is_accounted_for(campaign: Any) -> None:
    assert campaign.line() == "读取 6 行：海报 3，未印制 3 / read 6 rows: 3 posters, 3 rejected"
    errors = {o.error.where.column for o in campaign.outcomes if o.error}
    assert errors == {"名称", "二维码内容", "咨询电话"}
    assert [p.name for p in campaign.pdfs] == ["posters-campaign-西门社区-001.pdf",
                                              "posters-campaign-东门社区-001.pdf"]
    assert campaign.report.is_file()


def test_qr_decodes_to_each_rows_content_at_100_dpi(campaign: Any) -> None:
    template = load_poster_template("campaign")
    contents = [decode(image)[0] for pdf in campaign.pdfs for image in pages(pdf, dpi=100)]
    assert contents == [template.qr_content, "https://example.gov.cn/a?b=1", template.qr_content]


def test_qr_module_measured_from_the_pdf(campaign: Any) -> None:
    template = load_poster_template("campaign")
    pdf = pdfium.PdfDocument(str(campaign.pdfs[0]))
    paths = [tuple(o.get_bounds()) for o in pdf[0].get_objects(max_depth=3)
             if o.type == raw.FPDF_PAGEOBJ_PATH]
    pdf.close()
    # the QR path is the square one that is not the page frame
    squares = [b for b in paths if abs((b[2] - b[0]) - (b[3] - b[1])) < 1 and b[2] - b[0] < 150 * MM]
    qr = max(squares, key=lambda b: b[2] - b[0])
    modules = encode(template.qr_content).size
    assert (qr[2] - qr[0]) / modules / MM >= 1.5


def test_fonts_embedded_and_text_present(campaign: Any) -> None:
    for pdf in campaign.pdfs:
        found = fonts(pdf)
        assert found and all(embedded for _, embedded in found)
    content = text(campaign.pdfs[0])
    for needle in ("扫码申领健康码", "第一步", "第二步", "第三步", "绿码", "查验体温亮码通行",
                   "居民出行卡", "西门社区", "咨询电话 0817-2345678", "咨询电话 12345"):
        assert needle in content, needle


def test_checkpoint_posters_in_every_size(tmp_path: Path) -> None:
    path = venues_file(tmp_path / "v.xlsx", ROWS[:2])
    expected = {"A4": (210, 297), "A3": (297, 420), "A2": (420, 594)}
    for size, (w, h) in expected.items():
        result = run_posters(read_venues([path]), tmp_path / size,
                             load_poster_template("checkpoint"), size)
        pdf = pdfium.PdfDocument(str(result.pdfs[0]))
        assert len(pdf) == 2
        pw, ph = pdf[0].get_size()
        assert (round(pw / MM), round(ph / MM)) == (w, h)
        pdf.close()
        content = text(result.pdfs[0])
        assert "骏达市场" in content and "本点位查验健康码和居民出行卡" in content
        assert "待转码后方可通行" in content
        assert decode(pages(result.pdfs[0], dpi=50)[0]) == []  # a sign carries no QR


def test_same_venues_give_identical_pdfs(tmp_path: Path, campaign: Any) -> None:
    path = venues_file(tmp_path / "venues.xlsx", ROWS)
    again = run_posters(read_venues([path]), tmp_path / "out", load_poster_template("campaign"))
    assert [p.read_bytes() for p in again.pdfs] == [p.read_bytes() for p in campaign.pdfs]


def test_template_errors() -> None:
    data = (REPO / "templates" / "poster-campaign.toml").read_text(
        encoding="utf-8")
    with pytest.raises(TemplateError, match="unknown placeholder"):
        parse_poster_template(data.replace("· {community}", "· {communty}", 1).encode(), "p.toml")
    with pytest.raises(TemplateError, match="line"):
        parse_poster_template(data.replace('kind = "campaign"', 'kind = "banner"').encode(),
                              "p.toml")
    with pytest.raises(TemplateError, match="checkpoint poster"):
        load_poster_template("campaign", "poster-checkpoint")


def test_cli_single_venue_and_usage(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["posters", "--venue", "骏达市场", "--community", "西门社区",
                             "--hotline", "0817-2345678", "--kind", "checkpoint", "--out",
                             str(tmp_path / "one")])
    assert ok.exit_code == ExitStatus.OK, ok.output
    assert "read 1 rows: 1 posters, 0 rejected" in ok.output
    assert runner.invoke(cli, ["posters", "--out", str(tmp_path)]).exit_code == ExitStatus.ERROR
    assert runner.invoke(cli, ["posters", "--venue", "x", "--out", str(tmp_path)]).exit_code == ExitStatus.ERROR


def test_communities_with_the_same_file_name_keep_their_posters(tmp_path: Path) -> None:
    """a/b and a:b both made posters-campaign-a_b-001.pdf: one community's posters were
    overwritten while the run said "2 posters, 0 rejected"."""
    rows = [["市场一", "a/b", "", "市场", "", ""], ["市场二", "a:b", "", "市场", "", ""],
            ["市场三", "A区", "", "市场", "", ""], ["市场四", "a区", "", "市场", "", ""]]
    path = venues_file(tmp_path / "venues.xlsx", rows)
    result = run_posters(read_venues([path]), tmp_path / "out",
                         load_poster_template("campaign"))
    assert result.printed == 4 and len(result.pdfs) == 4
    assert len({p.name.casefold() for p in result.pdfs}) == 4  # distinct on any system
    assert sorted(p.name for p in (tmp_path / "out").glob("*.pdf")) == \
        sorted(p.name for p in result.pdfs)
    printed = [text(pdf) for pdf in result.pdfs]  # the campaign poster names the community
    for community in ("a/b", "a:b", "A区", "a区"):
        assert sum(f"· {community}" in page for page in printed) == 1, community


def test_campaign_posters_refuse_the_example_link_and_show_venue_and_address(
        tmp_path: Path) -> None:
    """The bundled campaign layout's link is a placeholder: refused unless --url gives the
    real one or --demo says it is a demonstration; the venue and its address are printed."""
    from pdfcheck import text as pdf_text

    from passgen.errors import TemplateError
    from passgen.intake.venues import OneVenue
    from passgen.jobs.posters import is_example, print_posters

    one = OneVenue("骏达市场", "西门社区", address="西门路12号")
    with pytest.raises(TemplateError) as info:
        print_posters([], tmp_path / "a", "campaign", one=one)
    assert "--url" in info.value.en and "示例链接" in info.value.zh
    real = print_posters([], tmp_path / "b", "campaign", one=one,
                         url="https://jkm.nanchong.gov.cn/apply")
    assert real.printed == 1
    words = pdf_text(real.pdfs[0])
    assert "骏达市场" in words and "西门路12号" in words
    assert print_posters([], tmp_path / "c", "campaign", one=one, demo=True).printed == 1
    assert print_posters([], tmp_path / "d", "checkpoint", one=one).printed == 1  # no QR
    assert is_example("https://example.gov.cn/x") and is_example("http://www.example.com")
    assert not is_example("https://jkm.nanchong.gov.cn/apply")


def test_posters_template_writes_a_venue_list_the_posters_command_reads(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from passgen.cli import cli
    from passgen.errors import ExitStatus

    runner = CliRunner()
    blank = tmp_path / "点位表.xlsx"
    made = runner.invoke(cli, ["posters", "template", str(blank)])
    assert made.exit_code == ExitStatus.OK and blank.exists(), made.output
    again = runner.invoke(cli, ["posters", "template", str(blank)])
    assert again.exit_code == ExitStatus.ERROR and "--force" in again.output
    book = load_workbook(blank)
    sheet = book.active
    assert [c.value for c in sheet[2]] == ["名称", "社区", "地址", "类型", "咨询电话", "二维码内容"]
    sheet.append(["骏达市场", "西门社区", "西门路12号", "农贸市场", "0817-2345678", None])
    book.save(blank)
    done = runner.invoke(cli, ["posters", str(blank), "--out", str(tmp_path / "p"), "--kind",
                               "checkpoint"])
    assert done.exit_code == ExitStatus.OK and "海报 1" in done.output, done.output
    no_out = runner.invoke(cli, ["posters", str(blank)])
    assert no_out.exit_code == ExitStatus.ERROR and "--out" in no_out.output


def test_a_poster_qr_is_an_https_link_and_one_elsewhere_than_url_is_said(
        tmp_path: Path) -> None:
    """Issue #36 finding 6: posters printed any per-row QR content (javascript:, data:,
    look-alike sites) with no notice, even when --url was given."""
    rows = [["好链接", "西门社区", "", "市场", "", "https://jkm.nanchong.gov.cn/apply"],
            ["脚本", "西门社区", "", "市场", "", "javascript:alert(1)"],
            ["数据", "西门社区", "", "市场", "", "data:text/html,<h1>x</h1>"],
            ["明文", "西门社区", "", "市场", "", "http://jkm.nanchong.gov.cn/apply"],
            ["冒充", "西门社区", "", "市场", "", "https://jkm-nanchong.cn/apply"],
            ["留空", "西门社区", "", "市场", "", ""]]
    path = venues_file(tmp_path / "venues.xlsx", rows)
    ran = CliRunner().invoke(cli, ["posters", str(path), "--out", str(tmp_path / "out"),
                                   "--url", "https://jkm.nanchong.gov.cn/apply"])
    assert ran.exit_code == ExitStatus.REJECTED_ROWS, ran.output  # as cards (#39 finding 10)
    for word in ("javascript:alert(1)", "data:text/html", "http://jkm.nanchong.gov.cn"):
        assert word in ran.output and "https://" in ran.output
    assert ran.output.count("只能是 https://") == 3
    assert "注意 notice" in ran.output and "jkm-nanchong.cn" in ran.output
    assert "读取 6 行：海报 3，未印制 3" in ran.output
    bad = CliRunner().invoke(cli, ["posters", str(path), "--out", str(tmp_path / "x"),
                                   "--url", "javascript:alert(1)"])
    assert bad.exit_code == ExitStatus.ERROR and "--url 只能是 https://" in bad.output


@pytest.mark.parametrize("url", ["https://真实的申领链接", "https://example.gov.cn/apply",
                                 "https://申领链接.gov.cn", "https://localhost/apply",
                                 "https://your-link.cn", "https://jkm.nanchong.123/x"])
def test_the_guide_s_placeholder_link_is_refused_as_it_promises(tmp_path: Path,
                                                                url: str) -> None:
    """Issue #39 finding 2: `--url https://真实的申领链接`, 指南's own example, exited 0 and
    every poster pointed at a dead link."""
    path = venues_file(tmp_path / "v.xlsx", [["骏达市场", "西门社区", "", "市场", "", ""]])
    ran = CliRunner().invoke(cli, ["posters", str(path), "--out", str(tmp_path / "o"),
                                   "--kind", "campaign", "--url", url])
    assert ran.exit_code == ExitStatus.ERROR and "示例链接" in ran.output, ran.output
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").glob("*.pdf"))
    real = CliRunner().invoke(cli, ["posters", str(path), "--out", str(tmp_path / "r"),
                                    "--kind", "campaign", "--url",
                                    "https://jkm.nanchong.gov.cn/apply"])
    assert real.exit_code == 0, real.output


def test_a_usage_error_names_the_missing_file_in_chinese(tmp_path: Path) -> None:
    """Issue #39 finding 10: a missing roster given by a full path said "ROSTERS 的值无效：
    文件或文件夹不存在" without the name."""
    missing = tmp_path / "桂花社区花名册.xlsx"
    ran = CliRunner().invoke(cli, ["roster", "check", str(missing), "--out", str(tmp_path)])
    first = ran.output.splitlines()[0]
    assert ran.exit_code == ExitStatus.ERROR and str(missing) in first
    assert "文件或文件夹不存在" in first and "does not exist" not in first
