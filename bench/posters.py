"""Benchmark: 7,000 campaign posters for 7,000 venues (the source's week of posters).

    .venv/bin/python bench/posters.py [N]

Generates N venues (default 7,000) in 70 communities, prints their campaign posters end to
end (spreadsheet in, PDFs and report out) in a child process, three times, and reports the
median time and peak RSS.  Target (issue #7): ≤ 60 s and ≤ 200 MB.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def generate(path: Path, n: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("点位")
    sheet.append(["名称", "社区", "地址", "类型", "咨询电话"])
    kinds = ["市场", "小区", "超市", "单位", "药店", "银行", "车站"]
    for i in range(n):
        sheet.append([f"第{i + 1}号{kinds[i % 7]}", f"第{i % 70 + 1}社区", f"滨江路{i}号",
                      kinds[i % 7], f"0817-{2000000 + i}"])
    book.save(path)


def measure(venues: str, out: str) -> None:
    import resource

    from passgen.intake.venues import read_venues
    from passgen.jobs.posters import run_posters
    from passgen.printing.posters import load_poster_template

    start = time.perf_counter()
    result = run_posters(read_venues([Path(venues)]), Path(out),
                         load_poster_template("campaign"))
    seconds = time.perf_counter() - start
    size = sum(p.stat().st_size for p in result.pdfs)
    print(json.dumps({"seconds": seconds, "posters": result.printed, "pdfs": len(result.pdfs),
                      "bytes": size,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    if len(sys.argv) > 3 and sys.argv[1] == "--measure":
        measure(sys.argv[2], sys.argv[3])
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 7000
    folder = Path(tempfile.mkdtemp())
    venues = folder / "venues.xlsx"
    generate(venues, n)
    runs = [json.loads(subprocess.run(
        [sys.executable, __file__, "--measure", str(venues), str(folder / f"out{i}")],
        capture_output=True, text=True, check=True).stdout) for i in range(3)]
    first = runs[0]
    print(f"venues: {n:,}; posters: {first['posters']:,} in {first['pdfs']} PDFs, "
          f"{first['bytes'] / first['posters'] / 1024:.1f} KB per poster")
    print(f"end to end: median {statistics.median(r['seconds'] for r in runs):.1f} s "
          f"(runs: {', '.join(format(r['seconds'], '.1f') for r in runs)}); "
          f"peak RSS median {statistics.median(r['rss_mb'] for r in runs):.0f} MB")


if __name__ == "__main__":
    main()
