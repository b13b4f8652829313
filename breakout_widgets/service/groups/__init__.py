"""Breakout groups: join a group by name, get a seat in a shard of at most ``max``.

Modules, each with one job: ``rules`` (checks, no I/O), ``placement`` (how one group's
shards fill, no I/O), ``directory`` (who sits where: an interface and its in-memory
implementation), ``apps`` (keys and maxes), ``live`` (a shard's connections and kept
messages, a member), ``writer`` (group commit of messages), ``service`` (join, leave,
grace, presence), ``messages`` (send, history), ``realtime`` (the WebSocket hello).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..realtime.connection import Connection
from ..settings import Settings
from ..store import Store
from .apps import Apps
from .directory import GroupDirectory, InMemoryGroupDirectory
from .messages import GroupMessages, MemberLimiter
from .realtime import GroupGate
from .service import Groups
from .writer import MessageWriter

__all__ = [
    "GroupDirectory",
    "GroupGate",
    "GroupMessages",
    "Groups",
    "GroupsService",
    "InMemoryGroupDirectory",
]


@dataclass
class GroupsService:
    """The parts the app wires: routes use ``groups`` and ``messages``, the events
    endpoint uses ``gate``."""

    groups: Groups
    messages: GroupMessages
    gate: GroupGate
    writer: MessageWriter

    @classmethod
    async def start(
        cls,
        store: Store,
        settings: Settings,
        cut_off: Callable[[Connection], None],
        directory: GroupDirectory | None = None,
    ) -> GroupsService:
        """Load the apps and start; ``directory`` defaults to this process's memory."""
        apps = Apps(store, settings.admin_key or "", settings.group_max, settings.limits)
        await apps.load()
        groups = Groups(
            apps,
            directory or InMemoryGroupDirectory(),
            grace=settings.group_grace,
            keep=max(settings.resume_window, 1000),
            presence_interval=settings.group_presence_interval,
            limits=settings.limits,
            cut_off=cut_off,
        )
        writer = MessageWriter(store if settings.group_store_messages else None)
        limiter = MemberLimiter(settings.chat_rate, settings.chat_burst)
        messages = GroupMessages(groups, writer, store, limiter)
        groups.start()
        return cls(groups, messages, GroupGate(groups, messages), writer)

    async def stop(self) -> None:
        await self.writer.close()
        await self.groups.stop()
