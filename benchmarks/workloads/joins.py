"""W4 — joins per second into shards of 1,000 and of 30, and the shard invariants.

For our service two figures per shard size:

* ``joins_per_s`` — ``POST /v1/groups/join`` alone, ``w4_concurrency`` in flight per load
  generator, every user a new name in one group whose max is the shard size;
* ``connects_per_s`` — a join followed by the WebSocket ``hello`` (a user who joins and
  listens), the figure comparable with the baselines, whose "join" is a WebSocket
  connect plus a join message into room ``i // size``.

After each run the shards are checked twice: from the join answers (no guid handed to
more than max users, no uid twice) and from the service (``GET /v1/groups?name=`` and
``GET /v1/groups/{guid}/members``: no shard over its max, nobody in two shards).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..context import Context, admin_client, set_group_max
from ..launch import Server
from ..targets import is_ours


def run(ctx: Context, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for size in ctx.profile.w4_sizes:  # a fresh server each: no leftover members
        with ctx.server(kind) as server:
            result: dict[str, Any] = {"shard_size": size}
            if is_ours(kind):
                result |= _rest_joins(ctx, server, size)
            result |= _connect_joins(ctx, server, kind, size)
            out[str(size)] = result
    return out


def _rest_joins(ctx: Context, server: Server, size: int) -> dict[str, Any]:
    profile = ctx.profile
    group = f"w4-{size}"
    notes = set_group_max(server, [group], size)
    joins = [(group, f"j{size}-{i}") for i in range(profile.w4_joins)]
    ctx.say(f"  W4 {server.kind} shards of {size}: {len(joins)} REST joins")
    replies = ctx.pool.call(
        "joins",
        [{"joins": part, "concurrency": profile.w4_concurrency} for part in ctx.by_worker(joins)],
        timeout=600,
    )
    results = [r for reply in replies for r in reply["results"]]
    errors: Counter[str] = Counter()
    for reply in replies:
        errors.update(reply["errors"])
    elapsed = max(r["end"] for r in replies) - min(r["start"] for r in replies)
    per_guid = Counter(guid for _, guid, _ in results)
    per_uid = Counter(uid for _, _, uid in results)
    answers = {
        "shards_over_max": sum(1 for n in per_guid.values() if n > size),
        "uids_twice": sum(1 for n in per_uid.values() if n > 1),
    }
    service = check_shards(server, group, size)
    return {
        "joins": len(results),
        "join_errors": dict(errors),
        "join_seconds": round(elapsed, 3),
        "joins_per_s": round(len(results) / elapsed, 1) if elapsed else None,
        "shards": len(per_guid),
        "answer_check": answers,
        "service_check": service,
        "violations": sum(answers.values()) + service["violations"],
        "notes": notes,
    }


def _connect_joins(ctx: Context, server: Server, kind: str, size: int) -> dict[str, Any]:
    n = ctx.profile.w4_connects
    if is_ours(kind):
        group = f"w4c-{size}"
        notes = set_group_max(server, [group], size)
        members = [(i, group, f"c{size}-{i}") for i in range(n)]
    else:
        notes = []
        members = [(i, f"w4-{size}-{i // size}", f"c{size}-{i}") for i in range(n)]
    ctx.say(f"  W4 {kind} shards of {size}: {n} joins with a connection")
    try:
        done = ctx.connect(members)
        rooms = Counter(done["rooms"].values())
        result: dict[str, Any] = {
            "connects": len(done["rooms"]),
            "connect_errors": done["errors"],
            "connect_seconds": round(done["elapsed"], 3),
            "connects_per_s": round(len(done["rooms"]) / done["elapsed"], 1)
            if done["elapsed"]
            else None,
            "connect_rooms": len(rooms),
            "connect_rooms_over_max": sum(1 for c in rooms.values() if c > size),
        }
        if is_ours(kind):
            check = check_shards(server, group, size)
            result["connect_service_check"] = check
            result["violations"] = check["violations"] + result["connect_rooms_over_max"]
            result["notes"] = notes
    finally:
        ctx.close_all()
    return result


def check_shards(server: Server, group: str, size: int) -> dict[str, Any]:
    """Ask the service: no shard of ``group`` over its max, nobody in two shards."""
    with admin_client(server) as http:
        answer = http.get("/v1/groups", params={"name": group})
        if answer.status_code != 200:
            return {"error": f"HTTP {answer.status_code}", "violations": 0, "checked": False}
        shards = answer.json().get("shards", [])
        seen: Counter[str] = Counter()
        over = 0
        other_max = 0
        for shard in shards:
            limit = shard.get("max") or size
            other_max += limit != size
            members = http.get(f"/v1/groups/{shard['guid']}/members").json().get("members", [])
            seen.update(m if isinstance(m, str) else m.get("uid", "") for m in members)
            count = shard.get("members", 0)
            count = len(count) if isinstance(count, list) else int(count or 0)
            if len(members) > limit or count > limit:
                over += 1
    twice = sum(1 for n in seen.values() if n > 1)
    return {
        "checked": True,
        "shards": len(shards),
        "members": sum(seen.values()),
        "over_max": over,
        "shards_with_other_max": other_max,
        "in_two_shards": twice,
        "violations": over + twice,
    }
