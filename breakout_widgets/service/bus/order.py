"""Putting what arrives from Redis back in ``seq`` order, once (no I/O of its own).

Two processes may publish in another order than they committed, a pub/sub message may be
lost while a connection to Redis is re-made, and every process hears its own messages
too. So each receiver keeps, per meeting or shard, the last ``seq`` it passed on:

* ``MeetingOrder``: a class's events are committed one transaction at a time (the class
  lock), so when ``seq`` n arrives, everything before it is already in the database: a
  gap is filled from there at once, and what comes late is dropped.
* ``ShardOrder``: shard messages are numbered (Redis ``INCR``) before they are stored,
  so a gap may be a message still being written by another process: later ones wait for
  it up to ``hold`` seconds, then go on without it (it is in the shard's history).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")

Fill = Callable[[str, int, int], Awaitable[list[T]]]  # key, after, before -> items between


class MeetingOrder(Generic[T]):
    """Per-meeting order of events whose predecessors are always stored already."""

    def __init__(self, fill: Fill[T], seq_of: Callable[[T], int]) -> None:
        self._fill = fill
        self._seq_of = seq_of
        self.last: dict[str, int] = {}  # meeting -> last seq passed on

    async def accept(self, key: str, item: T) -> list[T]:
        """What to pass on, in order: nothing for a duplicate, the gap first for a jump."""
        seq = self._seq_of(item)
        last = self.last.get(key)
        if last is not None and seq <= last:
            return []
        out: list[T] = []
        if last is not None and seq > last + 1:
            out = [e for e in await self._fill(key, last, seq) if last < self._seq_of(e) < seq]
        out.append(item)
        self.last[key] = seq
        return out


class ShardOrder(Generic[T]):
    """Per-shard order of messages that may arrive before an earlier one is stored."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}  # shard -> the seq to pass on next
        self.waiting: dict[str, dict[int, T]] = {}  # shard -> seq -> held back

    def start(self, key: str, last: int) -> None:
        """Begin a shard after ``last`` (what was numbered before this process listened)."""
        self.next.setdefault(key, last + 1)

    def forget(self, key: str) -> None:
        self.next.pop(key, None)
        self.waiting.pop(key, None)

    def accept(self, key: str, seq: int, item: T) -> list[T]:
        """Pass on ``item`` and what it unblocks; hold it while an earlier one is missing."""
        expected = self.next.setdefault(key, seq)
        if seq < expected:
            return []  # a duplicate, or given up on
        held = self.waiting.setdefault(key, {})
        held[seq] = item
        return self._release(key)

    def give_up(self, key: str) -> list[T]:
        """The missing one took too long: skip to the first held back."""
        held = self.waiting.get(key)
        if held:
            self.next[key] = min(held)
        return self._release(key)

    def has_gap(self, key: str) -> bool:
        return bool(self.waiting.get(key))

    def _release(self, key: str) -> list[T]:
        held = self.waiting.get(key, {})
        seq = self.next[key]
        out = []
        while seq in held:
            out.append(held.pop(seq))
            seq += 1
        self.next[key] = seq
        if not held:
            self.waiting.pop(key, None)
        return out
