"""The desk's 海报 screen: a venue list or one venue, the posters made as ``passgen
posters`` makes them (``print_posters``), with a preview of the first one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from passgen.errors import PassgenError


def routes(desk: Any, page: Callable[..., Response]) -> dict[str, Callable[[Request],
                                                                           Awaitable[Response]]]:
    async def form(request: Request) -> Response:
        return page(desk, "posters.html", result=None, values={})

    async def make(request: Request) -> Response:
        from passgen.desk.uploads import read_form, save_uploads, work_folder
        from passgen.intake.venues import OneVenue
        from passgen.jobs.posters import print_posters

        values, uploads = await read_form(request, "venues", desk.guard.max_bytes)
        text = {k: str(values.get(k, "")).strip() for k in ("venue", "community", "url",
                                                             "kind", "size", "hotline")}
        work = work_folder(desk.folder, "posters")
        one = OneVenue(text["venue"], text["community"]) if text["venue"] else None
        if not uploads and one is None:
            return page(desk, "posters.html", result=None, values=text,
                        problem="请选择点位表，或填写一个点位的名称和社区 / choose a venue list or "
                                "name one venue")
        paths = await save_uploads(uploads, work / "venues")
        try:
            result = print_posters(paths, work / "out", text["kind"] or "campaign",
                                   text["size"] or "A4", one=one if not paths else None,
                                   url=text["url"] or None, hotline=text["hotline"])
        except PassgenError as exc:
            return page(desk, "posters.html", result=None, values=text,
                        problem=f"{exc.zh} / {exc.en}")
        preview = _preview(result.pdfs[0], work / "preview.png") if result.pdfs else None
        return page(desk, "posters.html", values=text, result={
            "line": result.line(), "report": desk.offer(result.report),
            "pdfs": [(p.name, desk.offer(p)) for p in result.pdfs],
            "preview": desk.offer(preview) if preview else None,
            "rejected": [o.error.message for o in result.outcomes if o.error is not None]})

    return {"posters_form": form, "posters_make": make}


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
