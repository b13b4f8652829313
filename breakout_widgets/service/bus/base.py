"""The bus interface and its in-process implementation."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from ..store.store import StoredEvent


class EventBus(ABC):
    """Carries committed events to the hubs that deliver them."""

    @abstractmethod
    def publish(self, events: list[StoredEvent]) -> None:
        """Send committed events on their way; never waits."""

    async def start(self) -> None:
        """Connect (nothing to do in-process)."""
        return None  # nothing to do here

    async def stop(self) -> None:
        """Disconnect (nothing to do in-process)."""
        return None  # nothing to do here


class LocalBus(EventBus):
    """One process: events go straight to its hub (what the service did before buses)."""

    def __init__(self, deliver: Callable[[list[StoredEvent]], None]) -> None:
        self._deliver = deliver

    def publish(self, events: list[StoredEvent]) -> None:
        self._deliver(events)
