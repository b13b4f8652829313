"""A client that stops reading is cut off (4008); the others' delivery time does not grow.

The service gets a small send queue (50 messages). The host's client connects through a
socket with a tiny receive buffer and stops reading after the welcome, so the service's
writes to it back up (a host follows every room: each broadcast below is one large event
per meeting for it). Two students read normally; the test measures their delivery
latency (REST send → WebSocket receipt) without and with the stuck client, and prints
the figures. Then the stuck client reads again, finds close code 4008 and resumes.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import time

import httpx
import pytest
from rt_helpers import Ws, expect, new_classroom, ws_url
from websockets.asyncio.client import connect

ROOMS = 8
BIG = "\N{GRINNING FACE}" * 4000  # 16 KB of UTF-8 per event: fills buffers quickly


@pytest.fixture
def slow_server(sqlite_backend, make_server):
    return make_server(
        sqlite_backend, send_queue=50, presence_grace=0.1, chat_rate=10_000, chat_burst=10_000
    )


async def _stuck_client(url: str, token: str) -> Ws:
    """A client with a tiny socket buffer that reads nothing after the welcome."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    stuck = Ws(url, token)
    stuck.ws = await connect(
        ws_url(url), sock=sock, compression=None, max_queue=1, ping_interval=None
    )
    await stuck.send({"type": "hello", "token": token})
    stuck.welcome = await stuck.next()
    assert stuck.welcome["type"] == "welcome"
    stuck.last.update(stuck.welcome["meetings"])
    return stuck


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Reader:
    """Reads one client's messages in the background; when each chat text arrived."""

    def __init__(self, ws: Ws) -> None:
        self.ws = ws
        self.arrived: dict[str, float] = {}  # chat text -> perf_counter at receipt
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            message = await self.ws.wait_for(lambda m: True, timeout=3600)
            if message["type"] == "chat_message":
                self.arrived[message["data"]["text"]] = message["_t"]

    def seen(self, type_: str, **data: object) -> bool:
        return any(
            m["type"] == type_ and all(m["data"].get(k) == v for k, v in data.items())
            for m in self.ws.received
        )

    async def wait(self, text: str, timeout: float = 10.0) -> float:
        deadline = time.monotonic() + timeout
        while text not in self.arrived:
            assert time.monotonic() < deadline, f"{text!r} never arrived"
            await asyncio.sleep(0.001)
        return self.arrived[text]

    async def stop(self) -> None:
        self._task.cancel()
        (outcome,) = await asyncio.gather(self._task, return_exceptions=True)
        assert isinstance(outcome, asyncio.CancelledError), outcome


async def _round(k, readers: list[Reader], label: str) -> list[float]:
    """One broadcast (large, to every meeting) and one chat; the chat's latency (ms)."""
    expect(
        await k.http.post(f"/v1/meetings/{k.id}/broadcast", json={"text": BIG}, headers=k.host),
        201,
    )
    sent_at = time.perf_counter()
    expect(await k.chat("Sender", label), 201)
    return [(await reader.wait(label) - sent_at) * 1000 for reader in readers]


