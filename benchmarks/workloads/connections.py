"""W1 — idle connections held by one server process, and memory per connection.

The server's VmRSS is read after a short warm-up (a few clients in and out) and again
after ``w1_connections`` clients have joined, connected and sat idle for ``w1_hold``
seconds. For our service a connection is a member of a group (shards of 1,000), so
the figure includes the membership; for the baselines it is a member of a room of 1,000.
"""

from __future__ import annotations

import time
from typing import Any

from ..context import Context
from ..targets import is_ours

WARMUP = 20


def run(ctx: Context, kind: str) -> dict[str, Any]:
    profile = ctx.profile
    n = profile.w1_connections
    with ctx.server(kind) as server:
        # Warm up: imports, first routes, first shard; then read the baseline.
        ctx.connect([(i, _room(kind, i), f"warm{i}") for i in range(WARMUP)])
        ctx.close_all()
        time.sleep(1.0)
        rss_base = server.rss_kb()
        ctx.say(f"  W1 {kind}: connecting {n} idle clients")
        done = ctx.connect([(i, _room(kind, i), f"idle{i}") for i in range(n)])
        time.sleep(profile.w1_hold)
        rss = server.rss_kb()
        live = ctx.pool.call("live", {}, timeout=30)
        held = sum(sum(reply["live"].values()) for reply in live)
        ctx.close_all()
    connected = len(done["rooms"])
    return {
        "requested": n,
        "connected": connected,
        "held": held,
        "errors": done["errors"],
        "connect_seconds": round(done["elapsed"], 3),
        "connects_per_s": round(connected / done["elapsed"], 1) if done["elapsed"] else None,
        "server_rss_base_kb": rss_base,
        "server_rss_kb": rss,
        "kb_per_connection": round((rss - rss_base) / held, 2) if held else None,
    }


def _room(kind: str, i: int) -> str:
    # Ours shards the one group by itself (max 1,000); the baselines get rooms of 1,000.
    return "w1" if is_ours(kind) else f"w1-{i // 1000}"
