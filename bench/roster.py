"""Benchmark: read and validate a 100,000-row roster.

    .venv/bin/python bench/roster.py [ROWS] [xlsx|csv]

Generates (once, cached under /tmp) a roster of ROWS residents (default 100,000) with all 21
columns, then in a fresh process per run reads every row into Resident / RowError (no rules,
no cards), five times, printing the median time and the peak RSS.  Target (issue #3): ≤ 2 s
and ≤ 200 MB on this machine.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from synthetic import make_id


def generate(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    from passgen.roster import COLUMNS

    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append([c.headers[0] for c in COLUMNS])
    for i in range(rows):
        travel = i % 10 == 0
        sheet.append([f"居民{i % 997}", make_id(i), "", "桂花社区", f"桂花路{i % 99}号",
                      f"139{i:08d}", "", "", "成都" if travel else "",
                      dt.date(2020, 3, 20) if travel else None, "", None,
                      "发热" if i % 37 == 0 else "", "正常", None, "否", "否", None, "", "", ""])
    book.save(path)


def measure(path: str) -> None:
    """Run in a child process: read every row, print seconds and peak RSS as JSON."""
    import resource
    import time

    from passgen.roster import RowContext, read_rosters

    start = time.perf_counter()
    counts = {"residents": 0, "errors": 0}
    for outcome in read_rosters([Path(path)], RowContext(dt.date(2020, 3, 25))):
        counts["residents" if hasattr(outcome, "id_number") else "errors"] += 1
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": rss, **counts}))


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        measure(sys.argv[2])
        return
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    kind = sys.argv[2] if len(sys.argv) > 2 else "xlsx"
    path = Path(tempfile.gettempdir()) / f"passgen-bench-roster-{rows}.{kind}"
    if not path.exists():
        xlsx = path.with_suffix(".xlsx")
        if not xlsx.exists():
            generate(xlsx, rows)
        if kind == "csv":
            import python_calamine

            sheet = python_calamine.CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0)
            import csv

            with path.open("w", encoding="gb18030", newline="") as fh:
                csv.writer(fh).writerows(sheet.to_python())
    runs = [json.loads(subprocess.run([sys.executable, __file__, "--measure", str(path)],
                                      capture_output=True, text=True, check=True).stdout)
            for _ in range(5)]
    seconds = statistics.median(r["seconds"] for r in runs)
    rss = statistics.median(r["rss_mb"] for r in runs)
    print(f"roster: {rows:,} rows, {path.suffix}, {path.stat().st_size / 1e6:.1f} MB "
          f"({runs[0]['residents']:,} residents, {runs[0]['errors']:,} rejected)")
    print(f"read + validate: median {seconds:.2f} s "
          f"(runs: {', '.join(format(r['seconds'], '.2f') for r in runs)}), "
          f"{rows / seconds:,.0f} rows/s; peak RSS median {rss:.0f} MB")


if __name__ == "__main__":
    main()
