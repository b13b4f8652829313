"""Two service processes on one PostgreSQL schema and one Redis (a prefix per test).

Redis is never optional here: when it cannot be reached the tests fail and say so.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from breakout_widgets.service.server import BackgroundServer
from breakout_widgets.service.settings import Settings

PG_URL = os.environ.get("BW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
GRACE = 1.0  # short grace periods: presence and group membership


async def _redis(*command: str) -> object:
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL, socket_connect_timeout=5)
    try:
        return await redis.execute_command(*command)
    finally:
        await redis.aclose()


async def _delete_prefix(prefix: str) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    try:
        keys = [k async for k in redis.scan_iter(match=prefix + "*", count=1000)]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    try:
        asyncio.run(_redis("PING"))
    except Exception as exc:  # a missing Redis is a failure, never a skip
        pytest.fail(
            f"Redis is not reachable at {REDIS_URL} ({exc!r}); start it "
            "(redis-server) or set BW_TEST_REDIS_URL",
            pytrace=False,
        )
    prefix = f"bwtest{secrets.token_hex(4)}:"
    yield prefix
    asyncio.run(_delete_prefix(prefix))


@dataclass
class Pair:
    """Process A and process B of one deployment."""

    a: BackgroundServer
    b: BackgroundServer

    @property
    def admin_key(self) -> str:
        return self.a.settings.admin_key or ""


@pytest.fixture
def make_pair(pg_schema: str, redis_prefix: str, tmp_path: Path) -> Iterator[Callable[..., Pair]]:
    """``make_pair(**settings)``: processes A and B, started; stopped after the test."""
    servers: list[BackgroundServer] = []

    def make(**overrides: object) -> Pair:
        key = "bwadmin_" + secrets.token_urlsafe(16)
        started = []
        for name in ("a", "b"):
            settings = Settings(
                db=PG_URL,
                db_schema=pg_schema,
                data_dir=tmp_path / f"{name}{len(servers)}",
                admin_key=key,
                redis_url=REDIS_URL,
                redis_prefix=redis_prefix,
                redis_ttl=3.0,
                presence_grace=GRACE,
                group_grace=GRACE,
                group_presence_interval=0.2,
                chat_rate=1000.0,
                chat_burst=1000.0,
                timer_poll=0.5,
            )
            server = BackgroundServer(replace(settings, **overrides))  # type: ignore[arg-type]
            servers.append(server)
            server.start()
            started.append(server)
        return Pair(*started)

    yield make
    for server in servers:
        server.stop()
