"""What this process holds per shard and per member while they are online.

A ``LiveShard`` numbers the shard's messages, keeps the last ones for resume and fans
each one out to the shard's connections: encoded once, the same text offered to every
connection (an offer never waits; a full queue cuts that connection off). A ``Member``
is one joined user: their token's hash, their connections and their grace timer.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..realtime import protocol
from ..realtime.connection import Connection
from . import rules
from .connection import broadcast, text_frame

if TYPE_CHECKING:
    from .connection import GroupConnection

PRESENCE = "group_presence"


class Member:
    """A user in a shard. Lives in memory only: membership is online-only."""

    __slots__ = (
        "app_id",
        "avatar",
        "client_ids",
        "connections",
        "created_at",
        "group",
        "guid",
        "left",
        "name",
        "timer",
        "token_hash",
        "uid",
    )

    def __init__(
        self,
        uid: str,
        name: str,
        avatar: str | None,
        app_id: str,
        group: str,
        guid: str,
        token_hash: str,
        created_at: float,
    ) -> None:
        self.uid = uid
        self.name = name
        self.avatar = avatar
        self.app_id = app_id
        self.group = group
        self.guid = guid
        self.token_hash = token_hash
        self.created_at = created_at
        self.connections: set[GroupConnection] = set()
        self.timer: asyncio.TimerHandle | None = None  # the grace period, while offline
        self.client_ids: dict[str, asyncio.Future[dict[str, Any]]] | None = None
        self.left = False

    def sender(self) -> dict[str, Any]:
        return {"id": self.uid, "name": self.name, "avatar": self.avatar}

    def to_json(self, token: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "uid": self.uid,
            "name": self.name,
            "avatar": self.avatar,
            "status": "online",  # membership is online-only
            "role": rules.ROLE,
        }
        if token is not None:
            body["authToken"] = token
        body["createdAt"] = self.created_at
        return body


class LiveShard:
    """A shard's messages and connections in this process."""

    __slots__ = ("connections", "guid", "icon", "log", "published", "seq")

    def __init__(self, guid: str, icon: str | None, keep: int) -> None:
        self.guid = guid
        self.icon = icon  # the first one a join gave
        self.seq = 0  # the last number given to a message
        self.published = 0  # the last number sent out (messages are published in order)
        self.log: deque[tuple[int, str]] = deque(maxlen=keep)  # for resume
        self.connections: set[GroupConnection] = set()

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def publish(self, seq: int, text: str, cut_off: Callable[[Connection], None]) -> None:
        """Keep the message for resume and offer it to every connection of the shard."""
        self.log.append((seq, text))
        self.published = seq
        guid = self.guid
        direct: list[Any] = []
        slow: list[GroupConnection] = []
        for conn in self.connections:
            transport = conn.direct_transport(guid, seq)
            if transport is not None:
                direct.append(transport)
            elif not conn.offer(guid, seq, text):
                slow.append(conn)
        if direct:
            broadcast(direct, text_frame(text))  # framed once for all of them
        for conn in slow:
            cut_off(conn)

    def tell(self, count: int) -> None:
        """Offer the member count to every connection not told it yet (encoded once; a
        full queue skips it: that connection is cut off at its next message anyway)."""
        text = None
        for conn in self.connections:
            if conn.told != count:
                conn.told = count
                text = text or self.presence(count)
                conn.offer(None, 0, text)

    async def backlog(self, guid: str, after: int, limit: int) -> list[tuple[int, str]]:
        """Kept messages with ``seq > after``, oldest first (at most ``limit``)."""
        newer = []
        for seq, text in reversed(self.log):
            if seq <= after:
                break
            newer.append((seq, text))
        newer.reverse()
        return newer[:limit]

    def presence(self, count: int) -> str:
        return protocol.encode({"type": PRESENCE, "meeting_id": self.guid, "online": count})
