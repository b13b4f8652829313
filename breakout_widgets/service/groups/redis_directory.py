"""``RedisGroupDirectory``: who sits where, shared by every service process through Redis.

Keys (``p`` is ``Settings.redis_prefix``; a group is (app, name), its key part is a
hash of the name so any name fits):

* ``{p}grp:{app}:{h}`` hash shard number -> guid; ``{p}grp:{app}:{h}:max`` the max;
* ``{p}sh:{guid}`` hash: app, name, number, created, updated, seq (the last message's),
  grp (the group key); ``{p}sh:{guid}:m`` sorted set uid -> deadline (ms, Redis time);
* ``{p}gm:{token_hash}`` a member's record (JSON), expiring with their place.

A place lives until its deadline: ``grace`` after the join, pushed on by ``keep`` while
a process holds a connection of the member. Every script reads the clock of Redis
(``TIME``), never a process's, and drops places past their deadline before it counts, so
a crashed process's members disappear by themselves. Each operation is one Lua script:
placement (lowest-numbered shard with room, else a new one with the lowest free number;
a shard left empty is deleted and its number freed) can never overfill a shard, however
many processes join at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis

from .directory import GroupDirectory, Seat, ShardInfo
from .rules import new_guid

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# Delete shard ``sh`` (key prefix) if nobody is left in it; true when it was deleted.
_DROP_IF_EMPTY = """
local function drop_if_empty(sh)
  local m = sh .. ':m'
  redis.call('ZREMRANGEBYSCORE', m, '-inf', now)
  if redis.call('ZCARD', m) > 0 then return false end
  local grp, number = unpack(redis.call('HMGET', sh, 'grp', 'number'))
  if grp and redis.call('HGET', grp, number) == string.sub(sh, string.len(ARGV[1]) + 4) then
    redis.call('HDEL', grp, number)
  end
  redis.call('DEL', sh, m)
  return true
end
"""

# KEYS[1] group; ARGV: prefix, uid, max, grace ms, guid for a new shard, app, name
PLACE = (
    _NOW
    + _DROP_IF_EMPTY
    + """
local grp, p, uid = KEYS[1], ARGV[1], ARGV[2]
-- A max set for the name (``set_max``, from any process) wins over the caller's default.
local max = tonumber(redis.call('GET', grp .. ':max') or ARGV[3])
local map = redis.call('HGETALL', grp)
local numbers, guids = {}, {}
for i = 1, #map, 2 do
  local n = tonumber(map[i])
  table.insert(numbers, n)
  guids[n] = map[i + 1]
end
table.sort(numbers)
local guid, number, created = nil, nil, 0
for _, n in ipairs(numbers) do
  local sh = p .. 'sh:' .. guids[n]
  if not drop_if_empty(sh) and redis.call('ZCARD', sh .. ':m') < max then
    guid, number = guids[n], n
    break
  end
end
local sh
if not guid then
  number = 1
  while redis.call('HEXISTS', grp, number) == 1 do number = number + 1 end
  guid, created = ARGV[5], 1
  sh = p .. 'sh:' .. guid
  redis.call('HSET', grp, number, guid)
  redis.call('HSET', sh, 'app', ARGV[6], 'name', ARGV[7], 'number', number, 'grp', grp,
             'created', now, 'seq', 0, 'max', max)
else
  sh = p .. 'sh:' .. guid
end
redis.call('ZADD', sh .. ':m', now + tonumber(ARGV[4]), uid)
redis.call('HSET', sh, 'updated', now)
return {guid, number, created, redis.call('HGET', sh, 'created'), now, max}
"""
)

# ARGV: prefix, guid, uid -> 1 the shard emptied and is gone, 0 freed, -1 was not there
RELEASE = (
    _NOW
    + _DROP_IF_EMPTY
    + """
local sh = ARGV[1] .. 'sh:' .. ARGV[2]
if redis.call('ZREM', sh .. ':m', ARGV[3]) == 0 then return -1 end
redis.call('HSET', sh, 'updated', now)
if drop_if_empty(sh) then return 1 end
return 0
"""
)

# ARGV: prefix, guid, uid -> ms until the place lapses; -1 it has lapsed (now freed) or is gone
LAPSE = (
    _NOW
    + _DROP_IF_EMPTY
    + """
local sh = ARGV[1] .. 'sh:' .. ARGV[2]
local deadline = redis.call('ZSCORE', sh .. ':m', ARGV[3])
if deadline and tonumber(deadline) > now then return tonumber(deadline) - now end
if deadline then
  redis.call('ZREM', sh .. ':m', ARGV[3])
  redis.call('HSET', sh, 'updated', now)
  drop_if_empty(sh)
end
return -1
"""
)

# ARGV: prefix, guid, ms, then uid, token hash pairs: push live places (and records) on
KEEP = (
    _NOW
    + """
local m, until_ = ARGV[1] .. 'sh:' .. ARGV[2] .. ':m', now + tonumber(ARGV[3])
for i = 4, #ARGV, 2 do
  local deadline = redis.call('ZSCORE', m, ARGV[i])
  if deadline and tonumber(deadline) > now and tonumber(deadline) < until_ then
    redis.call('ZADD', m, until_, ARGV[i])
    redis.call('PEXPIRE', ARGV[1] .. 'gm:' .. ARGV[i + 1], tonumber(ARGV[3]))
  end
end
return 0
"""
)

# ARGV: prefix, guids... -> live member counts
COUNTS = (
    _NOW
    + """
local out = {}
for i = 2, #ARGV do
  out[i - 1] = redis.call('ZCOUNT', ARGV[1] .. 'sh:' .. ARGV[i] .. ':m', '(' .. now, '+inf')
