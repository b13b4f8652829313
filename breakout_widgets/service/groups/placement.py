"""How one group name's shards fill: numbered 1, 2, 3…, each join to the lowest with room.

``Shards`` is plain data with no I/O and no ``await``: a placement is one synchronous
call, so two joins can never both take the last place of a shard. It keeps two heaps so
that a join costs O(log n) even with thousands of shards of 30:

* the numbers of shards that have room (lazily cleaned: an entry whose shard filled up
  or vanished is dropped when it reaches the top), each number at most once;
* the numbers freed by shards that emptied and were deleted, reused lowest first.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Shard:
    """One shard of a group: at most ``max`` members (the group's current max)."""

    guid: str
    number: int
    created_at: float
    updated_at: float
    members: set[str] = field(default_factory=set)


class Shards:
    """Every shard of one (app, group name)."""

    def __init__(self, max_size: int) -> None:
        self.max = max_size
        self.by_number: dict[int, Shard] = {}
        self._open: list[int] = []  # heap: numbers of shards with room (maybe stale)
        self._in_open: set[int] = set()  # numbers present in ``_open``
        self._free: list[int] = []  # heap: numbers below ``_high`` that no shard uses
        self._high = 0  # the highest number ever given

    def __len__(self) -> int:
        return len(self.by_number)

    def set_max(self, max_size: int) -> None:
        """A new max for new placements; shards above it take nobody until they shrink."""
        if max_size == self.max:
            return
        self.max = max_size
        for number, shard in self.by_number.items():
            if len(shard.members) < max_size:
                self._mark_open(number)

    def place(self, uid: str, new_guid: Callable[[], str], now: float) -> tuple[Shard, bool]:
        """Seat ``uid`` in the lowest-numbered shard with room, or in a new one.

        Returns the shard and whether it was created by this placement.
        """
        shard = self._lowest_open()
        created = shard is None
        if shard is None:
            number = heapq.heappop(self._free) if self._free else self._high + 1
            self._high = max(self._high, number)
            shard = Shard(new_guid(), number, now, now)
            self.by_number[number] = shard
            self._mark_open(number)
        shard.members.add(uid)
        shard.updated_at = now
        return shard, created

    def release(self, number: int, uid: str, now: float) -> bool:
        """Free ``uid``'s place; True when the shard emptied and was deleted."""
        shard = self.by_number.get(number)
        if shard is None or uid not in shard.members:
            return False
        shard.members.discard(uid)
        shard.updated_at = now
        if not shard.members:
            del self.by_number[number]
            heapq.heappush(self._free, number)
            return True
        if len(shard.members) < self.max:
            self._mark_open(number)
        return False

    def _lowest_open(self) -> Shard | None:
        while self._open:
            number = self._open[0]
            shard = self.by_number.get(number)
            if shard is not None and len(shard.members) < self.max:
                return shard
            heapq.heappop(self._open)  # full or gone: drop it (it comes back when it has room)
            self._in_open.discard(number)
        return None

    def _mark_open(self, number: int) -> None:
        if number not in self._in_open:
            self._in_open.add(number)
            heapq.heappush(self._open, number)
