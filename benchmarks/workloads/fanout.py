"""W2 — fan-out: deliveries per second where p99 crosses 250 ms; W3 — latency at half.

For each shard size, ``rooms`` rooms of ``fill`` members are joined and connected
(spread over the load generators). Each step offers a fixed load — messages per second
spread evenly over the rooms and over publishing members, at most ``publisher_cap``
per member (the service limits a member to 5/s with bursts of 20) — for
``step_seconds``. A step passes while the p99 latency, counting every delivery that had
not arrived ``drain_seconds`` after the step as infinitely late, stays within 250 ms
and no connection dropped. The load doubles (``factor``) until a step fails, then the
gap between the best pass and the first failure is halved geometrically down to
``precision``. With ``repeat_failed`` a failed step is run once more and the load fails
only if that fails too (a shared machine has bursts of other work). The knee is the best
passing step's measured deliveries per second.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import Any

from .. import procstat
from ..context import Context, set_group_max
from ..launch import Server
from ..profiles import Fanout
from ..stats import Histogram, ms
from ..targets import is_ours

WARMUP_STEP = 999
SETTLE_MAX = 10.0  # seconds to wait for a failed step's backlog to drain
Publishers = list[list[tuple[int, float, float]]]  # per worker: (idx, msgs/s, phase)


class Rooms:
    """Who is in which room, and which worker holds each member."""

    def __init__(self, rooms: dict[str, list[int]], workers: int) -> None:
        self.rooms = {room: sorted(idxs) for room, idxs in sorted(rooms.items())}
        self.workers = workers

    def capacity(self, cap: float, dead: set[int]) -> float:
        """The highest load (msgs/s) publishers may offer without passing ``cap`` each."""
        return sum(len([i for i in idxs if i not in dead]) for idxs in self.rooms.values()) * cap

    def publishers(self, msgs_per_s: float, cap: float, dead: set[int]) -> Publishers:
        """Spread ``msgs_per_s`` evenly over the rooms, then over as few members per room
        as ``cap`` allows, with phases that space all sends evenly in time."""
        out: Publishers = [[] for _ in range(self.workers)]
        per_room = msgs_per_s / len(self.rooms)
        for k, idxs in enumerate(self.rooms.values()):
            alive = [i for i in idxs if i not in dead]
            if not alive:
                continue
            count = min(len(alive), max(1, math.ceil(per_room / cap - 1e-9)))
            first = k % len(alive)  # rotate, so publishers spread over the workers
            for m, idx in enumerate((alive[first:] + alive[:first])[:count]):
                phase = (m + k / len(self.rooms)) / count
                out[idx % self.workers].append((idx, per_room / count, phase))
        return out


def run(ctx: Context, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """W2 and W3 for one target, each ``{shard size: result}``. Every shard size gets a
    fresh server: our service keeps a closed member's seat for a grace period, and their
    release must not land in the next case's measurement."""
    w2: dict[str, Any] = {}
    w3: dict[str, Any] = {}
    for case in ctx.profile.fanout:
        with ctx.server(kind) as server:
            try:
                w2[str(case.size)], w3[str(case.size)] = _case(ctx, server, kind, case)
            finally:
                ctx.close_all()
    return w2, w3


def _case(
    ctx: Context, server: Server, kind: str, case: Fanout
) -> tuple[dict[str, Any], dict[str, Any]]:
    profile = ctx.profile
    names = [f"w2-{case.size}-r{k}" for k in range(case.rooms)]
    setup_notes = set_group_max(server, names, case.size) if is_ours(kind) else []
    members = [
        (k * case.fill + j, names[k], f"u{case.size}-{k}-{j}")
        for k in range(case.rooms)
        for j in range(case.fill)
    ]
    ctx.say(f"  W2 {kind} shards of {case.size}: connecting {len(members)} members")
    joined = ctx.connect(members)
    by_room: dict[str, list[int]] = {}
    for idx, room in joined["rooms"].items():
        by_room.setdefault(room, []).append(idx)
    rooms = Rooms(by_room, ctx.pool.size)
    setup = {
        "rooms": len(by_room),
        "connections": len(joined["rooms"]),
        "room_sizes": sorted(Counter(len(v) for v in by_room.values()).items()),
        "connect_seconds": round(joined["elapsed"], 2),
        "errors": joined["errors"],
        "notes": setup_notes[:5],
    }
    if not by_room:
        raise RuntimeError(f"{kind}: no member could join: {joined['errors']}")
    # Unrecorded warm-up: connection pools open, first code paths run, caches fill.
    warm = max(0.5, profile.step_seconds / 2)
    _step(ctx, server, rooms, WARMUP_STEP, profile.start_deliveries / case.fill / 2, warm)
    steps, knee = _find_knee(ctx, server, kind, rooms, case.fill)
    w2 = {"shard_size": case.size, "setup": setup, "steps": steps, **knee}
    half = knee["knee_msgs_per_s"] / 2 if knee["knee_msgs_per_s"] else steps[0]["msgs_per_s"] / 2
    ctx.say(f"  W3 {kind} shards of {case.size}: {half:.0f} msgs/s for {profile.w3_seconds} s")
    w3 = _step(ctx, server, rooms, 1000 + len(steps), half, profile.w3_seconds)
    w3["shard_size"] = case.size
    return w2, w3


