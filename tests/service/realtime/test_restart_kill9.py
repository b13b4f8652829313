"""kill -9 of the service after it acknowledged messages, then a restart on the same
SQLite file: the history is intact and a client resuming with its last seq gets the
rest exactly once, in order.

The service runs as a real subprocess (``breakout-widgets serve``); it is SIGKILLed while
a sender is still posting, so some requests are in flight when it dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from rt_helpers import Ws, chat_of, expect, new_classroom
from websockets.exceptions import ConnectionClosed

LISTENING = re.compile(r"breakout-widgets service listening on (http://\S+)")


class Service:
    """``breakout-widgets serve`` in a subprocess on a free port."""

    def __init__(self, tmp_path: Path, name: str) -> None:
        self.log_path = tmp_path / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "breakout_widgets.cli",
                "serve",
                "--port",
                "0",
                "--db",
                str(tmp_path / "db.sqlite"),
                "--data-dir",
                str(tmp_path),
                "--log-level",
                "warning",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.url = self._wait_for_url()
        self.admin_key = (tmp_path / "admin_key").read_text().strip()

    def _wait_for_url(self, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = LISTENING.search(self.log_path.read_text(errors="replace"))
            if found:
                return found.group(1)
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"the service did not start:\n{self.log_path.read_text()}")

    def kill9(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._log.close()


async def test_kill9_after_acknowledged_messages_then_restart(tmp_path):
    first = Service(tmp_path, "first")
    second = None
    try:
        async with httpx.AsyncClient(base_url=first.url, timeout=10) as http:
            k = await new_classroom(http, first.url, first.admin_key, "Ada", "Bob")
            await k.start_rooms({"Red": ["Ada", "Bob"]})
            red = k.rooms["Red"]

            ada = await Ws(first.url, k.tokens["Ada"]).open()
            host = await Ws(first.url, k.host_token).open()
            acked: list[dict] = []

            async def send_until_dead() -> None:
                for i in range(10_000):
                    try:
                        response = await k.chat("Bob", f"msg {i}", client_id=f"bob-{i}")
                    except httpx.HTTPError:
                        return  # the service died under us: this one may or may not be stored
                    if response.status_code == 429:
                        await asyncio.sleep(float(response.json()["error"]["retry_after"]))
                        continue
                    acked.append(expect(response, 201))

            async def read_until_dead(ws: Ws) -> None:
                with contextlib.suppress(ConnectionClosed, asyncio.TimeoutError):
                    while True:
                        await ws.next(timeout=30)

            sender = asyncio.create_task(send_until_dead())
            # Ada reads 5 messages, then her notebook goes away; the host stays till the end
            await ada.collect(chat_of(red), 5)
            await ada.close()
            reader = asyncio.create_task(read_until_dead(host))
            while len(acked) < 15:
                await asyncio.sleep(0.005)
            first.kill9()  # while the sender is still posting
            await asyncio.wait_for(sender, 10)
            await asyncio.wait_for(reader, 10)
            await host.close()
        assert len(acked) >= 15

        second = Service(tmp_path, "second")
        assert second.admin_key == first.admin_key
        async with httpx.AsyncClient(base_url=second.url, timeout=10) as http:
            k.http = http
            # every acknowledged message is there, once, in order
            history = await k.history(k.host_token, red, limit=500)
            stored = history["messages"]
            ids = [m["id"] for m in stored]
            assert len(ids) == len(set(ids))
            assert [m["seq"] for m in stored] == sorted(m["seq"] for m in stored)
            assert ids[: len(acked)] == [a["id"] for a in acked], "acknowledged = stored"
            assert len(stored) - len(acked) <= 1, "at most the one in flight at the kill"
            # a retry of the in-flight message after the restart makes no duplicate
            retry = expect(
                await k.chat("Bob", f"msg {len(acked)}", client_id=f"bob-{len(acked)}"), 201
            )
            if len(stored) > len(acked):
                assert retry["id"] == stored[-1]["id"]
            after_restart = [retry] + [
                expect(await k.chat("Bob", f"after restart {i}"), 201) for i in range(5)
            ]

            # Ada (offline since the 5th message) and the host (dropped by the kill) resume
            final = after_restart[-1]
            history = await k.history(k.host_token, red, limit=500)
            for before in (ada, host):
                seen_before = [m["data"]["text"] for m in before.events("chat_message", red)]
                resumed = await Ws(second.url, before.token, resume=dict(before.last)).open()
                resumed.received = before.received
                try:
                    await resumed.wait_for(
                        lambda m: chat_of(red)(m) and m["seq"] == final["seq"], timeout=10
                    )
                    await resumed.quiet(0.2)
                finally:
                    await resumed.close()
                texts = [m["data"]["text"] for m in resumed.events("chat_message", red)]
                assert texts == [m["text"] for m in history["messages"]], "each once, in order"
                for meeting in (k.id, red):
                    seqs = [m["seq"] for m in resumed.events(meeting_id=meeting)]
                    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), meeting
                print(
                    f"\nkill -9 after {len(acked)} acknowledged messages: a client that had seen "
                    f"{len(seen_before)} resumed with {len(texts) - len(seen_before)} more"
                )
            assert len([m for m in ada.events("chat_message")]) == len(history["messages"])
    finally:
        first.kill9()
        if second is not None:
            second.kill9()
