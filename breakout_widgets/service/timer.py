"""The deadline timer: warns before breakout rooms close, and closes them when time is up.

Deadlines live in the database, so a restarted service finds them again; a deadline
already past at start-up closes at once. The timer sleeps until the next deadline, or at
most ``poll`` seconds, since another service process may have set one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from .classes import Classes

log = logging.getLogger("breakout_widgets.timer")


class DeadlineTimer:
    def __init__(self, classes: Classes, poll: float = 5.0) -> None:
        self.classes = classes
        self.poll = poll
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        classes.deadline_changed = self._wake.set

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="breakout-deadline-timer")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def tick(self) -> float:
        """Close what is due; return how long to sleep before the next deadline."""
        now = self.classes.clock()
        sleep = self.poll
        for class_id, closes_at in await self.classes.store.deadlines():
            if closes_at <= now:
                await self.classes.on_deadline(class_id)
                sleep = 0.0  # look again at once: after a warning the close is next
            else:
                sleep = min(sleep, closes_at - now)
        return max(sleep, 0.01)

    async def _run(self) -> None:
        while True:
            try:
                sleep = await self.tick()
            except Exception:  # a database hiccup must not stop the timer for good
                log.exception("deadline timer failed; retrying")
                sleep = 1.0
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), sleep)
