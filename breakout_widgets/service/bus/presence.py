"""Presence across processes: a participant is online while any process has a connection.

Each process keeps counting its own connections in the hub (with its grace period) and
tells Redis when a participant arrives in it and when they leave it for good. The rule:

* ``{prefix}pr:{participant_id}`` is the set of process ids that hold the participant
  (connected, or within that process's grace period);
* the ``presence`` event ``online: true`` is recorded by the process whose arrival
  finds the set empty, ``online: false`` by the one whose departure empties it. Each
  change is one Lua script, so exactly one process sees each transition;
* a process is alive while its key ``{prefix}inst:{id}`` exists (TTL ``ttl``, renewed
  every ``ttl / 3``). A process that dies stops renewing; the next renewal of any other
  process removes the dead one from the sets it was in (``{prefix}inst:{id}:pr`` lists
  them) and records ``online: false`` for those it leaves empty. Meanwhile
  ``online()`` already counts only live processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis

log = logging.getLogger("breakout_widgets.bus")

Changed = Callable[[str, str, bool], None]  # class_id, participant_id, online

ARRIVE = """
local before = redis.call('SCARD', KEYS[1])
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
if before == 0 then return 1 end
return 0
"""

DEPART = """
redis.call('SREM', KEYS[2], ARGV[2])
if redis.call('SREM', KEYS[1], ARGV[1]) == 1 and redis.call('SCARD', KEYS[1]) == 0 then
  return 1
end
return 0
"""

ONLINE = """
local out = {}
for n, key in ipairs(KEYS) do
  out[n] = 0
  for _, id in ipairs(redis.call('SMEMBERS', key)) do
    if redis.call('EXISTS', ARGV[1] .. 'inst:' .. id) == 1 then out[n] = 1 break end
  end
end
return out
"""

REAP = """
local gone = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'inst:' .. id) == 0 then
    redis.call('SREM', KEYS[1], id)
    local held = ARGV[1] .. 'inst:' .. id .. ':pr'
    for _, who in ipairs(redis.call('SMEMBERS', held)) do
      local key = ARGV[1] .. 'pr:' .. string.match(who, '^(%S+)')
      if redis.call('SREM', key, id) == 1 and redis.call('SCARD', key) == 0 then
        table.insert(gone, who)
      end
    end
    redis.call('DEL', held)
  end
end
return gone
"""


class RedisPresence:
    """The hub's presence hook and ``Classes.online`` for several processes."""

    def __init__(self, redis: Redis, prefix: str, instance: str, ttl: float = 15.0) -> None:
        self.redis = redis
        self.prefix = prefix
        self.instance = instance
        self.ttl = ttl
        self.on_change: Changed = lambda class_id, pid, online: None  # records the event
        self._arrive = redis.register_script(ARRIVE)
        self._depart = redis.register_script(DEPART)
        self._online = redis.register_script(ONLINE)
        self._reap = redis.register_script(REAP)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._beat: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[tuple[str, str, bool]] = asyncio.Queue()

    @property
    def _me(self) -> str:
        return f"{self.prefix}inst:{self.instance}"

    async def start(self) -> None:
        await self._renew()
        loop = asyncio.get_running_loop()
        self._beat = loop.create_task(self._heartbeat())
        self._tasks.add(loop.create_task(self._apply_loop()))

    async def stop(self) -> None:
        for task in [t for t in (self._beat, *self._tasks) if t is not None]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        # Gone now: the others' next renewal records who was only here as offline.
        with contextlib.suppress(Exception):
            await self.redis.delete(self._me)

    def changed(self, class_id: str, participant_id: str, online: bool) -> None:
        """The hub's hook: the participant arrived in / left this process (in order)."""
        self._queue.put_nowait((class_id, participant_id, online))

    async def online(self, participant_ids: list[str]) -> set[str]:
        """Who of these has a connection (or is in a grace period) in a live process."""
        if not participant_ids:
            return set()
        ids = list(participant_ids)
        keys = [self._key_of(pid) for pid in ids]
        flags = await self._online(keys=keys, args=[self.prefix])
        return {pid for pid, flag in zip(ids, flags, strict=True) if flag}

    # -- inside -----------------------------------------------------------------------------

    def _key_of(self, participant_id: str) -> str:
        # The class is part of what a process holds (for the reaper), not of the key:
        # a participant id is unique across classes.
        return f"{self.prefix}pr:{participant_id}"

    async def _apply_loop(self) -> None:
        while True:
            class_id, pid, online = await self._queue.get()
            try:
                script = self._arrive if online else self._depart
                keys = [self._key_of(pid), f"{self._me}:pr"]
                if await script(keys=keys, args=[self.instance, pid + " " + class_id]):
                    self.on_change(class_id, pid, online)
            except Exception:
                log.exception("presence of %s not recorded in Redis", pid)

    async def _renew(self) -> None:
        await self.redis.set(self._me, "1", px=int(self.ttl * 1000))
        await self.redis.sadd(f"{self.prefix}instances", self.instance)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                await self._renew()
                for who in await self._reap(keys=[f"{self.prefix}instances"], args=[self.prefix]):
                    pid, _, class_id = _text(who).partition(" ")
                    self.on_change(class_id, pid, False)
            except Exception:
                log.exception("renewing this process in Redis failed")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
