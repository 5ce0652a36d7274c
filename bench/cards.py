"""Benchmark: the real `cards` pipeline against the naive one, in the same run.

    .venv/bin/python bench/cards.py [N] [--jobs J] [--no-naive] [--no-one]

Generates a roster of N synthetic residents (default 10,000), then in child processes:
  * passgen:  run_cards end to end (read, rules, sign, QR, draw, report), --jobs 1 and J
  * naive:    the same residents read, assessed and signed the same way, then the qrcode
              package with automatic masking and one reportlab rectangle per dark module,
              one card after another (the obvious pipeline)
Prints cards/s for each, the ratios, PDF bytes per card and peak RSS.  Targets (issue #10):
≥ 20× naive, --jobs 2 ≥ 1.7× --jobs 1, ≤ 200 MB peak for 100,000 residents, ≤ 2.5 KB per
card plus one font subset per PDF.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic import make_id

AS_OF = dt.date(2020, 3, 25)
SEED = bytes(range(32))


def generate(path: Path, n: int) -> None:
    from openpyxl import Workbook

    from passgen.intake.columns import COLUMNS

    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append([c.headers[0] for c in COLUMNS])
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "秀英建国桂兰志强明华丽娟海燕子涵雨欣"
    for i in range(n):
        name = surnames[i % 20] + given[(i * 7) % 16] + given[(i * 3) % 16]
        sheet.append([name, make_id(i), "", f"第{i % 5 + 1}社区", "", "", "", "",
                      "成都" if i % 10 == 0 else "", AS_OF - dt.timedelta(days=3)
                      if i % 10 == 0 else None, "", None, "发热" if i % 17 == 0 else "",
                      "正常", None, "否", "否", None, "", "", ""])
    book.save(path)


def key():  # type: ignore[no-untyped-def]
    from passgen.passes import keys

    return keys.generate("NC-XM-01", dt.date(2020, 1, 1), dt.date(2020, 12, 31), SEED)


def run_passgen(roster: str, out: str, jobs: int) -> dict[str, float]:
    from passgen.jobs.cards import PrintOptions, run_cards
    from passgen.printing.layout import load_template
    from passgen.rules import load_rules

    start = time.perf_counter()
    result = run_cards([Path(roster)], key(), Path(out), load_rules(),
                       PrintOptions(load_template(), jobs=jobs), AS_OF)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "cards": result.totals.cards,
            "bytes": sum(p.stat().st_size for p in result.pdfs), "pdfs": len(result.pdfs)}


def run_naive(roster: str, out: str) -> dict[str, float]:
    """The obvious pipeline: same intake and signing, then qrcode + a rect per module."""
    import qrcode
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    from passgen import fonts
    from passgen.intake.roster import RowContext
    from passgen.jobs.cards import assess_rows
    from passgen.rules import load_rules

    start = time.perf_counter()
    outcomes = assess_rows([Path(roster)], RowContext(AS_OF), load_rules(), key(), 7)
    font = fonts.register()
    canvas = Canvas(str(Path(out) / "naive.pdf"), pagesize=(210 * mm, 297 * mm))
    count = 0
    for o in outcomes:
        if o.card is None:
            continue
        slot = count % 10
        x = (16 + (slot % 2) * 91.6) * mm
        y = (297 - 11 - (slot // 2 + 1) * 55.5) * mm
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
        code.add_data(o.card.payload)
        code.make(fit=True)
        matrix = code.get_matrix()
        module = 37.5 * mm / len(matrix)
        canvas.setFont(font, 16)
        canvas.drawString(x + 7 * mm, y + 40 * mm, o.card.claims.name)
        canvas.setFont(font, 20)
        canvas.drawString(x + 7 * mm, y + 20 * mm, o.card.claims.colour.word)
        for r, line in enumerate(matrix):
            for c, dark in enumerate(line):
                if dark:
                    canvas.rect(x + 46.6 * mm + c * module, y + 45 * mm - (r + 1) * module,
                                module, module, stroke=0, fill=1)
        count += 1
        if count % 10 == 0:
            canvas.showPage()
    canvas.save()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "cards": count,
            "bytes": (Path(out) / "naive.pdf").stat().st_size, "pdfs": 1}


def child(kind: str, roster: str, out: str, jobs: int) -> None:
    import resource

    os.makedirs(out, exist_ok=True)
    result = run_naive(roster, out) if kind == "naive" else run_passgen(roster, out, jobs)
    me, kids = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                    resource.RUSAGE_CHILDREN))
    result["rss_mb"] = me.ru_maxrss / 1024
    result["workers_rss_mb"] = kids.ru_maxrss / 1024
    result["main_cpu"] = me.ru_utime + me.ru_stime
    result["workers_cpu"] = kids.ru_utime + kids.ru_stime
    print(json.dumps(result))


def measure(kind: str, roster: Path, folder: Path, jobs: int = 1) -> dict[str, float]:
    out = folder / f"{kind}-{jobs}-{time.monotonic_ns()}"
    done = subprocess.run([sys.executable, __file__, "--child", kind, str(roster), str(out),
                           str(jobs)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
        return
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 10_000
    jobs = int(sys.argv[sys.argv.index("--jobs") + 1]) if "--jobs" in sys.argv else 2
    folder = Path(tempfile.mkdtemp())
    roster = folder / "roster.xlsx"
    generate(roster, n)
    many = measure("passgen", roster, folder, jobs)
    one = measure("passgen", roster, folder, 1) if "--no-one" not in sys.argv else many
    naive = measure("naive", roster, folder) if "--no-naive" not in sys.argv else None
    rate = {k: r["cards"] / r["seconds"] for k, r in (("one", one), ("many", many))}
    print(f"residents: {n:,}; cards: {int(one['cards']):,} in {int(one['pdfs'])} PDFs")
    if one is not many:
        print(f"passgen --jobs 1: {rate['one']:,.0f} cards/s ({one['seconds']:.1f} s), "
              f"peak RSS {one['rss_mb']:.0f} MB, {one['bytes'] / one['cards'] / 1024:.2f} "
              "KB/card")
    print(f"passgen --jobs {jobs}: {rate['many']:,.0f} cards/s ({many['seconds']:.1f} s), "
          f"peak RSS {many['rss_mb']:.0f} MB main process, {many['workers_rss_mb']:.0f} MB "
          f"largest worker, {many['bytes'] / many['cards'] / 1024:.2f} KB/card"
          + (f"; ×{rate['many'] / rate['one']:.2f} over --jobs 1" if one is not many else ""))
    cpu = many["main_cpu"] + many["workers_cpu"]
    print(f"  CPU per card: main process {many['main_cpu'] / many['cards'] * 1e3:.2f} ms, "
          f"workers and report process {many['workers_cpu'] / many['cards'] * 1e3:.2f} ms; "
          f"{cpu / many['seconds']:.2f} cores busy on average"
          + (f"; --jobs 1 used {one['main_cpu'] / one['cards'] * 1e3:.2f} ms" if one is not many
             else ""))
    if naive:
        naive_rate = naive["cards"] / naive["seconds"]
        print(f"naive: {naive_rate:,.0f} cards/s ({naive['seconds']:.1f} s), peak RSS "
              f"{naive['rss_mb']:.0f} MB, {naive['bytes'] / naive['cards'] / 1024:.2f} KB/card")
        print(f"ratio: passgen --jobs {jobs} = ×{rate['many'] / naive_rate:.1f} naive, "
              f"--jobs 1 = ×{rate['one'] / naive_rate:.1f}")


if __name__ == "__main__":
    main()
