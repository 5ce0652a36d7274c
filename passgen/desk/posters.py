"""The desk's 海报 screen: a venue list or one venue, the posters made as ``passgen
posters`` makes them (``print_posters``), with a preview of the first one; in a thread of
the desk, with a progress bar."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from passgen.desk.work import Job, Jobs


def routes(desk: Any, page: Callable[..., Response]) -> dict[str, Callable[[Request],
                                                                           Awaitable[Response]]]:
    jobs = Jobs()  # thousands of posters take minutes: the desk keeps answering meanwhile

    async def form(request: Request) -> Response:
        return page(desk, "posters.html", job=None, values={})

    async def make(request: Request) -> Response:
        from passgen.desk.uploads import read_form, save_uploads, work_folder
        from passgen.intake.venues import OneVenue

        values, uploads = await read_form(request, "venues", desk.guard.max_bytes)
        text = {k: str(values.get(k, "")).strip() for k in ("venue", "community", "url",
                                                             "kind", "size", "hotline")}
        one = OneVenue(text["venue"], text["community"]) if text["venue"] else None
        if not uploads and one is None:
            return page(desk, "posters.html", job=None, values=text,
                        problem="请选择点位表，或填写一个点位的名称和社区 / choose a venue list or "
                                "name one venue")
        work = work_folder(desk.folder, "posters")
        paths = await save_uploads(uploads, work / "venues")
        key = jobs.start(lambda job: _make(desk, job, paths, work, text, one), "海报中断")
        return RedirectResponse(f"/posters/{key}", status_code=303)

    async def status(request: Request) -> Response:
        job = jobs.get(request.path_params["key"])
        if job is None:
            return RedirectResponse("/posters", status_code=303)
        return page(desk, "posters.html", job=job, values=job.result.get("values", {}))

    return {"posters_form": form, "posters_make": make, "posters_status": status}


def _make(desk: Any, job: Job, paths: list[Path], work: Path, text: dict[str, str],
          one: Any) -> dict[str, Any]:
    """The posters, as ``passgen posters`` makes them, and a preview of the first."""
    from passgen.jobs.posters import print_posters

    result = print_posters(paths, work / "out", text["kind"] or "campaign", text["size"] or "A4",
                           one=one if not paths else None, url=text["url"] or None,
                           hotline=text["hotline"], progress=job)
    preview = _preview(result.pdfs[0], work / "preview.png") if result.pdfs else None
    return {"values": text, "line": result.line(), "report": desk.offer(result.report),
            "pdfs": [(p.name, desk.offer(p)) for p in result.pdfs],
            "preview": desk.offer(preview) if preview else None,
            "rejected": [o.error.message for o in result.outcomes if o.error is not None]}


def _preview(pdf: Any, png: Any) -> Any:
    """The first poster, small, as a picture for the page."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    try:
        image = document[0].render(scale=0.5).to_pil()
        image.thumbnail((520, 740))
        image.save(png)
    finally:
        document.close()
    return png
