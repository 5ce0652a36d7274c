"""Print-ready cards, measured from the PDF itself: geometry, duplex imposition, fonts,
black-and-white safety, photocopy robustness, determinism and atomic output."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as raw
import pytest
from helpers import AS_OF, REPO, TESTS, make_id, needs_posix, row, run_collecting, write_roster
from pdfcheck import decode, fonts, pages, text
from PIL import Image, ImageFilter

from passgen.check.verify import Verdict, verify
from passgen.files import safe_stem
from passgen.jobs.cards import PrintOptions, run_cards
from passgen.jobs.volumes import volume_name
from passgen.passes import keys
from passgen.printing.cards import OUTLINE_PT, outline_rect
from passgen.printing.layout import card_origins, load_template
from passgen.rules import load_rules

MM = 72 / 25.4
TEMPLATE = load_template()

ROWS = [row(姓名="王建国"),
        row(姓名="李秀英", 身份证号=make_id(dt.date(1948, 2, 3)), 症状="发热"),
        row(姓名="欧阳子涵", 身份证号=make_id(dt.date(2008, 9, 1)), 类别="学生",
            **{"14天内旅居地区": "武汉", "来南日期": "2020-03-20"}),
        row(姓名="赵一", 身份证号=make_id(dt.date(1955, 1, 1), 7), 人员状态="确诊",
            状态日期="2020-03-20"),
        row(姓名="钱二", 身份证号="123")]  # rejected
ROWS += [row(姓名=f"孙{'一二三四五六七八九十'[i % 10]}{'甲乙丙丁'[i // 10]}",
             身份证号=make_id(dt.date(1950, 1, 1) + dt.timedelta(days=37 * i), i))
         for i in range(8)]
EXPECTED = {"王建国": "green", "李秀英": "yellow", "欧阳子涵": "red", "赵一": "red"}


def hundred_rows() -> list[dict[str, Any]]:
    return [row(姓名=f"居民{'甲乙丙丁戊己庚辛壬癸'[i % 10]}{'子丑寅卯辰巳午未申酉'[i // 10]}",
                身份证号=make_id(dt.date(1940, 1, 1) + dt.timedelta(days=101 * i), i),
                症状="发热" if i % 7 == 0 else None) for i in range(100)]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, signing_key: keys.SigningKey) -> Any:
    folder = tmp_path_factory.mktemp("batch")
    roster = write_roster(folder / "roster.xlsx", ROWS)
    return run_collecting([roster], signing_key, folder / "out", load_rules(), TEMPLATE, AS_OF)


def page_objects(path: Path, index: int,
                 depth: int = 1) -> list[tuple[int, tuple[float, float, float, float]]]:
    """(type, bounds in points) of the objects of one page, down to ``depth`` levels."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        return [(obj.type, tuple(obj.get_bounds()))
                for obj in pdf[index].get_objects(max_depth=depth)]
    finally:
        pdf.close()


def text_in(path: Path, index: int, box: tuple[float, float, float, float]) -> str:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return pdf[index].get_textpage().get_text_bounded(*box)
    finally:
        pdf.close()


def slot_box(slot: int) -> tuple[float, float, float, float]:
    """A card slot as (left, bottom, right, top) in PDF points."""
    x, y = card_origins(TEMPLATE)[slot]
    w, h = TEMPLATE.card_mm
    page_h = TEMPLATE.page_mm[1]
    return x * MM, (page_h - y - h) * MM, (x + w) * MM, (page_h - y) * MM


def test_every_row_accounted_for(batch: Any) -> None:
    t = batch.totals
    assert (t.rows, t.cards, t.rejected) == (13, 12, 1)


def test_round_trip_fronts_decode_backs_carry_no_code(batch: Any, trust: keys.TrustList,
                                                      noon: dt.datetime) -> None:
    [pdf] = batch.pdfs
    assert pdf.name == "cards-桂花社区-001.pdf"
    images = pages(pdf, dpi=200)
    assert len(images) == 4  # front, back, front, back
    fronts = [t for image in images[0::2] for t in decode(image)]
    assert [decode(image) for image in images[1::2]] == [[], []]
    results = [verify(t, trust, noon) for t in fronts]
    assert len(results) == 12 and all(r.status == Verdict.VALID for r in results)
    by_name = {r.claims.name: r.claims.colour.english for r in results if r.claims}
    for name, colour in EXPECTED.items():
        assert by_name[name] == colour
    assert set(fronts) == {o.card.payload for o in batch.outcomes if o.card}


