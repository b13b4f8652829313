"""The Redis parts of a service process that shares its classes and groups with others."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass

from redis.asyncio import BlockingConnectionPool, Redis

from ...errors import Unavailable
from ..groups.redis_directory import RedisGroupDirectory
from ..realtime.hub import Hub
from ..settings import Settings
from ..store import Store
from .presence import RedisPresence
from .redis import RedisBus


@dataclass
class Shared:
    """One Redis connection pool and what uses it: the bus, presence, the group directory."""

    redis: Redis
    bus: RedisBus
    presence: RedisPresence
    directory: RedisGroupDirectory

    @classmethod
    async def start(cls, settings: Settings, hub: Hub, store: Store) -> Shared:
        """Connect to ``settings.redis_url``; a Redis that does not answer is an error."""
        assert settings.redis_url
        # A burst of requests waits for a connection rather than failing (the default
        # pool refuses past its size).
        pool = BlockingConnectionPool.from_url(settings.redis_url, max_connections=64, timeout=20)
        redis = Redis.from_pool(pool)
        try:
            await redis.ping()
        except Exception as exc:
            await redis.aclose()
            raise Unavailable(f"Redis at {settings.redis_url} does not answer: {exc}") from exc
        prefix = settings.redis_prefix
        instance = secrets.token_hex(8)  # this process, for presence
        bus = RedisBus(redis, prefix, hub.publish, store.events)
        presence = RedisPresence(redis, prefix, instance, ttl=settings.redis_ttl)
        directory = RedisGroupDirectory(redis, prefix)
        directory.grace = settings.group_grace
        await bus.start()
        await presence.start()
        return cls(redis, bus, presence, directory)

    async def stop(self) -> None:
        await self.bus.stop()
        await self.presence.stop()
        with contextlib.suppress(Exception):
            await self.redis.aclose()
