"""What every workload gets: the profile, the load generators, logging, server starts."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from .launch import Server, start_server
from .pool import WorkerPool
from .profiles import Profile

T = TypeVar("T")
Member = tuple[int, str, str]  # (idx, room or group name, user name)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass
class Context:
    profile: Profile
    pool: WorkerPool
    say: Callable[[str], None] = _stderr
    started: float = field(default_factory=time.monotonic)

    def server(self, kind: str) -> Server:
        """A fresh server of ``kind``; use it as a context manager so it always stops."""
        server = start_server(kind)
        try:
            self.pool.call("target", {"spec": server.spec()}, timeout=30)
        except BaseException:
            server.stop()
            raise
        return server

    def by_worker(self, items: Sequence[T]) -> list[list[T]]:
        """Deal ``items`` round-robin to the workers."""
        return [list(items[i :: self.pool.size]) for i in range(self.pool.size)]

    def connect(self, members: Sequence[Member], timeout: float = 600) -> dict[str, Any]:
        """Join and connect members (spread round-robin over the workers)."""
        replies = self.pool.call(
            "connect",
            [
                {"members": part, "concurrency": self.profile.connect_concurrency}
                for part in self.by_worker(members)
            ],
            timeout=timeout,
        )
        rooms: dict[int, str] = {}
        errors: Counter[str] = Counter()
        for reply in replies:
            rooms.update(reply["rooms"])
            errors.update(reply["errors"])
        elapsed = max(r["end"] for r in replies) - min(r["start"] for r in replies)
        return {"rooms": rooms, "errors": dict(errors), "elapsed": elapsed}

    def close_all(self) -> None:
        self.pool.call("close_all", {}, timeout=60)


def admin_client(server: Server) -> httpx.Client:
    """REST calls with the app (admin) key, for setup and checks."""
    return httpx.Client(
        base_url=server.url,
        headers={"Authorization": f"Bearer {server.app_key}"},
        timeout=30,
    )


def set_group_max(server: Server, names: Sequence[str], size: int) -> list[str]:
    """``PUT /v1/apps/default/groups/{name}`` ``{"max": size}`` for each name; returns the
    answers that were not a success (``[]`` when all were)."""
    refused = []
    with admin_client(server) as http:
        for name in names:
            answer = http.put(f"/v1/apps/default/groups/{name}", json={"max": size})
            if answer.status_code >= 300:
                refused.append(f"{name}: HTTP {answer.status_code} {answer.text[:120]}")
    return refused
