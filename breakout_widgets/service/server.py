"""Running the app on uvicorn: in the foreground (the CLI) or in a background thread."""

from __future__ import annotations

import asyncio
import socket
import threading

import uvicorn

from ..errors import Unavailable
from .app import create_app
from .settings import Settings


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free port. Refuses a port that is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP;
    # without it every response waits ~40 ms (Nagle against delayed ACKs).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise Unavailable(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(4096)
    sock.setblocking(False)
    return sock


def _config(settings: Settings, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(settings),
        log_level=log_level,
        ws_per_message_deflate=False,  # ~32 KB per connection each side; off by default
        lifespan="on",
        access_log=False,
    )


def serve_forever(
    settings: Settings, host: str, port: int, *, log_level: str = "info", on_ready=None
) -> None:  # type: ignore[no-untyped-def]
    """Serve until interrupted; ``on_ready(url)`` runs once the service answers."""
    sock = bind(host, port)
    server = uvicorn.Server(_config(settings, log_level))

    async def main() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.02)
        if server.started and on_ready:
            on_ready(url_of(sock))
        await task

    asyncio.run(main())
    if not server.started:
        raise Unavailable("the service did not start; see the log above")


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


class BackgroundServer:
    """The service on uvicorn in a daemon thread with its own event loop.

    It works where an event loop already runs in the main thread (Jupyter): the
    service's loop lives in its own thread.
    """

    def __init__(
        self, settings: Settings, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"
    ) -> None:
        self.settings = settings.resolve()
        self._sock = bind(host, port)
        self.url = url_of(self._sock)
        self._server = uvicorn.Server(_config(self.settings, log_level))
        self._thread = threading.Thread(target=self._run, name="breakout-service", daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self._server.serve(sockets=[self._sock]))
        except BaseException as exc:  # reported to start()
            self._error = exc

    def start(self, timeout: float = 30.0) -> None:
        self._thread.start()
        deadline = threading.Event()
        waited = 0.0
        while not self._server.started:
            if not self._thread.is_alive() or waited > timeout:
                raise Unavailable(f"the embedded service did not start: {self._error!r}")
            deadline.wait(0.02)
            waited += 0.02

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
        self._sock.close()
