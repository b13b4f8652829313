"""The controller's live connection: events from the service, resumed after every drop.

``EventStream`` keeps the last sequence number it saw per meeting. After a dropped
connection it reconnects with exponential backoff and jitter and sends those numbers
in its hello, so the service replays what was missed, in order; anything already seen
is dropped here, so each event reaches the callbacks once. When the service says the
gap is too large (``reload``), the stream asks its owner to reload state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import websockets

from ._loop import background_loop, submit

log = logging.getLogger("breakout_widgets.events")

Callback = Callable[[dict[str, Any]], Any]
ANY = "*"  # on("*", cb) receives every event
# Sent to the main meeting and every room at once: a person sees the copy of the
# meeting they are in (a host in main: the main meeting's).
ONCE_PER_CLASS = ("broadcast", "timer")


class EventStream:
    """Events for one participant's token, delivered to callbacks on a background loop."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        class_id: str | None = None,
        ping_interval: float = 15.0,
        max_backoff: float = 10.0,
        on_reload: Callable[[str], None] | None = None,
        on_welcome: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.ws_url = (
            url.rstrip("/").replace("http://", "ws://", 1).replace("https://", "wss://", 1)
            + "/v1/events"
        )
        self.token = token
        self.class_id = class_id
        self.ping_interval = ping_interval
        self.max_backoff = max_backoff
        self.on_reload = on_reload
        self.on_welcome = on_welcome  # called on the loop with each welcome
        self.last_seq: dict[str, int] = {}
        self.meeting_id: str | None = None  # the participant's current meeting, live
        self.participant_id: str | None = None
        self.connections = 0  # how many times a connection was opened (1 + reconnects)
        self.connected = threading.Event()
        self._callbacks: dict[str, list[Callback]] = defaultdict(list)
        self._stopping = False
        self._ws: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None  # where ``run`` runs, if not shared
        self._task: Any = None
        self.fatal: str | None = None

    # -- callbacks --------------------------------------------------------------------------

    def on(self, event_type: str, callback: Callback) -> None:
        self._callbacks[event_type].append(callback)

    def off(self, event_type: str, callback: Callback | None = None) -> None:
        if callback is None:
            self._callbacks.pop(event_type, None)
        elif callback in self._callbacks.get(event_type, []):
            self._callbacks[event_type].remove(callback)

    def _dispatch(self, event: dict[str, Any]) -> None:
        for cb in [*self._callbacks.get(event["type"], []), *self._callbacks.get(ANY, [])]:
            try:
                cb(event)
            except Exception:  # one broken callback must not stop the stream
                log.exception("callback for %s failed", event["type"])

    # -- lifecycle --------------------------------------------------------------------------

    def start(self, wait: float | None = 10.0) -> None:
        """Connect in the background; wait up to ``wait`` s for the first welcome."""
        if self._task is None:
            self._stopping = False
            self._task = submit(self._run())
        if wait and not self.connected.wait(wait) and self.fatal:
            from ..errors import Forbidden

            raise Forbidden(self.fatal)

    def stop(self, timeout: float = 5.0) -> None:
        """Disconnect for good."""
        self._stopping = True
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()  # cancels the task on the shared loop too
        with contextlib.suppress(Exception):
            task.result(timeout)
        self.connected.clear()

    def drop(self) -> None:
        """Break the current connection (it reconnects and resumes); for tests and demos."""
        ws = self._ws
        if ws is not None:
            asyncio.run_coroutine_threadsafe(ws.close(), self._loop or background_loop())

    async def run(self) -> None:
        """Follow events on the running loop until cancelled (async controllers' way: their
        callbacks run on their own loop)."""
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        await self._run()

    # -- the connection loop ----------------------------------------------------------------

    async def _run(self) -> None:
        backoff = 0.25
        while not self._stopping:
            try:
                async with websockets.connect(
                    self.ws_url,
                    compression=None,
                    open_timeout=10,
                    ping_interval=None,
                    max_size=2**22,
                ) as ws:
                    self._ws = ws
                    hello: dict[str, Any] = {
                        "type": "hello",
                        "token": self.token,
                        "resume": dict(self.last_seq),
                    }
                    if self.class_id:
                        hello["class_id"] = self.class_id
                    await ws.send(json.dumps(hello))
                    pinger = asyncio.ensure_future(self._ping(ws))
                    try:
                        async for raw in ws:
                            self._handle(json.loads(raw))
                            backoff = 0.25
                    except websockets.ConnectionClosedError:
                        pass  # closed with an error code: 4001 is checked below
                    finally:
                        pinger.cancel()
                        self._ws = None
                        self.connected.clear()
                    if ws.close_code == 4001:
                        self.fatal = ws.close_reason or "the service refused this token"
                        return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # refused, reset, timed out: try again
                log.debug("event connection failed: %r", exc)
            if self._stopping:
                return
            await asyncio.sleep(backoff * (0.5 + random.random()))  # jitter spreads a herd
            backoff = min(backoff * 2, self.max_backoff)

    async def _ping(self, ws: Any) -> None:
        n = 0
        while True:
            await asyncio.sleep(self.ping_interval)
            n += 1
            await ws.send(json.dumps({"type": "ping", "id": n}))

    def _handle(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind == "welcome":
            self.connections += 1
            self.meeting_id = msg.get("meeting_id")
            self.participant_id = msg.get("participant_id")
            for meeting_id, seq in msg.get("meetings", {}).items():
                self.last_seq.setdefault(meeting_id, seq)
            self.connected.set()
            if self.on_welcome is not None:
                self.on_welcome(msg)
            return
        if kind == "reload":
            self.last_seq[msg["meeting_id"]] = msg["seq"]
            if self.on_reload is not None:
                # Reloading uses blocking HTTP: not on the shared loop.
                threading.Thread(
                    target=self.on_reload, args=(msg["meeting_id"],), daemon=True
                ).start()
            self._dispatch(
                {"type": "reload", "meeting_id": msg["meeting_id"], "seq": msg["seq"], "data": {}}
            )
            return
        if kind == "group_presence":  # a breakout group's member count (no seq)
            self._dispatch(msg)
            return
        if kind in ("pong", "subscribed", "error"):
            if kind == "error":
                log.warning("service: %s", msg.get("error"))
            return
        meeting_id, seq = msg.get("meeting_id"), msg.get("seq")
        if meeting_id is None or not isinstance(seq, int):
            return
        if seq <= self.last_seq.get(meeting_id, 0):
            return  # seen already (a resume overlapped)
        self.last_seq[meeting_id] = seq
        data = msg.get("data") or {}
        if kind == "meeting_changed" and data.get("participant_id") == self.participant_id:
            self.meeting_id = data.get("to")
        if kind in ONCE_PER_CLASS and meeting_id != (self.meeting_id or meeting_id):
            return  # the same broadcast/timer also went to the meeting we are in
        self._dispatch(msg)