async def test_a_stuck_client_is_cut_off_and_the_others_keep_their_pace(slow_server):
    url, admin_key = slow_server.url, slow_server.settings.admin_key
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        k = await new_classroom(http, url, admin_key, "Ada", "Bob", "Sender")
        await k.start_rooms({f"Room {i}": [] for i in range(ROOMS)})  # all stay in main
        main = k.id
        ada = await Ws(url, k.tokens["Ada"]).open()
        bob = await Ws(url, k.tokens["Bob"]).open()
        readers = [Reader(ada), Reader(bob)]
        stuck: Ws | None = None
        try:
            for i in range(5):
                await _round(k, readers, f"warmup {i}")
            baseline: list[float] = []
            for i in range(30):
                baseline += await _round(k, readers, f"baseline {i}")

            stuck = await _stuck_client(url, k.host_token)
            started = time.monotonic()
            with_stuck: list[float] = []
            rounds = 0
            while not readers[0].seen("presence", participant_id=k.host_id, online=False):
                assert time.monotonic() - started < 30, "the stuck client was never cut off"
                with_stuck += await _round(k, readers, f"stuck {rounds}")
                rounds += 1
            cut_after = time.monotonic() - started
            after_cut: list[float] = []
            for i in range(20):
                after_cut += await _round(k, readers, f"after {i}")

            b50, b95 = _p(baseline, 0.5), _p(baseline, 0.95)
            s50, s95 = _p(with_stuck, 0.5), _p(with_stuck, 0.95)
            a50, a95 = _p(after_cut, 0.5), _p(after_cut, 0.95)
            print(
                "\nchat delivery latency, REST send -> WebSocket receipt, 2 readers"
                f" (each round also broadcasts 16 KB to main + {ROOMS} rooms):\n"
                f"  baseline           p50 {b50:6.2f} ms  p95 {b95:6.2f} ms"
                f"  mean {statistics.mean(baseline):6.2f} ms  n={len(baseline)}\n"
                f"  with stuck client  p50 {s50:6.2f} ms  p95 {s95:6.2f} ms"
                f"  mean {statistics.mean(with_stuck):6.2f} ms  n={len(with_stuck)}\n"
                f"  after the cut-off  p50 {a50:6.2f} ms  p95 {a95:6.2f} ms"
                f"  mean {statistics.mean(after_cut):6.2f} ms  n={len(after_cut)}\n"
                f"  stuck client cut off after {rounds} rounds ({cut_after:.2f} s)"
            )
            assert rounds >= 3, "the stuck client should hold out for a few rounds"
            assert s50 < 3 * b50 + 20, (s50, b50)
            assert a50 < 3 * b50 + 20, (a50, b50)

            # the others got every message, once, in order
            for reader in readers:
                chats = [m["data"]["text"] for m in reader.ws.events("chat_message")]
                assert len(chats) == len(set(chats)) == 5 + 30 + rounds + 20
                seqs = [m["seq"] for m in reader.ws.events(meeting_id=main)]
                assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))

            # The stuck client reads again: what was written before the cut-off, then the
            # close code 4008; then it resumes and gets the rest, once and in order.
            assert await stuck.closed_code(timeout=20) == 4008
            await stuck.close()
            resumed = await Ws(url, k.host_token, resume=dict(stuck.last)).open()
            resumed.received = stuck.received
            try:
                marker = expect(await k.chat("Sender", "the end"), 201)
                await resumed.wait_for(
                    lambda m: m["type"] == "chat_message" and m["data"]["text"] == "the end",
                    timeout=20,
                )
                seqs = [m["seq"] for m in resumed.events(meeting_id=main)]
                first = stuck.welcome["meetings"][main] + 1
                assert seqs == list(range(first, marker["seq"] + 1)), "nothing lost or doubled"
                for room in k.rooms.values():
                    seqs = [m["seq"] for m in resumed.events(meeting_id=room)]
                    assert seqs == list(range(stuck.welcome["meetings"][room] + 1, seqs[-1] + 1))
                assert not [m for m in resumed.received if m["type"] == "reload"]
            finally:
                await resumed.close()
        finally:
            for reader in readers:
                await reader.stop()
            for ws in (ada, bob, stuck):
                if ws is not None:
                    await ws.close()


async def test_an_idle_client_is_closed_and_a_pinging_one_is_not(sqlite_backend, make_server):
    server = make_server(sqlite_backend, idle_timeout=0.5)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        k = await new_classroom(http, server.url, server.settings.admin_key, "Ada", "Bob")
        ada = await Ws(server.url, k.tokens["Ada"]).open()
        bob = await Ws(server.url, k.tokens["Bob"]).open()
        try:
            started = time.monotonic()
            for i in range(6):  # Bob pings every 0.2 s for 1.2 s
                await bob.send({"type": "ping", "id": i})
                assert (await bob.wait_for(lambda m: m["type"] == "pong"))["id"] == i
                await asyncio.sleep(0.2)
            assert await ada.closed_code(timeout=5) == 4009
            assert time.monotonic() - started >= 0.45
            expect(await k.chat("Ada", "Bob is still here"), 201)
            got = await bob.wait_for(lambda m: m["type"] == "chat_message")
            assert got["data"]["text"] == "Bob is still here"
        finally:
            await ada.close()
            await bob.close()
