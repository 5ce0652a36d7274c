"""The desk's pages: each a thin call of the library functions the command line uses.

Here: the home page, the downloads of files the desk itself wrote, and 退出.  花名册检查
and 列对应 are in ``roster``, 首次设置, 吊销名单与核验页面 and 历史 in ``office``, 印卡 in
``cards``, 补办挂失 in ``lost``, 海报 in ``posters`` (DESIGN.md §10)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from passgen import __version__
from passgen.desk.cards import routes as card_routes
from passgen.desk.guard import Guard, middleware, refused
from passgen.desk.lost import routes as lost_routes
from passgen.desk.office import Office, load_settings, routes
from passgen.desk.posters import routes as poster_routes
from passgen.desk.roster import load_mapping
from passgen.desk.roster import routes as roster_routes
from passgen.intake.mapping import ColumnMap

STYLE = Path(__file__).parent / "static" / "desk.css"


@dataclass
class Desk:
    """The session's state: its folder, the files it wrote (only those can be downloaded),
    and how to stop."""

    folder: Path
    guard: Guard = field(default_factory=Guard)
    files: dict[str, Path] = field(default_factory=dict)
    stop: Callable[[], None] = lambda: None
    launch: Callable[[str], Any] = field(default=lambda path: _launch(path))
    folders: dict[str, Path] = field(default_factory=dict)
    office: Office = field(default_factory=Office)
    columns: ColumnMap = ()  # the office's 列对应, remembered in its folder

    def __post_init__(self) -> None:
        self.office = load_settings(self.folder)
        self.columns = load_mapping(self.folder)

    def offer(self, path: Path) -> str:
        """A download address for a file the desk wrote."""
        key = secrets.token_urlsafe(12)
        self.files[key] = path
        return f"/files/{key}/{path.name}"

    def offer_folder(self, path: Path) -> str:
        """The address of a button that shows a folder the desk wrote in the file manager."""
        key = secrets.token_urlsafe(12)
        self.folders[key] = path
        return f"/folders/{key}"


_ENV = Environment(loader=PackageLoader("passgen.desk", "templates"),
                   autoescape=select_autoescape(default=True))


def page(desk: Desk, name: str, **values: Any) -> HTMLResponse:
    html = _ENV.get_template(name).render(csrf=desk.guard.csrf, version=__version__, **values)
    return HTMLResponse(html)


def make_app(desk: Desk) -> Starlette:
    async def home(request: Request) -> Response:
        return page(desk, "home.html")

    async def download(request: Request) -> Response:
        path = desk.files.get(request.path_params["key"])
        if path is None or path.name != request.path_params["name"] or not path.is_file():
            return refused(404, "没有这个文件", "no such file")
        inline = path.suffix.lower() in (".pdf", ".png")  # opened in the browser, to print
        return FileResponse(path, filename=path.name,
                            content_disposition_type="inline" if inline else "attachment")

    async def show_folder(request: Request) -> Response:
        """Open a folder the desk wrote in the system's file manager (Explorer on Windows)."""
        path = desk.folders.get(request.path_params["key"])
        if path is None or not path.is_dir():
            return refused(404, "没有这个文件夹", "no such folder")
        desk.launch(str(path))
        return Response(status_code=204)  # the page stays as it is

    async def style(request: Request) -> Response:
        return Response(STYLE.read_text(encoding="utf-8"), media_type="text/css")

    async def quit_desk(request: Request) -> Response:
        desk.stop()
        return page(desk, "bye.html")

    async def no_such_page(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        return refused(status, "没有这个页面：请从办公桌首页进入", "no such page: start from the desk's home")

    async def unforeseen(request: Request, exc: Exception) -> Response:
        """Said in the desk's words, never a traceback (which goes to the desk's console)."""
        return HTMLResponse(_ENV.get_template("problem.html").render(
            csrf=desk.guard.csrf, version=__version__, kind=type(exc).__name__),
            status_code=500)

    office = routes(desk, page)
    cards = card_routes(desk, page)
    posters = poster_routes(desk, page)
    roster = roster_routes(desk, page)
    lost = lost_routes(desk, page)
    return Starlette(routes=[
        Route("/posters", posters["posters_form"]),
        Route("/posters", posters["posters_make"], methods=["POST"]),
        Route("/posters/{key}", posters["posters_status"]),
        Route("/cards", cards["cards_form"]),
        Route("/cards", cards["cards_start"], methods=["POST"]),
        Route("/cards/test-sheet", cards["test_sheet"]),
        Route("/cards/{key}", cards["cards_status"]),
        Route("/", home),
        Route("/setup", office["setup_form"]),
        Route("/setup", office["setup_save"], methods=["POST"]),
        Route("/setup/generate", office["setup_generate"], methods=["POST"]),
        Route("/history", office["history"]),
        Route("/publish", office["publish_form"]),
        Route("/publish", office["publish"], methods=["POST"]),
        Route("/desk.css", style),
        Route("/roster", roster["roster_form"]),
        Route("/roster", roster["roster_check"], methods=["POST"]),
        Route("/columns", roster["columns_form"]),
        Route("/columns", roster["columns_save"], methods=["POST"]),
        Route("/lost", lost["lost_form"]),
        Route("/lost", lost["lost_find"], methods=["POST"]),
        Route("/lost/reissue", lost["lost_reissue"], methods=["POST"]),
        Route("/files/{key}/{name}", download),
        Route("/folders/{key}", show_folder, methods=["POST"]),
        Route("/quit", quit_desk, methods=["POST"]),
    ], middleware=[Middleware(BaseHTTPMiddleware, dispatch=middleware(desk.guard))],
        exception_handlers={HTTPException: no_such_page, Exception: unforeseen})



def _launch(path: str) -> None:
    import click

    click.launch(path)
