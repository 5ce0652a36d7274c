"""Running the desk: uvicorn on the loopback, on a free port, until the clerk presses 退出 or
Ctrl-C.  The address, with its one-time token, is the first line of standard output."""

from __future__ import annotations

import socket
import webbrowser
from collections.abc import Callable
from pathlib import Path

from passgen.desk.app import Desk, make_app
from passgen.desk.guard import Guard


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(folder: Path, say: Callable[[str], None], open_browser: bool = True,
          port: int = 0) -> None:
    """Serve the desk for ``folder`` (its work files) until it is stopped."""
    import uvicorn

    folder.mkdir(parents=True, exist_ok=True)
    desk = Desk(folder, Guard(port=port or free_port()))
    config = uvicorn.Config(make_app(desk), host="127.0.0.1", port=desk.guard.port,
                            log_level="warning", access_log=False, server_header=False,
                            date_header=False, lifespan="off")

    def ready() -> None:  # listening: only now is the address worth opening
        say(desk.guard.address())
        say(f"办公桌已打开：请在浏览器里使用；用完点“退出”，或在这里按 Ctrl-C / the desk is open in "
            f"your browser; press 退出 (quit) or Ctrl-C here to stop.  Work files: {folder}")
        if open_browser:
            webbrowser.open(desk.guard.address())

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                ready()

    server = Server(config)

    def stop() -> None:
        server.should_exit = True

    desk.stop = stop
    server.run()
