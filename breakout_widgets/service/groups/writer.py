"""Group commit: the shard messages acknowledged together are written in one transaction.

A send puts its row in the queue and waits. One flush task at a time takes everything
queued so far (up to ``max_batch``) and writes it with one INSERT in one transaction;
while that runs, the next sends queue up behind it. So a burst of messages costs one
commit, not one each, and a message is acknowledged (and sent out) only once it is
stored: what the service acknowledged survives a restart.

Messages are numbered when queued and published in queue order after their commit, so
every shard's messages go out in ``seq`` order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert

from ...errors import Unavailable
from ..store import Store
from .tables import group_messages

log = logging.getLogger("breakout_widgets.groups")


@dataclass
class Pending:
    """One message on its way to the database and then to the shard's connections."""

    row: dict[str, Any]
    publish: Callable[[], None]
    done: asyncio.Future[None]


class MessageWriter:
    """Writes shard messages in batches; ``store=None`` keeps them in memory only."""

    def __init__(self, store: Store | None, max_batch: int = 1000) -> None:
        self.store = store
        self.max_batch = max_batch
        self.batches = 0  # transactions written (for tests and measurements)
        self.rows = 0
        self._queue: list[Pending] = []
        self._task: asyncio.Task[None] | None = None

    def write(self, row: dict[str, Any], publish: Callable[[], None]) -> asyncio.Future[None]:
        """Queue ``row``; the future is done once it is stored and ``publish`` has run."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.store is None:
            publish()
            done.set_result(None)
            return done
        self._queue.append(Pending(row, publish, done))
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._flush())
        return done

    async def _flush(self) -> None:
        try:
            while self._queue:
                batch = self._queue[: self.max_batch]
                del self._queue[: self.max_batch]
                await self._commit(batch)
        finally:
            self._task = None

    async def _commit(self, batch: list[Pending]) -> None:
        assert self.store is not None
        try:
            async with self.store._writing() as conn:  # queued with every other write on SQLite
                await conn.execute(insert(group_messages), [p.row for p in batch])
        except Exception as exc:
            log.exception("writing %d group messages failed", len(batch))
            for p in batch:
                if not p.done.done():
                    p.done.set_exception(Unavailable(f"the message was not stored: {exc!r}"))
            return
        self.batches += 1
        self.rows += len(batch)
        for p in batch:  # in queue order: each shard's messages go out in seq order
            p.publish()
            if not p.done.done():
                p.done.set_result(None)

    async def close(self) -> None:
        """Write what is queued, then stop."""
        task = self._task
        if task is not None:
            with contextlib.suppress(Exception):
                await task
