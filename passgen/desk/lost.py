"""The desk's 补办挂失 screen: find a resident in the rosters by name or ID number (masked
in the list, with their cards from the ledger), then revoke their cards in force with the
reason and print the new card in one step, the PDF offered at once.  Thin calls of
``find_residents`` and ``reissue``, as ``passgen reissue`` makes them."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from passgen.dates import day_of, today
from passgen.desk.uploads import NOT_READY, read_form, save_uploads, work_folder
from passgen.errors import PassgenError
from passgen.models import Colour, short_serial

REASONS = ("卡片遗失", "卡片损坏", "信息有误")


def routes(desk: Any, page: Callable[..., Response]) -> dict[str, Callable[[Request],
                                                                           Awaitable[Response]]]:
    searches: dict[str, tuple[Path, list[Path], list[Any]]] = {}  # folder, rosters, finds

    def shown(**values: Any) -> Response:
        return page(desk, "lost.html", ready=desk.office.ready(), reasons=REASONS,
                    earlier=_earlier(desk.folder), **values)

    async def form(request: Request) -> Response:
        return shown()

    async def find(request: Request) -> Response:
        from passgen.jobs.reissue import find_residents

        values, uploads = await read_form(request, "rosters", desk.guard.max_bytes)
        query = str(values.get("query", "")).strip()
        earlier = {str(p): p for p in _earlier(desk.folder)}.get(str(values.get("earlier", "")))
        if not desk.office.ready():
            return shown(problem=NOT_READY)
        if not query:
            return shown(problem="请写上要找的居民的姓名或身份证号 / give a name or ID number")
        if not uploads and earlier is None:
            return shown(problem="请选择花名册文件 / choose the roster", query=query)
        work = work_folder(desk.folder, "lost")
        if uploads:
            paths = await save_uploads(uploads, work / "rosters")
        else:  # the rosters an earlier batch of this desk printed from
            assert earlier is not None
            paths = sorted(p for p in earlier.iterdir() if p.is_file())
        try:
            found = await run_in_threadpool(find_residents, paths, query, today(),
                                            desk.office.ledger, desk.office.signing_key(),
                                            desk.columns)
        except PassgenError as exc:
            return shown(problem=f"{exc.zh} / {exc.en}", query=query)
        searches[work.name] = (work, paths, found)
        return shown(query=query, search=work.name, found=[_listed(f) for f in found])

    async def reissue_card(request: Request) -> Response:
        from passgen.jobs.cards import PrintOptions
        from passgen.jobs.reissue import reissue
        from passgen.printing.layout import load_template
        from passgen.rules import load_rules

        values = await request.form()
        search = searches.get(str(values.get("search", "")))
        if not desk.office.ready():
            return shown(problem=NOT_READY)
        if search is None:
            return shown(problem="请重新查找这位居民 / find the resident again")
        work, paths, found = search
        pick = str(values.get("pick", ""))
        if not pick.isdigit() or int(pick) >= len(found):
            return shown(problem="请在名单里选一位居民 / choose one resident",
                         search=str(values["search"]), found=[_listed(f) for f in found])
        reason = str(values.get("other") or values.get("reason") or "").strip()
        chosen = found[int(pick)]
        out = work_folder(work, "new")  # each re-issue its own folder
        try:
            done = await run_in_threadpool(  # the desk keeps answering meanwhile
                reissue, paths, chosen.row, reason, desk.office.signing_key(),
                desk.office.ledger, out, load_rules(), PrintOptions(load_template()), today(),
                int(time.time()), desk.columns)
        except PassgenError as exc:
            return shown(problem=f"{exc.zh} / {exc.en}", search=str(values["search"]),
                         found=[_listed(f) for f in found])
        return shown(done={"name": chosen.name, "masked_id": chosen.masked_id,
                           "revoked": [short_serial(s) for s in done.revoked],
                           "pdfs": [(p.name, desk.offer(p)) for p in done.batch.pdfs],
                           "report": desk.offer(done.batch.report),
                           "totals": done.batch.totals.line(), "folder": out,
                           "open": desk.offer_folder(out)})

    return {"lost_form": form, "lost_find": find, "lost_reissue": reissue_card}


def _earlier(folder: Path) -> list[Path]:
    """The rosters folders of the desk's earlier card batches, newest first."""
    return sorted((p for p in folder.glob("cards-*/rosters") if p.is_dir()),
                  key=lambda p: p.parent.name, reverse=True)[:10]


def _listed(found: Any) -> dict[str, Any]:
    now = int(time.time())
    cards = [{"serial": short_serial(c.serial), "colour": Colour(c.colour).word,
              "issued": day_of(c.issued_at).isoformat(),
              "state": f"已吊销（{c.reason}）" if c.revoked_at else
              "已过期" if c.expires <= now else "有效"} for c in found.cards]
    return {"where": f"{found.row[0]} · {found.row[1]} · 第{found.row[2]}行", "name": found.name,
            "masked_id": found.masked_id, "community": found.community, "cards": cards}
