"""One background event loop per process, in a daemon thread, shared by every controller.

Event connections of all controllers in a process (a notebook, a bot holding thousands
of members) run as tasks on this loop, not as a thread each. It also lets the sync API
work inside Jupyter, whose own loop is busy in the main thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def background_loop() -> asyncio.AbstractEventLoop:
    """The shared loop, started on first use."""
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            threading.Thread(target=run, name="breakout-widgets-events", daemon=True).start()
            ready.wait()
            _loop = loop
        return _loop


def submit(coro: Coroutine[Any, Any, T]) -> Future[T]:
    """Run a coroutine on the shared loop; returns a concurrent Future."""
    return asyncio.run_coroutine_threadsafe(coro, background_loop())
