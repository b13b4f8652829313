"""One client's WebSocket: what it is subscribed to, a bounded send queue, a sender task.

The hub *offers* every event to the connections subscribed to its meeting; the offer
never waits. A connection whose queue is full is a slow consumer and is cut off (it may
resume later), so one client that stops reading never delays the others.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.websockets import WebSocket

from . import protocol

# Fetch stored events of a meeting with seq > after (at most ``limit``), as JSON texts.
REPLAY = -1  # queue item seq meaning "send the backlog of this meeting up to <text>"

Backlog = Callable[[str, int, int], Awaitable[list[tuple[int, str]]]]


class Connection:
    def __init__(
        self,
        ws: WebSocket,
        *,
        class_id: str,
        participant_id: str | None,
        class_wide: bool,
        queue_size: int,
        backlog: Backlog,
        window: int,
    ) -> None:
        self.ws = ws
        self.class_id = class_id
        self.participant_id = participant_id
        self.class_wide = class_wide  # hosts and the admin see every meeting of the class
        self.sent: dict[str, int | None] = {}  # meeting -> last seq sent (None: from next)
        self.unsubscribed: set[str] = set()  # meetings the client asked not to follow
        self.meeting: str | None = None  # where the participant is, as moves came in
        self.queue: asyncio.Queue[tuple[str | None, int, str]] = asyncio.Queue(queue_size)
        self.closed = False
        self._backlog = backlog
        self._window = window

    # -- called by the hub (never waits) ---------------------------------------------------

    def offer(self, meeting_id: str | None, seq: int, text: str) -> bool:
        """Queue a message; False when the queue is full (the caller cuts us off)."""
        if self.closed:
            return True
        try:
            self.queue.put_nowait((meeting_id, seq, text))
        except asyncio.QueueFull:
            return False
        return True

    def request_replay(self, meeting_id: str, after: int, last_seq: int) -> bool:
        """Ask the sender task to send a meeting's backlog, in order with live events."""
        self.sent[meeting_id] = after
        return self.offer(meeting_id, REPLAY, str(last_seq))

    # -- the sender task -------------------------------------------------------------------

    async def send_control(self, message: dict[str, Any]) -> None:
        await self.ws.send_text(protocol.encode(message))

    async def replay(self, meeting_id: str, after: int, last_seq: int) -> None:
        """Send what the client missed in ``meeting_id`` since ``after``, or say reload."""
        if last_seq - after > self._window:
            await self.send_control(
                {
                    "type": protocol.RELOAD,
                    "meeting_id": meeting_id,
                    "seq": last_seq,
                    "reason": "gap larger than history",
                }
            )
            self.sent[meeting_id] = last_seq
            return
        self.sent[meeting_id] = after
        await self._catch_up(meeting_id, after, last_seq + 1)

    async def _catch_up(self, meeting_id: str, after: int, before: int) -> None:
        for seq, text in await self._backlog(meeting_id, after, before - after - 1):
            if seq >= before:
                break
            await self.ws.send_text(text)
            self.sent[meeting_id] = seq

    async def run_sender(self) -> None:
        """Send queued messages in order; fill gaps from the store; drop what was sent."""
        while True:
            meeting_id, seq, text = await self.queue.get()
            if meeting_id is None:  # a control message
                await self.ws.send_text(text)
                continue
            if seq == REPLAY:  # a subscribe asked for backlog: send it in order, here
                after = self.sent.get(meeting_id)
                if after is not None:  # None: unsubscribed (or moved) since; nothing owed
                    await self.replay(meeting_id, after, int(text))
                continue
            # The hub offered it while we were subscribed; send it even if a later move
            # (in the same batch) unsubscribed us, e.g. a room's "closed" timer event.
            last = self.sent.get(meeting_id)
            if last is not None:
                if seq <= last:
                    continue  # already sent (replay and live overlapped)
                if seq > last + 1:
                    if seq - last > self._window:
                        await self.send_control(
                            {
                                "type": protocol.RELOAD,
                                "meeting_id": meeting_id,
                                "seq": seq - 1,
                                "reason": "gap larger than history",
                            }
                        )
                    else:
                        await self._catch_up(meeting_id, last, seq)
            await self.ws.send_text(text)
            if meeting_id in self.sent:
                self.sent[meeting_id] = seq

    async def close(self, code: int, reason: str) -> None:
        self.closed = True
        with contextlib.suppress(Exception):
            await self.ws.close(code, reason)
