"""What keeps the desk a local server only its clerk can use (anchors: Jupyter's token, its
Host check and its XSRF cookie; docs/desk.md):

- it binds the loopback only, on a free port;
- it opens with a one-time token in the address, which becomes a session cookie (HttpOnly,
  SameSite=Strict); a token used once is refused, and without the cookie every page answers
  401;
- a Host header that is not the loopback at the desk's own port is refused (DNS rebinding);
- every request that changes anything carries the session's CSRF token and, when the
  browser sends one, an Origin that is the desk's own;
- no CORS header is ever sent, and every answer forbids framing, sniffing and caching.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

COOKIE = "passgen_desk"
SAFE = frozenset(("GET", "HEAD"))
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # no-referrer would make a form's Origin "null"
    "Cache-Control": "no-store",
}


@dataclass
class Guard:
    """One desk session: the one-time token, the session cookie and the CSRF token."""

    port: int = 0
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    session: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    token_used: bool = False
    max_bytes: int = 8 * 1024 * 1024  # a request body: uploads are bounded as intake bounds files

    def address(self) -> str:
        """The address to open, with the one-time token."""
        return f"http://127.0.0.1:{self.port}/?token={self.token}"

    def host_ok(self, host: str | None) -> bool:
        return host in (f"127.0.0.1:{self.port}", f"localhost:{self.port}")

    def origin_ok(self, origin: str | None) -> bool:
        return origin is None or origin in (f"http://127.0.0.1:{self.port}",
                                            f"http://localhost:{self.port}")

    def take_token(self, token: str) -> bool:
        """Whether ``token`` is the one-time token, not yet used (then it is used)."""
        if self.token_used or not hmac.compare_digest(token, self.token):
            return False
        self.token_used = True
        return True

    def has_session(self, request: Request) -> bool:
        return hmac.compare_digest(request.cookies.get(COOKIE, ""), self.session)

    async def csrf_ok(self, request: Request) -> bool:
        sent = request.headers.get("x-csrf-token", "")
        if not sent and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")):
            await request.body()  # read whole (it is bounded): the page reads it again after
            form = await request.form()
            sent = str(form.get("csrf", ""))
        return bool(sent) and hmac.compare_digest(sent, self.csrf)


def refused(status: int, zh: str, en: str) -> Response:
    return PlainTextResponse(f"{zh}\n{en}\n", status_code=status, headers=HEADERS)


def middleware(guard: Guard) -> Callable[[Request, Callable[[Request], Awaitable[Response]]],
                                         Awaitable[Response]]:
    """The checks above, before any page or action."""

    async def check(request: Request,
                    call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not guard.host_ok(request.headers.get("host")):
            return refused(403, "拒绝：这个地址不是本机的办公桌", "refused: not this computer's desk")
        token = request.query_params.get("token")
        if token is not None and request.url.path == "/" and request.method == "GET":
            if not guard.take_token(token):
                return refused(403, "这个链接已经用过或不对：请重新运行 passgen desk",
                               "this link was used already or is wrong: run passgen desk again")
            welcome = RedirectResponse("/", status_code=303, headers=HEADERS)
            welcome.set_cookie(COOKIE, guard.session, httponly=True, samesite="strict",
                               path="/")
            return welcome
        if not guard.has_session(request):
            return refused(401, "请用 passgen desk 打开的地址进入办公桌",
                           "open the desk at the address passgen desk printed")
        if request.method not in SAFE:
            length = request.headers.get("content-length")
            if length is None or not length.isdigit():
                return refused(411, "请求没有注明大小", "the request has no length")
            if int(length) > guard.max_bytes:
                return refused(413, f"文件太大：一次最多 {guard.max_bytes // 2 ** 20} MB",
                               f"too large: at most {guard.max_bytes // 2 ** 20} MB at a time")
        if request.method not in SAFE and (
                not guard.origin_ok(request.headers.get("origin"))
                or not await guard.csrf_ok(request)):
            return refused(403, "拒绝：这个请求不是从办公桌发出的", "refused: not sent by the desk")
        answer = await call_next(request)
        for name, value in HEADERS.items():
            answer.headers.setdefault(name, value)
        return answer

    return check
