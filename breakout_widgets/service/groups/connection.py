"""A group member's WebSocket: the meetings' ``Connection``, made light and fast.

A meeting connection keeps a queue and a sender task for its whole life, and each event
goes through the queue and wakes that task. A shard may hold 1,000 members who mostly
listen and receive the same text at once, so here:

* a message is written at once, inside ``offer``, when nothing is queued before it: an
  ASGI ``send`` of a WebSocket whose transport is writable finishes without waiting,
  so the coroutine is run to its end right there (no task, no queue, no wake-up);
* only when a send has to wait (the client reads slowly and the transport is paused)
  does a task take over that send and the messages queued behind it;
* an idle connection holds neither a queue nor a task.

What is sent is the same as for meetings: each message once, in ``seq`` order (what
the replay after the hello already sent is skipped), and a connection whose backlog
passes ``queue_size`` is a slow consumer (``offer`` says False and the hub cuts it off).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections import deque
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from websockets.frames import Frame, Opcode
from websockets.protocol import State

from ..realtime.connection import Backlog, Connection

if TYPE_CHECKING:
    from starlette.websockets import WebSocket

    from .live import Member


# Bytes a client may leave unread in its socket before its messages stop being written
# directly and go the ASGI way (the queue, which cuts a slow consumer off when full).
WRITE_LIMIT = 256 * 1024
SANS_IO = "uvicorn.protocols.websockets.websockets_sansio_impl"


def _sans_io_protocol(send: Any) -> Any:
    """The uvicorn protocol object under an ASGI ``send``, if it is the sans-I/O one (its
    ``websocket.send`` only frames the text and writes it to the transport); else None.
    Looked up, never imported: another server or implementation simply has no direct path.
    """
    module = sys.modules.get(SANS_IO)
    protocol = getattr(send, "__self__", None)
    if module is None or not isinstance(protocol, module.WebSocketsSansIOProtocol):
        return None
    return protocol


def text_frame(text: str) -> bytes:
    """One unmasked, unfragmented text frame (what a server sends), built once."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


def broadcast(transports: list[Any], frame: bytes) -> None:
    """Write the same frame bytes to every transport (``direct_transport``)."""
    for transport in transports:
        transport.write(frame)


class GroupConnection(Connection):
    """One member's connection; its only "meeting" is the member's shard (the guid)."""

    def __init__(
        self,
        ws: WebSocket,
        member: Member,
        *,
        queue_size: int,
        backlog: Backlog,
        window: int,
    ) -> None:
        super().__init__(
            ws,
            class_id=member.guid,
            participant_id=None,
            class_wide=False,
            queue_size=queue_size,
            backlog=backlog,
            window=window,
        )
        self.queue = None  # type: ignore[assignment]  # replaced by the lazy deque below
        self.member = member
        self.told: int | None = None  # the member count this connection was last told
        self._limit = queue_size
        self._pending: deque[tuple[str | None, int, str]] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._live = False  # set once the hello's replay is done (``run_sender``)
        # The ASGI send under starlette's WebSocket: a fan-out to 1,000 connections skips
        # starlette's per-call state checks (the state stays "connected" until close).
        self._asgi_send = getattr(ws, "_send", None)
        # uvicorn's sans-I/O WebSocket under the ASGI send: a fan-out writes the same
        # frame bytes straight to every such transport, as a bare websockets server's
        # broadcast() does, instead of one ASGI call and one encoding per connection.
        self._protocol = _sans_io_protocol(self._asgi_send)

    def direct_transport(self, meeting_id: str, seq: int) -> Any:
        """The transport to write message ``seq`` to directly, now, or None (then ``offer``).

        Direct only while nothing waits before this message (no queue, replay done), the
        WebSocket is open without extensions (no compression), the message is new for this
        connection, and the client keeps up with reading.
        """
        protocol = self._protocol
        if protocol is None or self.closed or not self._live or self._pending is not None:
            return None
        transport = protocol.transport
        if protocol.close_sent or transport is None or transport.is_closing():
            return None
        conn = protocol.conn
        if conn.state is not State.OPEN or conn.extensions:
            return None
        if transport.get_write_buffer_size() > WRITE_LIMIT:
            return None
        last = self.sent.get(meeting_id)
        if last is not None and seq <= last:
            return None
        self.sent[meeting_id] = seq
        return transport

    def offer(self, meeting_id: str | None, seq: int, text: str) -> bool:
        """Send now, or queue behind what waits (never waits); False when the queue is full."""
        if self.closed:
            return True
        pending = self._pending
        if pending is None:
            if self._live:
                self._deliver(meeting_id, seq, text)
                return True
            pending = self._pending = deque()
        elif len(pending) >= self._limit:
            return False
        pending.append((meeting_id, seq, text))
        return True

    async def run_sender(self) -> None:
        """Called once the welcome and the replay went out: send what came meanwhile, then
        send as offered. (The endpoint runs this as a task; it returns at once.)"""
        self._live = True
        if self._pending and self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush(None, None))

    # -- sending -------------------------------------------------------------------------

    def _deliver(self, meeting_id: str | None, seq: int, text: str) -> None:
        if meeting_id is not None:
            last = self.sent.get(meeting_id)
            if last is not None and seq <= last:
                return  # the replay already sent it
            self.sent[meeting_id] = seq
        if self._asgi_send is not None:
            send = self._asgi_send({"type": "websocket.send", "text": text})
        else:
            send = self.ws.send_text(text)
        try:
            waiting = send.send(None)
        except StopIteration:
            return  # written
        except Exception:
            self._broken()
            return
        # The transport is paused: a task finishes this send, then what queues behind it.
        self._pending = deque()
        self._flusher = asyncio.get_running_loop().create_task(self._flush(send, waiting))

    async def _flush(self, send: Coroutine[Any, Any, None] | None, waiting: Any) -> None:
        try:
            if send is not None:
                await _finish(send, waiting)
            while self._pending:
                meeting_id, seq, text = self._pending.popleft()
                if meeting_id is not None:
                    last = self.sent.get(meeting_id)
                    if last is not None and seq <= last:
                        continue
                    self.sent[meeting_id] = seq
                await self.ws.send_text(text)
        except asyncio.CancelledError:
            raise
        except Exception:
            self._broken()
        finally:
            self._flusher = None
            if not self._pending:
                self._pending = None  # back to sending at once

    def _broken(self) -> None:
        """A send failed (the client went away): close; the endpoint's receive loop ends."""
        if not self.closed:
            asyncio.get_running_loop().create_task(self.close(1011, "send failed"))

    async def close(self, code: int, reason: str) -> None:
        await super().close(code, reason)
        flusher = self._flusher
        if flusher is not None and flusher is not asyncio.current_task():
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await flusher
            self._flusher = None  # (a task cancelled before it ran never reached its finally)


async def _finish(send: Coroutine[Any, Any, None], waiting: Any) -> None:
    """Run a coroutine that was started by hand and is waiting on ``waiting`` (what it
    yielded: a future, or None for a bare yield) to its end, as a task would."""
    while True:
        try:
            if waiting is None:
                await asyncio.sleep(0)
            else:
                await waiting
        except asyncio.CancelledError:
            send.close()
            raise
        except BaseException as exc:  # what it waited for failed: it gets the error
            try:
                waiting = send.throw(exc)
            except StopIteration:
                return
            continue
        try:
            waiting = send.send(None)
        except StopIteration:
            return
