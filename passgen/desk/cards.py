"""The desk's 印卡 screen: rosters in, the batch run as ``passgen cards`` runs it (in a
thread of the desk, with a progress bar the page shows), then the PDFs, the report and how
to print them; and the printer test sheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from passgen.dates import today
from passgen.desk.uploads import (
    BAD_DATE,
    NO_ROSTER,
    NOT_READY,
    form_date,
    read_form,
    save_uploads,
    work_folder,
)
from passgen.desk.work import Job, Jobs


def routes(desk: Any, page: Callable[..., Response]) -> dict[str, Callable[[Request],
                                                                           Awaitable[Response]]]:
    jobs = Jobs()

    async def form(request: Request) -> Response:
        return page(desk, "cards.html", ready=desk.office.ready(), as_of=today().isoformat(),
                    job=None)

    async def start(request: Request) -> Response:
        values, uploads = await read_form(request, "rosters", desk.guard.max_bytes)
        as_of = form_date(values, "as_of", today())
        problem = (NOT_READY if not desk.office.ready() else NO_ROSTER if not uploads
                   else BAD_DATE if as_of is None else "")
        if problem or as_of is None:
            return page(desk, "cards.html", ready=desk.office.ready(),
                        as_of=today().isoformat(), job=None, problem=problem)
        work = work_folder(desk.folder, "cards")
        paths = await save_uploads(uploads, work / "rosters")
        key = jobs.start(lambda job: _run(desk, job, paths, work / "out", as_of), "制卡中断")
        return RedirectResponse(f"/cards/{key}", status_code=303)

    async def status(request: Request) -> Response:
        job = jobs.get(request.path_params["key"])
        if job is None:
            return RedirectResponse("/cards", status_code=303)
        return page(desk, "cards.html", ready=True, as_of=today().isoformat(), job=job)

    async def test_sheet(request: Request) -> Response:
        from passgen.printing.test_sheet import write_test_sheet

        path = write_test_sheet(desk.folder / "打印测试页.pdf")
        return RedirectResponse(desk.offer(path), status_code=303)

    return {"cards_form": form, "cards_start": start, "cards_status": status,
            "test_sheet": test_sheet}


def _run(desk: Any, job: Job, paths: list[Path], out: Path, as_of: dt.date) -> dict[str, Any]:
    """The batch, as ``passgen cards`` runs it, with the office's key and ledger."""
    from passgen.jobs.cards import run_cards
    from passgen.jobs.volumes import PrintOptions
    from passgen.printing.layout import load_template
    from passgen.rules import load_rules

    office = desk.office
    result = run_cards(paths, office.signing_key(), out, load_rules(),
                       PrintOptions(load_template()), as_of, progress=job, ledger=office.ledger,
                       columns=desk.columns)
    return {
        "totals": result.totals.line(),
        "pdfs": [(p.name, desk.offer(p)) for p in result.pdfs],
        "report": desk.offer(result.report),
        "rejected": len(result.rejected),
        "folder": out,
        "open": desk.offer_folder(out),
    }
