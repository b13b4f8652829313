"""Event fan-out between service processes: in-process (default) or Redis.

``Classes.published`` hands stored events to a bus; the bus hands them to the hub of
every process that serves the class. ``LocalBus`` is the direct call of one process;
``RedisBus`` (``redis.py``) publishes on Redis pub/sub, and every process, the publisher
included, gives what it receives to its own hub, once and in ``seq`` order per meeting
(``order.py``). ``RedisPresence`` (``presence.py``) makes "online" a property of the
participant across processes. See docs/scale-out.md.
"""

from __future__ import annotations

from .base import EventBus, LocalBus

__all__ = ["EventBus", "LocalBus"]
