"""Who sits in which shard: the ``GroupDirectory`` interface and its in-memory implementation.

Membership is online-only, so the directory is not in the database. One process keeps it
in memory (``InMemoryGroupDirectory``); several processes would share one in Redis (a
Lua script per placement keeps it atomic) behind the same interface. The methods are
async for that reason; the in-memory one never awaits inside them, so a placement is
atomic: no other join runs between choosing a shard and taking the place.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .placement import Shard, Shards
from .rules import new_guid


@dataclass(frozen=True)
class Seat:
    """Where a join was placed."""

    guid: str
    number: int
    created: bool  # the join opened this shard
    created_at: float  # the shard's
    updated_at: float
    max: int | None = None  # the group's max, when the directory keeps it (Redis)


@dataclass(frozen=True)
class ShardInfo:
    """A shard as the directory sees it now."""

    guid: str
    app_id: str
    name: str
    number: int
    members: int
    max: int
    created_at: float
    updated_at: float

    def to_json(self) -> dict[str, object]:
        return {"guid": self.guid, "number": self.number, "members": self.members, "max": self.max}


class GroupDirectory(ABC):
    """Placement of members into numbered shards of at most ``max`` per (app, name)."""

    @abstractmethod
    async def place(self, app_id: str, name: str, uid: str, max_size: int) -> Seat:
        """Seat ``uid`` in the lowest-numbered shard of (app, name) with room, or a new one
        numbered with the lowest free number. ``max_size`` is the group's max now."""

    @abstractmethod
    async def release(self, guid: str, uid: str) -> bool:
        """Free ``uid``'s place in ``guid``; True when the shard emptied and is gone."""

    @abstractmethod
    async def shard(self, guid: str) -> ShardInfo | None:
        """The shard, or None when there is none with that guid (any more)."""

    @abstractmethod
    async def shards(self, app_id: str, name: str) -> list[ShardInfo]:
        """The shards of a group, lowest number first."""

    @abstractmethod
    async def members(self, guid: str) -> list[str]:
        """The uids seated in a shard (empty for an unknown guid)."""

    @abstractmethod
    async def count(self, guid: str) -> int:
        """How many members a shard has now (0 when it is gone)."""

    @abstractmethod
    async def set_max(self, app_id: str, name: str, max_size: int) -> None:
        """Apply a new max to a group's existing shards for later placements."""

    # -- shared by several processes (``RedisGroupDirectory``); one process needs none ----

    shared = False  # True: members, seqs and counts live outside this process

    async def counts(self, guids: list[str]) -> dict[str, int]:
        """Member counts of several shards at once."""
        return {g: await self.count(g) for g in guids}

    async def lapse(self, guid: str, uid: str) -> float:
        """Seconds until ``uid``'s place lapses; 0 when it lapsed (freed now) or is gone."""
        return 0.0

    async def keep(self, guid: str, members: list[tuple[str, str]], seconds: float) -> None:
        """Keep these (uid, token hash) places for ``seconds`` more: they are connected."""
        return None  # nothing to do here

    async def remember(self, token_hash: str, record: dict[str, Any]) -> None:
        """Keep a member's record for the other processes (it lapses with the place)."""
        return None  # nothing to do here

    async def recall(self, token_hash: str) -> dict[str, Any] | None:
        """A member's record, from whichever process they joined through."""
        return None

    async def forget(self, token_hash: str) -> None:
        """The membership ended: the token works nowhere any more."""
        return None  # nothing to do here

    async def next_seq(self, guid: str) -> int:
        """The next message number of a shard, unique across processes (0: shard gone)."""
        raise NotImplementedError

    async def last_seq(self, guid: str) -> int:
        """The last message number given in a shard."""
        raise NotImplementedError


class InMemoryGroupDirectory(GroupDirectory):
    """The directory of one service process."""

    def __init__(
        self, clock: Callable[[], float] = time.time, new_id: Callable[[], str] = new_guid
    ) -> None:
        self.clock = clock
        self.new_id = new_id
        self._groups: dict[tuple[str, str], Shards] = {}
        self._by_guid: dict[str, tuple[tuple[str, str], Shard]] = {}

    async def place(self, app_id: str, name: str, uid: str, max_size: int) -> Seat:
        key = (app_id, name)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = Shards(max_size)
        elif group.max != max_size:
            group.set_max(max_size)
        shard, created = group.place(uid, self.new_id, self.clock())
        if created:
            self._by_guid[shard.guid] = (key, shard)
        return Seat(shard.guid, shard.number, created, shard.created_at, shard.updated_at)

    async def release(self, guid: str, uid: str) -> bool:
        found = self._by_guid.get(guid)
        if found is None:
            return False
        key, shard = found
        group = self._groups[key]
        if not group.release(shard.number, uid, self.clock()):
            return False
        del self._by_guid[guid]
        if not group:
            del self._groups[key]  # no shard left: forget the group (its max stays in Apps)
        return True

    async def shard(self, guid: str) -> ShardInfo | None:
        found = self._by_guid.get(guid)
        return None if found is None else self._info(*found)

    async def shards(self, app_id: str, name: str) -> list[ShardInfo]:
        key = (app_id, name)
        group = self._groups.get(key)
        if group is None:
            return []
        return [self._info(key, group.by_number[n]) for n in sorted(group.by_number)]

    async def members(self, guid: str) -> list[str]:
        found = self._by_guid.get(guid)
        return sorted(found[1].members) if found else []

    async def set_max(self, app_id: str, name: str, max_size: int) -> None:
        group = self._groups.get((app_id, name))
        if group is not None:
            group.set_max(max_size)

    async def count(self, guid: str) -> int:
        found = self._by_guid.get(guid)
        return len(found[1].members) if found else 0

    def _info(self, key: tuple[str, str], shard: Shard) -> ShardInfo:
        return ShardInfo(
            shard.guid,
            key[0],
            key[1],
            shard.number,
            len(shard.members),
            self._groups[key].max,
            shard.created_at,
            shard.updated_at,
        )
