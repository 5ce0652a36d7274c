"""The desk's 花名册检查 and 列对应 screens: the per-row report as a table (the wording of
report.xlsx), re-checked after the clerk fixes the file; and, when a sheet's header is in
the office's own words, a step mapping each of its headers to passgen's column or 不使用,
remembered for the office in ``列对应.json`` (what ``--columns`` reads) and named in the
report.  Thin calls of ``check_rosters`` and ``survey_headers``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from passgen.dates import today
from passgen.desk.uploads import (
    BAD_DATE,
    NO_ROSTER,
    form_date,
    read_form,
    save_uploads,
    work_folder,
)
from passgen.errors import PassgenError
from passgen.intake.columns import COLUMNS, HEADER_OF
from passgen.intake.mapping import (
    NOT_USED_WORD,
    ColumnMap,
    column_map,
    column_map_json,
    load_column_map,
    survey_headers,
)

MAPPING = "列对应.json"  # the office's column mapping, beside the desk's settings
FORGET = "（忘掉这一条）"
CHOICES = [NOT_USED_WORD, *(c.headers[0] for c in COLUMNS)]


def load_mapping(folder: Path) -> ColumnMap:
    try:
        return load_column_map(folder / MAPPING)
    except PassgenError:
        return ()


def save_mapping(folder: Path, columns: ColumnMap) -> None:
    from passgen.files import atomic_write

    text = column_map_json(columns)
    atomic_write(folder / MAPPING, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def routes(desk: Any, page: Callable[..., Response]) -> dict[str, Callable[[Request],
                                                                           Awaitable[Response]]]:
    checked: dict[str, tuple[list[Path], dt.date]] = {}  # a check's files, for 列对应

    def shown(problem: str = "", as_of: dt.date | None = None) -> Response:
        return page(desk, "roster.html", rows=None, as_of=(as_of or today()).isoformat(),
                    problem=problem)

    async def check(paths: list[Path], as_of: dt.date, key: str) -> Response:
        rows: list[dict[str, Any]] = []
        work = paths[0].parent.parent
        out = work / f"report-{sum(1 for _ in work.glob('report-*')) + 1}"  # one per check
        try:  # in a worker thread: a long roster never holds the desk (退出 still answers)
            result, headers = await run_in_threadpool(_checked, paths, out, as_of, desk.columns,
                                                      rows)
        except PassgenError as exc:
            return shown(f"{exc.zh} / {exc.en}", as_of)
        to_map = [{"file": h.file, "sheet": h.sheet, "row": h.row, "missing": h.missing,
                   "unread": [t for t, field in h.columns if field is None],
                   "named": {HEADER_OF[f] for _, f in h.columns if f}}  # not offered twice
                  for h in headers if h.missing or any(f is None for _, f in h.columns)]
        return page(desk, "roster.html", rows=rows, as_of=as_of.isoformat(),
                    totals=result.totals.line(checking=True),
                    notices=[n.message for n in result.notices], to_map=to_map,
                    choices=CHOICES, check=key, report=desk.offer(result.report),
                    names=[p.name for p in paths], mapped=len(desk.columns))

    async def form(request: Request) -> Response:
        return shown()

    async def start(request: Request) -> Response:
        values, uploads = await read_form(request, "rosters", desk.guard.max_bytes)
        as_of = form_date(values, "as_of", today())
        if as_of is None:
            return shown(BAD_DATE)
        if not uploads:
            return shown(NO_ROSTER, as_of)
        work = work_folder(desk.folder, "check")
        paths = await save_uploads(uploads, work / "rosters")
        checked[work.name] = (paths, as_of)
        return await check(paths, as_of, work.name)

    async def columns_form(request: Request) -> Response:
        return page(desk, "columns.html", mapping=_listed(desk.columns), choices=CHOICES,
                    forget=FORGET)

    async def columns_save(request: Request) -> Response:
        values = await request.form()
        chosen = {text: HEADER_OF[field] if field else NOT_USED_WORD
                  for text, field in desk.columns}
        n = 0
        while f"header-{n}" in values:
            text, meant = str(values[f"header-{n}"]), str(values.get(f"map-{n}", ""))
            n += 1
            if meant == FORGET:
                chosen.pop(text, None)
            elif meant:
                chosen[text] = meant
        try:
            columns = column_map(chosen)
        except PassgenError as exc:
            return page(desk, "columns.html", mapping=_listed(desk.columns), choices=CHOICES,
                        forget=FORGET, problem=f"{exc.zh} / {exc.en}")
        desk.columns = columns
        save_mapping(desk.folder, columns)
        again = checked.get(str(values.get("check", "")))
        if again is not None:  # from a check: the same files, read through the new mapping
            return await check(*again, str(values["check"]))
        return page(desk, "columns.html", mapping=_listed(columns), choices=CHOICES,
                    forget=FORGET, done=f"已保存 {len(columns)} 条列对应 / saved")

    return {"roster_form": form, "roster_check": start, "columns_form": columns_form,
            "columns_save": columns_save}


def _checked(paths: list[Path], out: Path, as_of: dt.date, columns: ColumnMap,
             rows: list[dict[str, Any]]) -> tuple[Any, list[Any]]:
    """``check_rosters``, the rejected rows into ``rows``; then the headers of the files
    whose header the check named, for 列对应."""
    from passgen.jobs.cards import check_rosters

    result = check_rosters(paths, out, None, as_of, columns=columns,
                           on_outcome=lambda o: rows.append(_row(o)) if o.error else None)
    mappable = {n.file for n in result.notices if n.header}  # the others read well
    return result, survey_headers([p for p in paths if p.name in mappable], columns)


def _listed(columns: ColumnMap) -> list[tuple[str, str]]:
    return [(text, HEADER_OF[field] if field else NOT_USED_WORD) for text, field in columns]


def _row(outcome: Any) -> dict[str, Any]:
    """One rejected row as the report shows it."""
    e = outcome.error
    return {"file": e.where.file, "sheet": e.where.sheet, "row": e.where.row,
            "column": e.where.column, "value": e.value, "zh": e.zh, "en": e.en}