def test_fonts_embedded_and_chinese_text_present(batch: Any) -> None:
    [pdf] = batch.pdfs
    found = fonts(pdf)
    assert found and all(embedded for _, embedded in found), found
    content = text(pdf)
    for needle in ("王建国", "绿码", "黄码", "红码", "查验体温亮码通行", "检查体温、充分核验后方可通行",
                   "待转码后方可通行", "有效期至 2020-04-01", "桂花社区", "咨询电话 12345",
                   "2020-04-01 后作废", "使用说明"):
        assert needle in content, needle


def test_card_geometry_from_crop_marks(batch: Any) -> None:
    pdf = pdfium.PdfDocument(str(batch.pdfs[0]))
    try:  # the marks are one form per document, drawn first on each page, at the page origin
        page = pdf[0]
        crop = next(iter(page.get_objects(max_depth=1)))
        assert crop.type == raw.FPDF_PAGEOBJ_FORM
        paths = [tuple(o.get_bounds()) for o in page.get_objects(form=crop, max_depth=1)
                 if o.type == raw.FPDF_PAGEOBJ_PATH]
        paths += [b for kind, b in page_objects(batch.pdfs[0], 0)
                  if kind == raw.FPDF_PAGEOBJ_PATH]
        assert crop.get_matrix().get() == (1, 0, 0, 1, 0, 0)
    finally:
        pdf.close()
    page_w, page_h = (v * MM for v in TEMPLATE.page_mm)
    # crop marks are the short lines wholly outside the block of cards
    vertical = sorted({round((b[0] + b[2]) / 2, 2) for b in paths
                       if abs(b[2] - b[0]) < 1 and 3.5 * MM < b[3] - b[1] < 4.5 * MM})
    horizontal = sorted({round((b[1] + b[3]) / 2, 2) for b in paths
                         if abs(b[3] - b[1]) < 1 and 3.5 * MM < b[2] - b[0] < 4.5 * MM})
    assert len(vertical) == 4 and len(horizontal) == 10
    widths = {round((vertical[i + 1] - vertical[i]) / MM, 2) for i in (0, 2)}
    heights = {round((horizontal[i + 1] - horizontal[i]) / MM, 2) for i in range(0, 10, 2)}
    assert widths == {85.60} and heights == {53.98}
    # the block is centred and every mark keeps at least 10 mm... minus the mark itself
    left, right = vertical[0] / MM, (page_w - vertical[-1]) / MM
    top, bottom = (page_h - horizontal[-1]) / MM, horizontal[0] / MM
    assert min(left, right, top, bottom) >= 10 and abs(left - right) < 0.01
    assert abs(top - bottom) < 0.01
    for b in paths:  # nothing at all within 3 % of the page edge (printer scaling)
        if b[2] - b[0] < page_w:
            assert b[0] > 0.03 * page_w / 2 and b[2] < page_w * (1 - 0.03 / 2)


def test_qr_module_and_quiet_zone_from_the_pdf(batch: Any) -> None:
    from passgen.qr.encode import encode

    objects = page_objects(batch.pdfs[0], 0, depth=2)  # a page's codes are in one form
    first = next(o.card for o in batch.outcomes if o.card)
    modules = encode(first.payload).size
    left, bottom, right, top = slot_box(0)
    inside = [(k, b) for k, b in objects if b[0] >= left - 0.1 and b[2] <= right + 0.1
              and b[1] >= bottom - 0.1 and b[3] <= top + 0.1]
    qr = max((b for k, b in inside if k == raw.FPDF_PAGEOBJ_PATH),
             key=lambda b: (b[2] - b[0]) * (b[3] - b[1]) if (b[2] - b[0]) < 50 * MM else 0)
    size = qr[2] - qr[0]
    module_mm = size / modules / MM
    assert module_mm >= 0.75  # issue #19: margin for copiers and phones (0.6 the minimum)
    quiet = 4 * module_mm * MM
    zone = (qr[0] - quiet, qr[1] - quiet, qr[2] + quiet, qr[3] + quiet)
    assert zone[0] >= left and zone[2] <= right and zone[1] >= bottom and zone[3] <= top
    for kind, b in inside:
        if b == qr or kind != raw.FPDF_PAGEOBJ_TEXT:
            continue
        overlaps = b[0] < zone[2] and b[2] > zone[0] and b[1] < zone[3] and b[3] > zone[1]
        assert not overlaps, b


