"""``GroupConnection`` without sockets: it writes at once while the transport is writable,
queues behind a paused transport without losing or reordering anything, skips what the
replay sent, and reports a slow consumer once its queue is full."""

from __future__ import annotations

import asyncio

from breakout_widgets.service.groups.connection import GroupConnection
from breakout_widgets.service.groups.live import Member

GUID = "g_0000000000000001"


class FakeWebSocket:
    """The ASGI side of a WebSocket: ``_send`` waits while ``writable`` is clear."""

    def __init__(self) -> None:
        self.writable = asyncio.Event()
        self.writable.set()
        self.texts: list[str] = []
        self.closed: tuple[int, str] | None = None
        self.broken = False

    async def _send(self, message: dict) -> None:
        await self.writable.wait()
        if self.broken:
            raise OSError("the client went away")
        self.texts.append(message["text"])

    async def send_text(self, text: str) -> None:
        await self._send({"type": "websocket.send", "text": text})

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def _connection(ws: FakeWebSocket, queue_size: int = 100) -> GroupConnection:
    member = Member("u_1", "Ada", None, "default", "article", GUID, "hash", 0.0)

    async def backlog(guid: str, after: int, limit: int) -> list[tuple[int, str]]:
        return []

    conn = GroupConnection(ws, member, queue_size=queue_size, backlog=backlog, window=100)  # type: ignore[arg-type]
    conn.sent = {GUID: 0}
    return conn


async def test_writes_at_once_while_writable_and_holds_nothing_when_idle():
    ws = FakeWebSocket()
    conn = _connection(ws)
    await conn.run_sender()
    for seq in (1, 2, 3):
        assert conn.offer(GUID, seq, f"m{seq}")
        assert ws.texts[-1] == f"m{seq}"  # written inside offer: no task, no queue
    assert conn.offer(None, 0, "pong")
    assert ws.texts == ["m1", "m2", "m3", "pong"]
    assert conn._pending is None and conn._flusher is None
    assert conn.offer(GUID, 2, "m2 again")  # a seq already sent is skipped
    assert ws.texts[-1] == "pong"


async def test_a_paused_transport_queues_in_order_and_resumes():
    ws = FakeWebSocket()
    conn = _connection(ws)
    await conn.run_sender()
    conn.offer(GUID, 1, "m1")
    ws.writable.clear()  # the client stopped reading
    for seq in range(2, 12):
        assert conn.offer(GUID, seq, f"m{seq}")
    assert ws.texts == ["m1"] and conn._flusher is not None
    ws.writable.set()
    await conn._flusher
    assert ws.texts == [f"m{i}" for i in range(1, 12)]
    assert conn._pending is None and conn._flusher is None
    conn.offer(GUID, 12, "m12")
    assert ws.texts[-1] == "m12"


async def test_a_slow_consumer_is_reported_when_its_queue_is_full():
    ws = FakeWebSocket()
    conn = _connection(ws, queue_size=5)
    await conn.run_sender()
    ws.writable.clear()
    results = [conn.offer(GUID, seq, f"m{seq}") for seq in range(1, 9)]
    assert results == [True] * 6 + [False] * 2  # one in flight, five queued
    await conn.close(4008, "too slow")
    assert ws.closed == (4008, "too slow") and conn._flusher is None
    assert conn.offer(GUID, 9, "m9")  # closed: offers are dropped quietly


async def test_offers_during_the_replay_wait_and_skip_what_the_replay_sent():
    ws = FakeWebSocket()
    conn = _connection(ws)
    conn.offer(GUID, 4, "m4")  # arrived while the hello's replay of 1..4 ran
    conn.offer(GUID, 5, "m5")
    assert ws.texts == []
    conn.sent[GUID] = 4  # what the replay sent
    await conn.run_sender()
    await conn._flusher
    assert ws.texts == ["m5"]


async def test_a_failed_send_closes_the_connection():
    ws = FakeWebSocket()
    conn = _connection(ws)
    await conn.run_sender()
    ws.broken = True
    conn.offer(GUID, 1, "m1")
    for _ in range(10):
        await asyncio.sleep(0)
    assert ws.closed == (1011, "send failed") and conn.closed
