"""A load-generator process: holds connections, publishes on a schedule, times deliveries.

Started by ``pool.WorkerPool`` (multiprocessing, spawn), one asyncio loop (uvloop) per
process, one source address 127.0.0.x per process. It obeys commands from the
controller over a pipe, one at a time, and answers each with ``{"ok", "result"}``.
Deliveries are recorded as they arrive (in the transport callback), per step, in a
``stats.Histogram`` of latencies measured from the *intended* send time.

Publishers are open-loop: every message has a time on a fixed schedule and is sent at
that time however the server is doing; when the process falls behind it sends the
overdue messages at once, and their lateness counts as latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import os
import resource
import signal
import sys
import time
import traceback
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any

from . import procstat, targets
from .servers import run_loop
from .stats import Histogram
from .targets import Adapter, Member, OursAdapter, OursRestAdapter, TargetSpec, is_ours
from .wsclient import WsClient

DUMP_THREADS, DUMP_TASKS = signal.SIGUSR1, signal.SIGUSR2  # diagnostics on a timeout
KEEPALIVE_EVERY = 20.0  # the service closes connections silent for 60 s
TEXT_PAD = 48  # message text: "{step}|{time}|{id}|" + padding, ~80 characters


class StepStats:
    __slots__ = ("gaps", "histogram")

    def __init__(self) -> None:
        self.histogram = Histogram()
        self.gaps = 0


class Worker:
    def __init__(self, pipe: Connection, worker_id: int, source: str | None) -> None:
        self.pipe = pipe
        self.id = worker_id
        self.source = source
        self.adapter: Adapter | None = None
        self.http: Any = None
        self.members: dict[int, Member] = {}
        self.steps: dict[int, StepStats] = {}
        self.collected: set[int] = set()
        self.late = 0
        self.gaps = 0
        self.duplicates = 0
        self.dropped = 0
        self.close_codes: Counter[int | None] = Counter()
        self.pending: set[asyncio.Task[Any]] = set()
        self._msg_counter = 0

    # -- command loop -------------------------------------------------------------------

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(DUMP_TASKS, _dump_tasks)
        keepalive = asyncio.create_task(self._keepalive())
        try:
            while True:
                try:
                    call_id, command, args = await loop.run_in_executor(None, self.pipe.recv)
                except (EOFError, OSError):
                    return  # the controller is gone: stop
                if command == "exit":
                    return
                try:
                    result = await getattr(self, f"do_{command}")(**args)
                    reply = {"id": call_id, "ok": True, "result": result}
                except Exception:
                    reply = {"id": call_id, "ok": False, "error": traceback.format_exc(limit=8)}
                self.pipe.send(reply)
        finally:
            keepalive.cancel()
            self._abort_all()
            if self.http is not None:
                await self.http.close()

    async def _keepalive(self) -> None:
        """Ping every ``KEEPALIVE_EVERY`` seconds, each member at its own phase: a tick
        a second pings one bucket of members, as independent clients would (pinging
        thousands at once would stall the server in bursts no real audience makes)."""
        buckets = int(KEEPALIVE_EVERY)
        tick = 0
        while True:
            await asyncio.sleep(1.0)
            tick = (tick + 1) % buckets
            message = self.adapter.keepalive if self.adapter else None
            if message is None:
                continue
            for idx, member in list(self.members.items()):
                client = member.client
                if idx % buckets == tick and client is not None and not client.closed:
                    with contextlib.suppress(Exception):
                        client.send_text(message)

    # -- commands -------------------------------------------------------------------------

    async def do_target(self, spec: TargetSpec, http_limit: int = 64) -> None:
        """Talk to ``spec`` from now on (drops connections to the previous target)."""
        self._abort_all()
        if self.http is not None:
            await self.http.close()
            self.http = None
        if is_ours(spec.kind):
            import aiohttp

            # Idle keep-alive connections close on our side first (uvicorn closes them after
            # 5 s): reusing one the server is closing fails the request for nothing.
            self.http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=http_limit, keepalive_timeout=2.0),
                timeout=aiohttp.ClientTimeout(total=60),
            )
        self.adapter = targets.ADAPTERS[spec.kind](spec, self.http)

    async def do_connect(
        self, members: list[tuple[int, str, str]], concurrency: int, timeout: float = 30.0
    ) -> dict[str, Any]:
        """Join and connect ``(idx, room name, user)`` members, ``concurrency`` at a time."""
        assert self.adapter is not None
        adapter, errors, rooms = self.adapter, Counter[str](), {}
        queue = list(reversed(members))

        async def one_by_one() -> None:
            while queue:
                idx, room_name, user = queue.pop()
                member = Member(idx, room_name, user)
                try:
                    await adapter.enter(member, self.source, timeout)
                except Exception as exc:
                    errors[_short(exc)] += 1
                    continue
                self._adopt(member)
                rooms[idx] = member.room

        started = time.time()
        await asyncio.gather(*(one_by_one() for _ in range(max(1, concurrency))))
        return {"rooms": rooms, "errors": dict(errors), "start": started, "end": time.time()}

    async def do_joins(self, joins: list[tuple[str, str]], concurrency: int) -> dict[str, Any]:
        """REST joins only (ours): ``(group, user)`` pairs → ``(user, guid, uid)`` results."""
        adapter = self.adapter
        assert isinstance(adapter, OursAdapter)
        queue, results, errors = list(reversed(joins)), [], Counter[str]()

        async def one_by_one() -> None:
            while queue:
                group, user = queue.pop()
                try:
                    guid, uid, _ = await adapter.join(group, user)
                except Exception as exc:
                    errors[_short(exc)] += 1
                    continue
                results.append((user, guid, uid))

        started = time.time()
        await asyncio.gather(*(one_by_one() for _ in range(max(1, concurrency))))
        return {"results": results, "errors": dict(errors), "start": started, "end": time.time()}

    async def do_publish(
        self,
        step: int,
        t0: float,
        duration: float,
        publishers: list[tuple[int, float, float]],
        grace: float,
    ) -> dict[str, Any]:
        """Send on a fixed schedule: publisher ``idx`` sends at ``t0 + (k + phase) / rate``
        for every ``k`` that falls inside ``duration``. Waits ``grace`` for REST answers."""
        assert self.adapter is not None
        schedule = []
        for idx, rate, phase in publishers:
            member = self.members.get(idx)
            if member is None or rate <= 0:
                continue
            k = 0
            while (t := t0 + (k + phase) / rate) < t0 + duration:
                schedule.append((t, idx))
                k += 1
        schedule.sort()
        scheduled: Counter[str] = Counter()
        statuses: Counter[str] = Counter()
        rest = isinstance(self.adapter, OursRestAdapter)
        tasks: list[asyncio.Task[Any]] = []
        max_lag = 0.0
        i, n = 0, len(schedule)
        while i < n:
            now = time.time()
            if schedule[i][0] > now:
                await asyncio.sleep(schedule[i][0] - now)
                continue
            while i < n and schedule[i][0] <= now:
                intended, idx = schedule[i]
                i += 1
                max_lag = max(max_lag, now - intended)
                member = self.members[idx]
                scheduled[member.room] += 1
                text, client_id, msg_id = self._message(step, intended)
                if rest:
                    tasks.append(asyncio.create_task(self._post(member, text, client_id, msg_id)))
                    continue
                try:
                    self.adapter.publish(member, text, client_id, msg_id)  # type: ignore[attr-defined]
                    statuses["sent"] += 1
                except Exception as exc:
                    statuses[_short(exc)] += 1
            await asyncio.sleep(0)  # let deliveries in between bursts
        if tasks:
            done, pending = await asyncio.wait(tasks, timeout=grace)
            for task in done:
                statuses[str(task.result())] += 1
            statuses["no answer"] += len(pending)
            self.pending.update(pending)
            for task in pending:
                task.add_done_callback(self.pending.discard)
        return {"scheduled": dict(scheduled), "statuses": dict(statuses), "max_lag": max_lag}

    async def do_count(self, step: int) -> dict[str, int]:
        stats = self.steps.get(step)
        return {"received": stats.histogram.total if stats else 0, "late": self.late}

    async def do_collect(self, step: int) -> dict[str, Any]:
        """This step's deliveries; later ones for it only count as ``late``."""
        self.collected.add(step)
        stats = self.steps.pop(step, None) or StepStats()
        return {
            "histogram": stats.histogram.to_wire(),
            "gaps": stats.gaps,
            "cpu_total": _cpu(),
            "live": self._live_rooms(),
            "dropped": self.dropped,
            "close_codes": {str(k): v for k, v in self.close_codes.items()},
        }

    async def do_live(self) -> dict[str, Any]:
        dead = [i for i, m in self.members.items() if m.client is None or m.client.closed]
        return {
            "live": self._live_rooms(),
            "dead": dead,
            "dropped": self.dropped,
            "cpu_total": _cpu(),
        }

    async def do_rss(self) -> dict[str, int]:
        return {"rss_kb": procstat.rss_kb(), "members": len(self.members)}

    async def do_close_all(self) -> int:
        n = len(self.members)
        self._abort_all()
        return n

    # -- receiving (hot path) -------------------------------------------------------------

    def _adopt(self, member: Member) -> None:
        client = member.client
        assert client is not None
        client.owner = member
        # Anything that queued while joining was a control message: drop it.
        client.on_close = self._closed
        client.on_text = self._received
        self.members[member.idx] = member

    def _received(self, client: WsClient, payload: bytes, now: float) -> None:
        parsed = self.adapter.parse(client, payload)  # type: ignore[union-attr]
        if parsed is None:
            return
        _room, seq, text = parsed
        member: Member = client.owner
        last = member.last_seq
        member.last_seq = seq
        gap = last and seq != last + 1
        if gap:
            if seq <= last:
                self.duplicates += 1
            else:
                self.gaps += 1
        if text is None:
            return
        step_text, sent_text, _ = text.split("|", 2)
        step = int(step_text)
        if step in self.collected:
            self.late += 1
            return
        stats = self.steps.get(step)
        if stats is None:
            stats = self.steps[step] = StepStats()
        stats.histogram.add(now - float(sent_text))
        if gap:
            stats.gaps += 1

    def _closed(self, client: WsClient) -> None:
        self.dropped += 1
        self.close_codes[client.close_code] += 1

    # -- helpers --------------------------------------------------------------------------

    def _message(self, step: int, intended: float) -> tuple[str, str, str]:
        self._msg_counter += 1
        ident = f"{self.id}.{self._msg_counter}"
        text = f"{step}|{intended:.6f}|{ident}|".ljust(TEXT_PAD + 32, "x")
        return text, f"c{ident}", f"msg_{self.id:02d}{self._msg_counter:014d}"

    async def _post(self, member: Member, text: str, client_id: str, msg_id: str) -> int | str:
        try:
            return await self.adapter.publish(member, text, client_id, msg_id)  # type: ignore[union-attr, misc]
        except Exception as exc:
            return _short(exc)

    def _live_rooms(self) -> dict[str, int]:
        live: Counter[str] = Counter()
        for member in self.members.values():
            if member.client is not None and not member.client.closed:
                live[member.room] += 1
        return dict(live)

    def _abort_all(self) -> None:
        for member in self.members.values():
            if member.client is not None:
                member.client.on_close = None
                member.client.abort()
        self.members.clear()
        self.steps.clear()
        self.collected.clear()
        self.late = self.gaps = self.duplicates = self.dropped = 0
        self.close_codes.clear()


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text[:160]


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _dump_tasks() -> None:
    """What every task waits on (the pool asks when a worker does not answer in time)."""
    for task in asyncio.all_tasks():
        task.print_stack(limit=6, file=sys.stderr)
    sys.stderr.flush()


def main(pipe: Connection, worker_id: int, source: str | None) -> None:
    """Process entry point (multiprocessing, spawn)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the controller cleans up on Ctrl-C
    faulthandler.register(DUMP_THREADS, all_threads=True)  # works even if the loop is stuck
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    run_loop(Worker(pipe, worker_id, source).serve())