def test_backs_are_mirrored_for_long_edge_duplex(batch: Any) -> None:
    [pdf] = batch.pdfs
    for slot in range(10):
        front = text_in(pdf, 0, slot_box(slot))
        serial = front.split("编号 ")[1].split()[0]
        row_, column = divmod(slot, 2)
        mirrored = row_ * 2 + (1 - column)
        assert serial in text_in(pdf, 1, slot_box(mirrored)), slot
        assert serial not in text_in(pdf, 1, slot_box(slot))


def test_simplex_prints_fronts_only(tmp_path: Path, signing_key: keys.SigningKey) -> None:
    roster = write_roster(tmp_path / "r.xlsx", ROWS)
    result = run_cards([roster], signing_key, tmp_path / "out", load_rules(),
                       PrintOptions(TEMPLATE, duplex=False, hotline="0817-1234567"), AS_OF)
    assert len(pages(result.pdfs[0], dpi=50)) == 2


def test_volumes_per_community_and_size(tmp_path: Path, signing_key: keys.SigningKey) -> None:
    rows = [row(姓名=f"甲{i}", 身份证号=make_id(dt.date(1950, 1, 1), i),
                社区="西门社区" if i % 3 else "东门社区") for i in range(30)]
    roster = write_roster(tmp_path / "r.xlsx", rows)
    result = run_collecting([roster], signing_key, tmp_path / "out", load_rules(),
                            PrintOptions(TEMPLATE, sheets_per_volume=1), AS_OF)
    names = [p.name for p in result.pdfs]
    assert names == ["cards-东门社区-001.pdf", "cards-西门社区-001.pdf", "cards-西门社区-002.pdf"]
    assert volume_name(safe_stem("a/b:c"), 7) == "cards-a_b_c-007.pdf"
    assert [len(decode(pages(p, dpi=150)[0])) for p in result.pdfs] == [10, 10, 10]


def test_communities_whose_file_names_clash_get_their_own_volumes(
        tmp_path: Path, signing_key: keys.SigningKey) -> None:
    """a/b and a:b make the same safe name, A区 and a区 the same file where case is ignored:
    each community still gets its own volume, with exactly its own cards."""
    names = ["a/b", "a:b", "A区", "a区"]
    rows = [row(姓名=f"甲{i}", 身份证号=make_id(dt.date(1950, 1, 1), i), 社区=names[i % 4])
            for i in range(8)]
    roster = write_roster(tmp_path / "r.xlsx", rows)
    result = run_cards([roster], signing_key, tmp_path / "out", load_rules(),
                       PrintOptions(TEMPLATE), AS_OF)
    files = [p.name for p in result.pdfs]
    assert len({f.casefold() for f in files}) == 4, files
    assert files[0] == "cards-a_b-001.pdf" and files[2] == "cards-A区-001.pdf"
    assert files[1].startswith("cards-a_b-") and files[3].startswith("cards-a区-")
    for pdf, community in zip(result.pdfs, names, strict=True):
        assert community in text(pdf)
        assert len(decode(pages(pdf, dpi=150)[0])) == 2


def photocopy(image: Image.Image, seed: int) -> Image.Image:
    """Contrast squeezed into 60..200, Gaussian noise (σ 12), a slight blur."""
    rng = np.random.default_rng(seed)
    a = np.asarray(image, dtype=float) * (140 / 255) + 60
    a += rng.normal(0, 12, a.shape)
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    return out.filter(ImageFilter.GaussianBlur(0.7))


@pytest.mark.parametrize("dpi", [150, 200])
def test_photocopied_batch_of_100_decodes(tmp_path_factory: pytest.TempPathFactory,
                                          signing_key: keys.SigningKey, trust: keys.TrustList,
                                          noon: dt.datetime, dpi: int) -> None:
    folder = tmp_path_factory.mktemp(f"copy{dpi}")
    roster = write_roster(folder / "r.xlsx", hundred_rows())
    result = run_cards([roster], signing_key, folder / "out", load_rules(),
                       PrintOptions(TEMPLATE, duplex=False), AS_OF)
    assert result.totals.cards == 100
    found: set[str] = set()
    for index, image in enumerate(pages(result.pdfs[0], dpi=dpi)):
        found.update(decode(photocopy(image, index)))
    valid = [t for t in found if verify(t, trust, noon).status == Verdict.VALID]
    assert len(valid) >= 99, f"{len(valid)}/100 at {dpi} dpi"


