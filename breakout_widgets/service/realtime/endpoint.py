"""The WebSocket endpoint ``/v1/events``: hello, resume, subscribe, ping.

The token comes in the first message, never in the URL. Permissions are checked when
the connection starts and on every subscribe: a participant gets the main meeting and
the meeting they are in; a host (or the admin key with a ``class_id``) every meeting
of the class.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
from typing import Any, Protocol

from starlette.websockets import WebSocket, WebSocketDisconnect

from ...errors import BreakoutError
from ..activities import Activities
from ..classes import hash_token
from ..domain.permissions import CAN_ALTER
from . import protocol
from .connection import REPLAY, Connection
from .hub import Hub


class GroupGate(Protocol):
    """Connections of breakout-group members (``service/groups/realtime.py``)."""

    def owns(self, token: str) -> bool: ...

    async def open(
        self, ws: WebSocket, hello: dict[str, Any], *, queue_size: int, window: int
    ) -> Connection: ...

    def closed(self, conn: Connection) -> None: ...

    async def send(self, conn: Connection, message: dict[str, Any]) -> None: ...


class EventsEndpoint:
    def __init__(
        self,
        activities: Activities,
        hub: Hub,
        admin_key: str,
        *,
        queue_size: int = 1000,
        window: int = 1000,
        idle_timeout: float = 60.0,
        hello_timeout: float = 10.0,
        groups: GroupGate | None = None,
    ) -> None:
        self.activities = activities
        self.store = activities.store
        self.hub = hub
        self.admin_key = admin_key
        self.queue_size = queue_size
        self.window = window
        self.idle_timeout = idle_timeout
        self.hello_timeout = hello_timeout
        self.groups = groups

    async def _backlog(self, meeting_id: str, after: int, limit: int) -> list[tuple[int, str]]:
        events = await self.store.events(meeting_id, after, max(1, limit))
        return [(e.seq, protocol.encode(e.to_json())) for e in events]

    async def __call__(self, ws: WebSocket) -> None:
        await ws.accept()
        try:
            hello = json.loads(await asyncio.wait_for(ws.receive_text(), self.hello_timeout))
            if not isinstance(hello, dict) or hello.get("type") != protocol.HELLO:
                raise ValueError("the first message must be a hello")
        except (asyncio.TimeoutError, ValueError, WebSocketDisconnect, KeyError):
            with contextlib.suppress(Exception):
                await ws.close(protocol.CLOSE_PROTOCOL, "send a hello with your token first")
            return
        try:
            conn = await self._open(ws, hello)
        except BreakoutError as exc:
            with contextlib.suppress(Exception):
                await ws.send_text(protocol.encode({"type": protocol.ERROR, **exc.to_json()}))
                await ws.close(protocol.CLOSE_UNAUTHORIZED, exc.message[:120])
            return
        sender = asyncio.create_task(self._send(conn))
        try:
            await self._receive(conn)
        finally:
            self.hub.remove(conn)
            if self.groups is not None:
                self.groups.closed(conn)  # a member's last connection starts their grace
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender

    async def _send(self, conn: Connection) -> None:
        try:
            await conn.run_sender()
        except Exception:  # the socket broke: the receive loop ends too
            await conn.close(1011, "send failed")

    async def _open(self, ws: WebSocket, hello: dict[str, Any]) -> Connection:
        token = str(hello.get("token", ""))
        resume = hello.get("resume") or {}
        if not isinstance(resume, dict):
            raise BreakoutError(
                "resume must map meeting ids to sequence numbers", code="invalid_input"
            )
        if self.groups is not None and self.groups.owns(token):
            return await self.groups.open(ws, hello, queue_size=self.queue_size, window=self.window)
        if hmac.compare_digest(token.encode(), self.admin_key.encode()):
            class_id = str(hello.get("class_id", ""))
            await self.store.meeting(class_id)
            participant_id, class_wide = None, True
        else:
            who = await self.store.credential(hash_token(token))
            if who is None:
                raise BreakoutError("unknown token", code="unauthorized")
            class_id, participant_id = who.class_id, who.participant_id
            preset = await self.activities.classes.preset(who.preset)
            class_wide = preset.allows(CAN_ALTER)
        conn = Connection(
            ws,
            class_id=class_id,
            participant_id=participant_id,
            class_wide=class_wide,
            queue_size=self.queue_size,
            backlog=self._backlog,
            window=self.window,
        )
        # Join the hub first, following the main meeting: from now on every event reaches
        # this connection (queued: the sender task does not run yet) and a move of this
        # participant moves its subscription (Hub._follow). Only then read where things
        # stand, in this order: main's last seq, then the participant's meeting. A move
        # committed after the first read is delivered as an event; one published while we
        # read has already set ``conn.meeting``, which is newer than what we read.
        conn.sent = {class_id: None}
        self.hub.add(conn)
        try:
            last = {class_id: (await self.store.meeting(class_id))["last_seq"]}
            current = class_id
            if participant_id is not None:
                state = await self.store.load(class_id)
                current = state.person(participant_id).current
            if conn.meeting is None:
                conn.meeting = current
            current = conn.meeting
            meetings = {class_id, current}
            if class_wide:
                rooms = await self.store.rooms_of_class(class_id)
                meetings |= {r["id"] for r in rooms if r["status"] == "open"}
                meetings |= {m for m in resume if m in {r["id"] for r in rooms}}
            for m in meetings - set(conn.sent):
                self.hub.subscribe(conn, m, None)
            while missing := set(conn.sent) - set(last):  # a move may add one meanwhile
                for m in missing:
                    last[m] = (await self.store.meeting(m))["last_seq"]
            meetings = set(conn.sent)
            await conn.send_control(
                {
                    "type": protocol.WELCOME,
                    "class_id": class_id,
                    "participant_id": participant_id,
                    "meeting_id": conn.meeting,
                    "meetings": {m: last[m] for m in sorted(meetings)},
                }
            )
            for m in sorted(meetings):
                if m not in conn.sent:
                    continue  # moved out of it meanwhile
                after = resume.get(m)
                if isinstance(after, int) and after < last[m]:
                    await conn.replay(m, max(after, 0), last[m])
                else:
                    conn.sent[m] = last[m]
        except BaseException:
            self.hub.remove(conn)
            raise
        return conn

    async def _receive(self, conn: Connection) -> None:
        while not conn.closed:
            try:
                raw = await asyncio.wait_for(conn.ws.receive_text(), self.idle_timeout)
            except asyncio.TimeoutError:
                await conn.close(protocol.CLOSE_IDLE, "no ping within the idle timeout")
                return
            except (WebSocketDisconnect, RuntimeError):
                return
            try:
                message = json.loads(raw)
                kind = message.get("type")
            except (ValueError, AttributeError):
                conn.offer(None, 0, _error("invalid_input", "messages are JSON objects"))
                continue
            if kind == protocol.PING:
                conn.offer(
                    None, 0, protocol.encode({"type": protocol.PONG, "id": message.get("id")})
                )
            elif kind == "send" and self.groups is not None:
                await self.groups.send(conn, message)
            elif kind == protocol.SUBSCRIBE:
                await self._subscribe(conn, message)
            elif kind == protocol.UNSUBSCRIBE:
                meeting_id = str(message.get("meeting_id"))
                conn.unsubscribed.add(meeting_id)
                self.hub.unsubscribe(conn, meeting_id)
            else:
                conn.offer(None, 0, _error("invalid_input", f"unknown message type {kind!r}"))

    async def _subscribe(self, conn: Connection, message: dict[str, Any]) -> None:
        meeting_id = str(message.get("meeting_id", ""))
        try:
            meeting = await self.store.meeting(meeting_id)
            if meeting["class_id"] != conn.class_id:
                raise BreakoutError("that meeting belongs to another class", code="forbidden")
            if not conn.class_wide and meeting_id != conn.class_id:
                state = await self.store.load(conn.class_id)
                if state.person(conn.participant_id or "").current != meeting_id:
                    raise BreakoutError(
                        "a participant follows only the meeting they are in", code="forbidden"
                    )
        except BreakoutError as exc:
            conn.offer(None, 0, protocol.encode({"type": protocol.ERROR, **exc.to_json()}))
            return
        after = message.get("after")
        conn.unsubscribed.discard(meeting_id)
        following, position = meeting_id in conn.sent, conn.sent.get(meeting_id)
        self.hub.subscribe(conn, meeting_id, None)
        if isinstance(after, int) and after < meeting["last_seq"]:
            if not conn.request_replay(meeting_id, max(after, 0), meeting["last_seq"]):
                self.hub.cut_off(conn)
                return
        elif following:
            # Already followed: go on from what was sent. (The seq read above may be older
            # or newer than that; either would send events twice or skip queued ones.)
            conn.sent[meeting_id] = position
        else:
            conn.sent[meeting_id] = meeting["last_seq"]
        # Events committed between the read above and the subscription reached the hub
        # before this connection listened: have the sender fetch them from the store (it
        # skips what it already sent), rather than wait for the meeting's next event.
        now_last = (await self.store.meeting(meeting_id))["last_seq"]
        if now_last > meeting["last_seq"] and not conn.offer(meeting_id, REPLAY, str(now_last)):
            self.hub.cut_off(conn)
            return
        conn.offer(
            None, 0, protocol.encode({"type": protocol.SUBSCRIBED, "meetings": sorted(conn.sent)})
        )


def _error(code: str, message: str) -> str:
    return protocol.encode({"type": protocol.ERROR, "error": {"code": code, "message": message}})