def _find_knee(
    ctx: Context, server: Server, kind: str, rooms: Rooms, fill: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    profile = ctx.profile
    load = profile.start_deliveries / fill  # msgs/s
    best: dict[str, Any] | None = None
    lowest_fail: float | None = None
    steps: list[dict[str, Any]] = []
    why = "max steps"
    deadline = time.monotonic() + profile.budget_seconds
    for _ in range(profile.max_steps):
        dead = _dead(ctx)
        limit = rooms.capacity(profile.publisher_cap, dead)
        load = min(load, limit)
        result = _step(ctx, server, rooms, len(steps), load, profile.step_seconds, dead)
        steps.append(result)
        _say(ctx, result)
        if not result["ok"] and profile.repeat_failed and not result["dropped"]:
            # On a shared machine one bad step may be someone else's burst: a load fails
            # only if a second try fails too.
            result["repeated"] = True
            result = _step(ctx, server, rooms, len(steps), load, profile.step_seconds)
            steps.append(result)
            _say(ctx, result)
        if result["ok"]:
            if best is None or result["deliveries_per_s"] > best["deliveries_per_s"]:
                best = result
        else:
            lowest_fail = load if lowest_fail is None else min(lowest_fail, load)
        passed = best["msgs_per_s"] if best else None
        if time.monotonic() > deadline:
            why = "time budget"
            break
        if lowest_fail is None:
            if load >= limit:
                why = "load generator cap"
                break
            load *= profile.factor
        elif passed is None:
            load = lowest_fail / profile.factor**2  # even the first load failed: go down
        elif lowest_fail / passed <= profile.precision:
            why = "found"
            break
        else:
            load = math.sqrt(passed * lowest_fail)
    if lowest_fail is not None and why == "max steps" and best is not None:
        why = "found (coarse)"
    knee = {
        "knee_deliveries_per_s": best["deliveries_per_s"] if best else 0.0,
        "knee_msgs_per_s": best["msgs_per_s"] if best else 0.0,
        "knee_p99_ms": best["p99_ms"] if best else None,
        "knee_server_us_per_delivery": best["server_us_per_delivery"] if best else None,
        "knee_server_cpu": best["server_cpu"] if best else None,
        "knee_client_cpu": best["client_cpu"] if best else None,
        "knee_machine_cpu": best["machine_cpu"] if best else None,
        "knee_server_cpu_wait": best["server_cpu_wait"] if best else None,
        "first_fail_msgs_per_s": lowest_fail,
        "stopped_by": why,
        "knee_found": lowest_fail is not None and best is not None,
    }
    return steps, knee


def _say(ctx: Context, result: dict[str, Any]) -> None:
    verdict = "ok" if result["ok"] else "FAIL " + result["why"]
    ctx.say(
        f"    step {result['step']}: {result['msgs_per_s']:.0f} msgs/s → "
        f"{result['deliveries_per_s']:.0f} deliveries/s, p99 {result['p99_ms']} ms {verdict}"
    )


def _dead(ctx: Context) -> set[int]:
    dead: set[int] = set()
    for reply in ctx.pool.call("live", {}, timeout=30):
        dead.update(reply["dead"])
    return dead


def _step(
    ctx: Context,
    server: Server,
    rooms: Rooms,
    number: int,
    msgs_per_s: float,
    seconds: float,
    dead: set[int] | None = None,
) -> dict[str, Any]:
    """Offer ``msgs_per_s`` for ``seconds`` and measure what arrives."""
    profile, pool = ctx.profile, ctx.pool
    before = pool.call("live", {}, timeout=30)
    dead = dead if dead is not None else {i for r in before for i in r["dead"]}
    live: Counter[str] = Counter()
    for reply in before:
        live.update(reply["live"])
    dropped_before = sum(r["dropped"] for r in before)
    client_cpu = sum(r["cpu_total"] for r in before)
    server_cpu, server_wait = server.schedstat()
    machine_busy = procstat.machine_busy_seconds()
    start = time.time() + 0.2
    publishers = rooms.publishers(msgs_per_s, profile.publisher_cap, dead)
    published = pool.call(
        "publish",
        [
            {
                "step": number,
                "t0": start,
                "duration": seconds,
                "publishers": mine,
                "grace": profile.drain_seconds,
            }
            for mine in publishers
        ],
        timeout=seconds + profile.drain_seconds + 60,
    )
    scheduled: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for reply in published:
        scheduled.update(reply["scheduled"])
        statuses.update(reply["statuses"])
    expected = sum(n * live[room] for room, n in scheduled.items())
    deadline = start + seconds + profile.drain_seconds
    while time.time() < deadline:
        counts = pool.call("count", {"step": number}, timeout=30)
        if sum(c["received"] for c in counts) >= expected:
            break
        time.sleep(0.05)
    # CPU over the step and its drain: from the first send until all arrived (or gave up).
    elapsed = time.time() - start + 0.2
    cpu_now, wait_now = server.schedstat()
    server_cpu, server_wait = cpu_now - server_cpu, wait_now - server_wait
    machine_busy = procstat.machine_busy_seconds() - machine_busy
    collected = pool.call("collect", {"step": number}, timeout=60)
    histogram = Histogram()
    for reply in collected:
        histogram.merge(Histogram.from_wire(reply["histogram"]))
    client_cpu = sum(r["cpu_total"] for r in collected) - client_cpu
    dropped = sum(r["dropped"] for r in collected) - dropped_before
    delivered = histogram.total
    p99 = histogram.quantile(0.99, expected)
    why = ""
    if dropped:
        why = f"{dropped} connections dropped"
    elif not p99 <= profile.p99_limit:
        missing = expected - delivered
        why = f"p99 > {profile.p99_limit * 1000:.0f} ms"
        why += f" ({missing} missing)" if missing else ""
    result = {
        "step": number,
        "msgs_per_s": round(msgs_per_s, 2),
        "seconds": seconds,
        "connections": sum(live.values()),
        "publishers": sum(len(p) for p in publishers),
        "offered_deliveries_per_s": round(expected / seconds, 1),
        "expected": expected,
        "delivered": delivered,
        "missing": max(0, expected - delivered),
        "deliveries_per_s": round(delivered / seconds, 1),
        "p50_ms": ms(histogram.quantile(0.50, expected)),
        "p99_ms": ms(p99),
        "max_ms": ms(histogram.max_s) if delivered == expected else None,
        "max_received_ms": ms(histogram.max_s),
        "gaps": sum(r["gaps"] for r in collected),
        "publish": dict(statuses),
        "publisher_lag_ms": ms(max(r["max_lag"] for r in published)),
        "server_us_per_delivery": round(server_cpu * 1e6 / delivered, 2) if delivered else None,
        # cores busy while the step ran: ours, the load generators, the whole machine
        "server_cpu": round(server_cpu / elapsed, 2),
        "client_cpu": round(client_cpu / elapsed, 2),
        "machine_cpu": round(machine_busy / elapsed, 2),
        # share of the step the server was ready to run but waited for a CPU (others' load)
        "server_cpu_wait": round(server_wait / elapsed, 3),
        "dropped": dropped,
        "ok": not why,
        "why": why,
    }
    _settle(ctx)
    return result


def _settle(ctx: Context) -> None:
    """Wait until late deliveries of an overloaded step stop arriving."""
    deadline = time.monotonic() + SETTLE_MAX
    last = -1
    while time.monotonic() < deadline:
        late = sum(c["late"] for c in ctx.pool.call("count", {"step": -1}, timeout=30))
        if late == last:
            return
        last = late
        time.sleep(0.3)