def test_same_inputs_give_identical_pdfs(batch: Any, tmp_path: Path,
                                         signing_key: keys.SigningKey) -> None:
    roster = write_roster(tmp_path / "roster.xlsx", ROWS)
    again = run_cards([roster], signing_key, tmp_path / "out", load_rules(), TEMPLATE, AS_OF)
    assert again.pdfs[0].read_bytes() == batch.pdfs[0].read_bytes()


KILL_SCRIPT = """
import datetime as dt, sys
sys.path.insert(0, {tests!r})
from helpers import fixed_key
from pathlib import Path
from passgen.jobs.cards import PrintOptions, run_cards
from passgen.printing.layout import load_template
from passgen.rules import load_rules
seen = 0
def pause_at_the_mark(outcome):
    # the event the test waits for: this row is decided, then the batch stops until killed
    global seen
    seen += 1
    if seen == {mark}:
        print("MARK", flush=True)
        sys.stdin.readline()
run_cards([Path({roster!r})], fixed_key(), Path({out!r}), load_rules(),
          PrintOptions(load_template(), sheets_per_volume=2, jobs={jobs}), dt.date(2020, 3, 25),
          on_outcome=pause_at_the_mark)
"""


@pytest.mark.parametrize("mark, jobs", [(30, 1), (330, 2)])
def test_killed_batch_leaves_no_partial_pdf(tmp_path: Path, mark: int, jobs: int) -> None:
    """Killed mid-batch (at a row the batch itself announces: no guessed sleep), every PDF
    under a final name is complete and the report is not there."""
    rows = [row(姓名=f"甲{i}", 身份证号=make_id(dt.date(1940, 1, 1) + dt.timedelta(days=i), i))
            for i in range(400)]
    roster = write_roster(tmp_path / "r.xlsx", rows)
    out = tmp_path / "out"
    script = KILL_SCRIPT.format(tests=str(TESTS), roster=str(roster), out=str(out), mark=mark,
                                jobs=jobs)
    # run from tmp_path so that the installed passgen is imported, not the source folder
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path, env={**os.environ},
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # blocks until the batch reaches the mark (or ends)
    assert line == b"MARK\n", (proc.wait(), proc.stderr.read() if proc.stderr else b"")
    assert proc.poll() is None
    os.killpg(proc.pid, signal.SIGKILL)  # a power cut: the batch and its workers at once
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    finals = sorted(out.glob("cards-*.pdf"))
    assert len(finals) == mark // 20  # every volume full by the mark, and none after it
    for pdf in finals:
        data = pdf.read_bytes()
        assert data.rstrip().endswith(b"%%EOF"), pdf.name
        document = pdfium.PdfDocument(str(pdf))
        assert len(document) == 4, pdf.name  # 2 sheets: fronts and backs
        document.close()
    assert not (out / "report.xlsx").exists()  # the report comes last, after every volume


def test_worked_example_template_prints(tmp_path: Path, signing_key: keys.SigningKey) -> None:
    example = load_template("example-office")
    assert example.hotline == "0817-2345678"
    roster = write_roster(tmp_path / "r.xlsx", ROWS[:2])
    result = run_cards([roster], signing_key, tmp_path / "out", load_rules(), example, AS_OF)
    content = text(result.pdfs[0])
    assert "顺庆区西城街道 桂花社区 · 居民出行卡" in content and "0817-2345678" in content
    assert "西门社区服务中心" in content
    assert len(decode(pages(result.pdfs[0])[0])) == 2


def test_docs_list_every_placeholder() -> None:
    from passgen.printing.layout import PLACEHOLDERS

    doc = (REPO / "docs" / "templates.md").read_text(encoding="utf-8")
    for name in PLACEHOLDERS:
        assert "{" + name + "}" in doc, name


def many_rows(n: int) -> list[dict[str, Any]]:
    """Rows of two communities, interleaved, each with a distinct resident."""
    return [row(姓名=f"甲{i}", 身份证号=make_id(dt.date(1950, 1, 1) + dt.timedelta(days=i), i),
                社区="西门社区" if i % 3 else "东门社区") for i in range(n)]


def test_jobs_do_not_change_the_output(tmp_path: Path, signing_key: keys.SigningKey) -> None:
    # volumes of 70 cards: 西门 fills one mid-roster and ends with 17, 东门 has 43; the
    # workers get 60 codes a task, so both whole and partial tasks are exercised
    roster = write_roster(tmp_path / "r.xlsx", many_rows(130))
    runs = [run_cards([roster], signing_key, tmp_path / f"jobs{jobs}", load_rules(),
                      PrintOptions(TEMPLATE, sheets_per_volume=7, jobs=jobs), AS_OF)
            for jobs in (1, 2, 3)]
    names = [[p.name for p in r.pdfs] for r in runs]
    assert names[0] == ["cards-东门社区-001.pdf", "cards-西门社区-001.pdf",
                        "cards-西门社区-002.pdf"] and names[1] == names[2] == names[0]
    first = [p.read_bytes() for p in runs[0].pdfs]
    assert all([p.read_bytes() for p in r.pdfs] == first for r in runs[1:])
    assert len(decode(pages(runs[0].pdfs[1], dpi=150)[0])) == 10


