"""``RedisBus``: a class's events and a shard's messages through Redis pub/sub.

Channels (``prefix`` is ``Settings.redis_prefix``, ``"bw:"`` by default):

* ``{prefix}ev:{class_id}``: the events of one class, a JSON batch per transaction.
  Every process listens to all of them (one pattern subscription made at start, so no
  event is missed while a first connection of a class subscribes) and gives them to its
  hub in ``seq`` order, once (``MeetingOrder``).
* ``{prefix}gch:{guid}``: one shard's messages, subscribed only by the processes that
  hold a member of it (``watch``/``unwatch``). Frames are ``m <seq> <event text>`` and
  ``l <uid>`` (a member left: close their sockets here too).

Publishing never waits: frames go into a queue that one task sends in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from ..store.store import StoredEvent
from .base import EventBus
from .order import MeetingOrder

log = logging.getLogger("breakout_widgets.bus")

Deliver = Callable[[list[StoredEvent]], None]
Backfill = Callable[[str, int, int], Awaitable[list[StoredEvent]]]  # meeting, after, limit
ShardFrame = Callable[[str, str], None]  # guid, frame


class RedisBus(EventBus):
    """Events of every class and messages of watched shards, across processes."""

    def __init__(self, redis: Redis, prefix: str, deliver: Deliver, backfill: Backfill) -> None:
        self.redis = redis
        self.prefix = prefix
        self.deliver = deliver  # the hub's publish
        self.on_shard: ShardFrame = lambda guid, frame: None  # set by the groups
        self._backfill = backfill
        self._order: MeetingOrder[StoredEvent] = MeetingOrder(self._fill, lambda e: e.seq)
        self._class_of: dict[str, str] = {}  # meeting -> class, for backfilled events
        self._outbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._watched: set[str] = set()
        self._pubsub: PubSub | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self._pubsub = await self._subscribed()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._send_loop()), loop.create_task(self._receive_loop())]

    async def stop(self) -> None:
        while not self._outbox.empty() and not self._tasks[0].done():
            await asyncio.sleep(0.01)  # what was published goes out before we leave
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()

    # -- meetings ---------------------------------------------------------------------------

    def publish(self, events: list[StoredEvent]) -> None:
        by_class: dict[str, list[list[Any]]] = {}
        for e in events:
            by_class.setdefault(e.class_id, []).append(
                [e.meeting_id, e.seq, e.type, e.data, e.created_at]
            )
        for class_id, batch in by_class.items():
            payload = json.dumps({"c": class_id, "e": batch}, separators=(",", ":"))
            self._outbox.put_nowait((f"{self.prefix}ev:{class_id}", payload))

    async def _on_events(self, payload: str) -> None:
        body = json.loads(payload)
        class_id = body["c"]
        ordered: list[StoredEvent] = []
        for meeting_id, seq, kind, data, time in body["e"]:
            self._class_of[meeting_id] = class_id
            event = StoredEvent(meeting_id, seq, kind, data, time, class_id)
            ordered += await self._order.accept(meeting_id, event)
        if ordered:
            self.deliver(ordered)

    async def _fill(self, meeting_id: str, after: int, before: int) -> list[StoredEvent]:
        class_id = self._class_of.get(meeting_id, "")
        events = await self._backfill(meeting_id, after, before - after - 1)
        return [StoredEvent(*_fields(e), class_id) for e in events]

    # -- shards -----------------------------------------------------------------------------

    def shard_channel(self, guid: str) -> str:
        return f"{self.prefix}gch:{guid}"

    def publish_shard(self, guid: str, frame: str) -> None:
        self._outbox.put_nowait((self.shard_channel(guid), frame))

    async def watch(self, guid: str) -> None:
        """Receive this shard's frames (a process holding one of its members)."""
        if guid not in self._watched:
            self._watched.add(guid)
            if self._pubsub is not None:
                await self._pubsub.subscribe(self.shard_channel(guid))

    async def unwatch(self, guid: str) -> None:
        if guid in self._watched:
            self._watched.discard(guid)
            if self._pubsub is not None:
                with contextlib.suppress(Exception):
                    await self._pubsub.unsubscribe(self.shard_channel(guid))

    # -- the two tasks ----------------------------------------------------------------------

    async def _subscribed(self) -> PubSub:
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.psubscribe(f"{self.prefix}ev:*")
        if self._watched:
            await pubsub.subscribe(*(self.shard_channel(g) for g in self._watched))
        return pubsub

    async def _send_loop(self) -> None:
        while True:
            channel, payload = await self._outbox.get()
            while True:
                try:
                    await self.redis.publish(channel, payload)
                    break
                except Exception:  # Redis restarting: retry; clients resume by seq anyway
                    log.exception("publishing on %s failed; retrying", channel)
                    await asyncio.sleep(0.5)

    async def _receive_loop(self) -> None:
        shard_prefix = f"{self.prefix}gch:"
        while True:
            try:
                assert self._pubsub is not None
                async for message in self._pubsub.listen():
                    channel = _text(message["channel"])
                    data = _text(message["data"])
                    if message["type"] == "pmessage":
                        await self._on_events(data)
                    elif message["type"] == "message" and channel.startswith(shard_prefix):
                        self.on_shard(channel[len(shard_prefix) :], data)
            except asyncio.CancelledError:
                raise
            except Exception:  # the connection broke: make a new one, subscribe again
                log.exception("the Redis subscription failed; subscribing again")
                await asyncio.sleep(0.5)
                with contextlib.suppress(Exception):
                    self._pubsub = await self._subscribed()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _fields(e: StoredEvent) -> tuple[str, int, str, dict[str, Any], float]:
    return e.meeting_id, e.seq, e.type, e.data, e.created_at
