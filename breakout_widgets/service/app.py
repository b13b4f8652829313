"""The ASGI app: ``create_app(settings)`` wires store, classes, timer and routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, WebSocket
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..errors import InvalidInput
from .activities import Activities
from .api import activities as activities_routes
from .api import breakout, meetings
from .api import groups as groups_routes
from .api.errors import error_response, install_error_handlers
from .bus import LocalBus
from .bus.shared import Shared
from .classes import Classes
from .domain.chat import RateLimiter
from .groups import GroupsService
from .realtime.endpoint import EventsEndpoint
from .realtime.hub import Hub
from .settings import Settings
from .store import Store, make_engine
from .timer import DeadlineTimer

MAX_BODY = 2 * 1024 * 1024  # a 5,000-name invite fits; anything bigger is refused


class _BodyLimit:
    """Refuse a request body over ``limit`` bytes with 413, with or without a Content-Length.

    A declared length over the limit is answered at once; a chunked body is counted as
    it is read, and reading stops with 413 once it passes the limit.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = f"the request body is larger than {self.limit} bytes"
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                error = InvalidInput(message)
                error.status = 413
                await error_response(error)(scope, receive, send)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:  # FastAPI passes an HTTPException on to the handlers
                    raise HTTPException(413, message)
            return msg

        await self.app(scope, limited, send)


class _EventsFastPath:
    """``/v1/events`` straight to the endpoint, past the routing and exception layers.

    A WebSocket holds every layer it passed through for as long as it is open; those it
    skips here cost ~12 KB per idle connection (measured with 2,000 group members), and
    the endpoint handles its own errors.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == EVENTS_PATH:
            await scope["app"].state.endpoint(WebSocket(scope, receive, send))
            return
        await self.app(scope, receive, send)


EVENTS_PATH = "/v1/events"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The meeting service as an ASGI app (run it with uvicorn, or ``breakout-widgets serve``)."""
    settings = (settings or Settings()).resolve()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(make_engine(settings.db, schema=settings.db_schema), settings.db_schema)
        await store.migrate()
        classes = Classes(store, settings.limits)
        hub = Hub(presence_grace=settings.presence_grace)
        activities = Activities(classes, RateLimiter(settings.chat_rate, settings.chat_burst))
        shared = await Shared.start(settings, hub, store) if settings.redis_url else None
        if shared is None:  # one process: events straight to the hub, presence counted here
            classes.published = LocalBus(hub.publish).publish
            classes.online = hub.online_now
            hub.on_presence = activities.presence_changed
        else:  # several processes: through Redis (docs/scale-out.md)
            classes.published = shared.bus.publish
            classes.online = shared.presence.online
            hub.on_presence = shared.presence.changed
            shared.presence.on_change = activities.presence_changed
        groups = await GroupsService.start(
            store, settings, cut_off=hub.cut_off, directory=shared and shared.directory
        )
        if shared is not None:
            groups.groups.bus = shared.bus
            shared.bus.on_shard = groups.groups.on_frame
        app.state.endpoint = EventsEndpoint(
            activities,
            hub,
            settings.admin_key or "",
            queue_size=settings.send_queue,
            window=settings.resume_window,
            idle_timeout=settings.idle_timeout,
            groups=groups.gate,
        )
        timer = DeadlineTimer(classes, poll=settings.timer_poll)
        app.state.classes = classes
        app.state.activities = activities
        app.state.hub = hub
        app.state.groups = groups
        app.state.admin_key = settings.admin_key
        app.state.settings = settings
        timer.start()
        try:
            yield
        finally:
            await timer.stop()
            await groups.stop()
            if shared is not None:
                await shared.stop()
            await store.close()

    app = FastAPI(
        title="breakout-widgets meeting service",
        version=__version__,
        description="Breakout rooms for classes that live in Jupyter.",
        lifespan=lifespan,
    )
    install_error_handlers(app)

    app.add_middleware(_BodyLimit, limit=MAX_BODY)
    app.add_middleware(_EventsFastPath)  # added last: the outermost of ours

    # Breakout groups first: their join is the hottest route, and routes match in order.
    app.include_router(groups_routes.router)
    app.include_router(meetings.router)
    app.include_router(breakout.router)
    app.include_router(activities_routes.router)

    @app.websocket(EVENTS_PATH)  # documents the route; _EventsFastPath serves it
    async def events(ws: WebSocket) -> None:
        """One connection per client; see docs/protocol.md."""
        await ws.app.state.endpoint(ws)

    @app.get("/", include_in_schema=False)
    async def root() -> JSONResponse:
        return JSONResponse(
            {"service": "breakout-widgets", "version": __version__, "docs": "/docs"}
        )

    @app.get("/join", include_in_schema=False)
    async def join_page() -> HTMLResponse:
        # A join link is .../join#TOKEN: the browser keeps the token (after #) to itself,
        # so this page never sees it; it says what to do with the link instead.
        return HTMLResponse(JOIN_PAGE)

    return app


JOIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Join a breakout-widgets class</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}
code{background:#eee;padding:.1em .3em}</style></head>
<body><h1>This is a join link for a class</h1>
<p>Open <code>student.ipynb</code> in JupyterLab (or any notebook) and paste the
<strong>whole</strong> link, as your instructor sent it, into:</p>
<p><code>me = bw.join("the link")</code></p>
<p>The part after <code>#</code> is your personal token: keep it to yourself.</p>
</body></html>
"""