def test_a_full_volume_is_written_before_the_roster_ends(tmp_path: Path,
                                                         signing_key: keys.SigningKey) -> None:
    """Volumes are written as they fill: memory follows the volume size, not the roster."""
    roster = write_roster(tmp_path / "r.xlsx", many_rows(40))
    out = tmp_path / "out"
    seen: list[tuple[int, bool]] = []

    def look(outcome: Any) -> None:  # called as each row is decided, in roster order
        seen.append((outcome.where.row, (out / "cards-西门社区-001.pdf").exists()))

    result = run_cards([roster], signing_key, out, load_rules(),
                       PrintOptions(TEMPLATE, sheets_per_volume=1, jobs=2), AS_OF,
                       on_outcome=look)
    # 西门 has rows i % 3 != 0; its 10th card is row index 14 (Excel row 16)
    assert [r for r, exists in seen if exists][0] == 16
    assert len(seen) == 40 and result.totals.cards == 40
    assert len(result.pdfs) == 5  # 西门 27 cards: 3 volumes; 东门 13: 2


def test_progress_counts_every_row(tmp_path: Path, signing_key: keys.SigningKey) -> None:
    roster = write_roster(tmp_path / "r.xlsx", many_rows(12) + [row(身份证号="bad")])
    calls: list[tuple[str, object]] = []

    class Recorder:
        def start(self, label: str, total: int | None) -> None:
            calls.append(("start", total))

        def advance(self, n: int) -> None:
            calls.append(("advance", n))

        def finish(self) -> None:
            calls.append(("finish", None))

    result = run_cards([roster], signing_key, tmp_path / "out", load_rules(), TEMPLATE, AS_OF,
                       progress=Recorder())
    assert calls[0] == ("start", 13) and calls[-1] == ("finish", None)  # 13: the dimension
    assert sum(n for kind, n in calls if kind == "advance") == 13  # type: ignore[misc]
    assert result.totals.rows == 13 and [o.where.row for o in result.rejected] == [14]