end
return out
"""
)

# ARGV: prefix, guid -> live uids
MEMBERS = (
    _NOW
    + """
return redis.call('ZRANGEBYSCORE', ARGV[1] .. 'sh:' .. ARGV[2] .. ':m', '(' .. now, '+inf')
"""
)

# KEYS[1] record; ARGV: prefix -> the record while its place is live
RECALL = (
    _NOW
    + """
local record = redis.call('GET', KEYS[1])
if not record then return false end
local r = cjson.decode(record)
local deadline = redis.call('ZSCORE', ARGV[1] .. 'sh:' .. r.guid .. ':m', r.uid)
if deadline and tonumber(deadline) > now then return record end
redis.call('DEL', KEYS[1])
return false
"""
)

# ARGV: prefix, guid -> the next message number, 0 when the shard is gone
NEXT_SEQ = """
local sh = ARGV[1] .. 'sh:' .. ARGV[2]
if redis.call('EXISTS', sh) == 0 then return 0 end
return redis.call('HINCRBY', sh, 'seq', 1)
"""


class RedisGroupDirectory(GroupDirectory):
    """The directory of every process that shares one Redis (and one ``prefix``)."""

    shared = True

    def __init__(
        self, redis: Redis, prefix: str = "bw:", new_id: Callable[[], str] = new_guid
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.new_id = new_id
        self._place = redis.register_script(PLACE)
        self._release = redis.register_script(RELEASE)
        self._lapse = redis.register_script(LAPSE)
        self._keep = redis.register_script(KEEP)
        self._counts = redis.register_script(COUNTS)
        self._members = redis.register_script(MEMBERS)
        self._recall = redis.register_script(RECALL)
        self._next_seq = redis.register_script(NEXT_SEQ)
        self.grace = 30.0  # seconds a new place lasts without a connection (set by Groups)

    def _group(self, app_id: str, name: str) -> str:
        digest = hashlib.sha256(name.encode()).hexdigest()[:32]
        return f"{self.prefix}grp:{app_id}:{digest}"

    # -- placement --------------------------------------------------------------------------

    async def place(self, app_id: str, name: str, uid: str, max_size: int) -> Seat:
        args = [self.prefix, uid, max_size, int(self.grace * 1000), self.new_id(), app_id, name]
        guid, number, created, created_ms, now_ms, max_now = await self._place(
            keys=[self._group(app_id, name)], args=args
        )
        return Seat(
            _text(guid),
            int(number),
            bool(created),
            int(created_ms) / 1000,
            int(now_ms) / 1000,
            int(max_now),
        )

    async def release(self, guid: str, uid: str) -> bool:
        return await self._release(args=[self.prefix, guid, uid]) == 1

    async def lapse(self, guid: str, uid: str) -> float:
        ms = await self._lapse(args=[self.prefix, guid, uid])
        return max(0.0, int(ms) / 1000)

    async def keep(self, guid: str, members: list[tuple[str, str]], seconds: float) -> None:
        flat = [x for pair in members for x in pair]
        await self._keep(args=[self.prefix, guid, int(seconds * 1000), *flat])

    # -- reading ----------------------------------------------------------------------------

    async def shard(self, guid: str) -> ShardInfo | None:
        fields = await self.redis.hgetall(f"{self.prefix}sh:{guid}")
        if not fields:
            return None
        f = {_text(k): _text(v) for k, v in fields.items()}
        count = (await self.counts([guid]))[guid]
        max_size = int(await self.redis.get(f"{f['grp']}:max") or f.get("max", 0))
        return ShardInfo(
            guid,
            f["app"],
            f["name"],
            int(f["number"]),
            count,
            max_size,
            int(f["created"]) / 1000,
            int(f.get("updated", f["created"])) / 1000,
        )

    async def shards(self, app_id: str, name: str) -> list[ShardInfo]:
        by_number = await self.redis.hgetall(self._group(app_id, name))
        found = []
        for number in sorted(by_number, key=int):
            info = await self.shard(_text(by_number[number]))
            if info is not None and info.members:
                found.append(info)
        return found

    async def members(self, guid: str) -> list[str]:
        return sorted(_text(u) for u in await self._members(args=[self.prefix, guid]))

    async def count(self, guid: str) -> int:
        return (await self.counts([guid]))[guid]

    async def counts(self, guids: list[str]) -> dict[str, int]:
        if not guids:
            return {}
        found = await self._counts(args=[self.prefix, *guids])
        return {g: int(n) for g, n in zip(guids, found, strict=True)}

    async def set_max(self, app_id: str, name: str, max_size: int) -> None:
        await self.redis.set(f"{self._group(app_id, name)}:max", max_size)

    # -- members and messages across processes ------------------------------------------------

    async def remember(self, token_hash: str, record: dict[str, Any]) -> None:
        key = f"{self.prefix}gm:{token_hash}"
        await self.redis.set(key, json.dumps(record), px=int(self.grace * 1000) + 1000)

    async def recall(self, token_hash: str) -> dict[str, Any] | None:
        found = await self._recall(keys=[f"{self.prefix}gm:{token_hash}"], args=[self.prefix])
        return json.loads(found) if found else None

    async def forget(self, token_hash: str) -> None:
        await self.redis.delete(f"{self.prefix}gm:{token_hash}")

    async def next_seq(self, guid: str) -> int:
        return int(await self._next_seq(args=[self.prefix, guid]))

    async def last_seq(self, guid: str) -> int:
        return int(await self.redis.hget(f"{self.prefix}sh:{guid}", "seq") or 0)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