@needs_posix("compares forked workers with spawned ones: Windows has no fork")
def test_without_fork_workers_are_spawned_and_the_files_are_the_same(
        tmp_path: Path, signing_key: keys.SigningKey, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows has no fork (and macOS should not fork): the workers and the report process
    are spawned instead, and the files are byte for byte those of forked workers."""
    import multiprocessing

    from passgen.jobs import parallel

    roster = write_roster(tmp_path / "r.xlsx", many_rows(25))
    assert parallel.start_method() == "fork"  # Linux
    forked = run_cards([roster], signing_key, tmp_path / "fork", load_rules(),
                       PrintOptions(TEMPLATE, jobs=2), AS_OF)
    real = multiprocessing.get_context
    used: list[str | None] = []

    def no_fork(method: str | None = None) -> Any:  # what Windows answers
        used.append(method)
        if method == "fork":
            raise ValueError(f"cannot find context for {method!r}")
        return real(method)

    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    monkeypatch.setattr(multiprocessing, "get_context", no_fork)
    spawned = run_cards([roster], signing_key, tmp_path / "spawn", load_rules(),
                        PrintOptions(TEMPLATE, jobs=2), AS_OF)
    assert used and set(used) == {"spawn"}
    assert [p.read_bytes() for p in spawned.pdfs] == [p.read_bytes() for p in forked.pdfs]
    assert spawned.report.exists() and spawned.totals == forked.totals


def test_macos_spawns_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python documents fork as unsafe on macOS, though the system has it."""
    import sys

    from passgen.jobs import parallel

    monkeypatch.setattr(sys, "platform", "darwin")
    assert parallel.start_method() == "spawn"


def test_path_operators_cover_exactly_the_dark_modules() -> None:
    from passgen.printing.pdf import run_operators
    from passgen.qr.encode import encode

    for payload in ("PG1:HELLO", "PG1:" + "A1" * 120, "hello, world"):
        matrix = encode(payload)
        ops = run_operators(matrix.modules).split()
        assert ops[-1] == "f"
        runs = [tuple(map(int, ops[i:i + 3])) for i in range(0, len(ops) - 1, 5)]
        covered = {(row, col + i) for col, row, length in runs for i in range(length)}
        assert covered == {(r, c) for r, line in enumerate(matrix.rows)
                           for c, v in enumerate(line) if v}


def test_the_cut_guide_lies_wholly_inside_the_card() -> None:
    """The card's form clips at its edge: a stroke centred on the edge kept half its width."""
    x, y, w, h = outline_rect(TEMPLATE.card_mm)
    half = OUTLINE_PT / 2
    assert x - half >= 0 and y - half >= 0
    assert x + w + half <= TEMPLATE.card_mm[0] * MM + 1e-9
    assert y + h + half <= TEMPLATE.card_mm[1] * MM + 1e-9
    assert x - half < 0.01 and y - half < 0.01  # and still on the edge, where cutting goes


def test_every_card_on_a_part_filled_sheet_has_its_whole_frame(batch: Any) -> None:
    """Each edge of each card on the last, part-filled sheet carries its line."""
    [pdf] = batch.pdfs
    dpi = 300
    page = np.asarray(pages(pdf, dpi=dpi)[2], dtype=float)  # the second front: 2 cards
    px = dpi / 25.4
    w, h = TEMPLATE.card_mm
    for slot in (0, 1):
        x, y = card_origins(TEMPLATE)[slot]
        xs = slice(round((x + 10) * px), round((x + w - 2) * px))
        ys = slice(round((y + 10) * px), round((y + h - 10) * px))
        edges = {"top": page[round(y * px) - 2:round(y * px) + 3, xs].mean(axis=1),
                 "bottom": page[round((y + h) * px) - 3:round((y + h) * px) + 2, xs].mean(axis=1),
                 "right": page[ys, round((x + w) * px) - 3:round((x + w) * px) + 2].mean(axis=0)}
        for edge, profile in edges.items():
            assert profile.min() < 200, (slot, edge, profile)  # a grey line along it


def speckled_copy(image: Image.Image, noise: float, seed: int) -> Image.Image:
    """A 1-bit photocopy: threshold at 50 %, then ``noise`` of the pixels flipped."""
    bits = np.asarray(image) >= 128
    flips = np.random.default_rng(seed).random(bits.shape) < noise
    return Image.fromarray(np.where(bits ^ flips, 255, 0).astype(np.uint8))


def test_a_speckled_photocopy_is_read_whole_by_verify(batch: Any, tmp_path: Path,
                                                       trust: keys.TrustList,
                                                       noon: dt.datetime) -> None:
    """150 dpi bilevel copy with 1 % of its pixels flipped: zxing-cpp alone misses cards,
    ``passgen verify`` (which also reads a despeckled copy of a photo) misses none."""
    from passgen.check import scan

    [pdf] = batch.pdfs
    found_raw, found = set(), set()
    for index, page in enumerate(pages(pdf, dpi=150)[::2]):  # the fronts
        copy = speckled_copy(page, 0.01, index)
        path = tmp_path / f"copy{index}.png"
        copy.save(path)
        found_raw |= {f.text for f in scan.decode_image(copy, "raw") if f.text}
        found |= {f.text for f in scan.from_path(path) if f.text}
    valid = {t for t in found if verify(t, trust, noon).status == Verdict.VALID}
    assert len(valid) == batch.totals.cards == 12
    assert found_raw < found  # the despeckled reading is what found the rest


def test_every_pdf_presets_actual_size_and_card_sheets_long_edge_duplex(tmp_path: Path) -> None:
    """Issue #39 finding 9: "fit to page" printed cards at about 96 %, and duplex had to be set
    by hand: the PDFs carry viewer preferences a print dialogue starts from."""
    import pypdfium2.raw as raw

    from passgen.printing.cards import CardSheetWriter
    from passgen.printing.layout import load_template

    def preferences(path: Path) -> tuple[int, int]:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(path))
        try:
            return (raw.FPDF_VIEWERREF_GetPrintScaling(pdf.raw),
                    raw.FPDF_VIEWERREF_GetDuplex(pdf.raw))
        finally:
            pdf.close()

    for duplex, expected in ((True, raw.DuplexFlipLongEdge), (False, raw.Simplex)):
        path = tmp_path / f"{duplex}.pdf"
        writer = CardSheetWriter(path, load_template(), duplex=duplex)
        writer.close()
        assert preferences(path) == (0, expected)  # 0: no scaling
