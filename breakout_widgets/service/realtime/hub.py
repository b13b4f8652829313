"""The hub: which connection wants which meeting, and fan-out of stored events.

Events reach the hub only after their transaction committed (``Classes.published``),
each serialised once and offered to every subscribed connection. A participant's
connections follow them: a ``meeting_changed`` for them moves their subscription from
the old room to the new one. Presence is counted here: online while a connection is
open, offline when the last one has been gone for ``presence_grace`` seconds.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable

from ..store.store import StoredEvent
from . import protocol
from .connection import Connection

PresenceHook = Callable[[str, str, bool], None]  # class_id, participant_id, online


class Hub:
    def __init__(self, presence_grace: float = 10.0) -> None:
        self.by_meeting: dict[str, set[Connection]] = defaultdict(set)
        self.by_class: dict[str, set[Connection]] = defaultdict(set)  # class-wide ones
        self.by_participant: dict[str, set[Connection]] = defaultdict(set)
        self.presence_grace = presence_grace
        self.on_presence: PresenceHook = lambda class_id, pid, online: None
        self._offline_timers: dict[str, asyncio.TimerHandle] = {}

    # -- membership -----------------------------------------------------------------------

    def add(self, conn: Connection) -> None:
        if conn.class_wide:
            self.by_class[conn.class_id].add(conn)
        for meeting_id in conn.sent:
            self.by_meeting[meeting_id].add(conn)
        pid = conn.participant_id
        if pid is not None:
            first = not self.by_participant[pid]
            self.by_participant[pid].add(conn)
            timer = self._offline_timers.pop(pid, None)
            if timer is not None:
                timer.cancel()  # back within the grace period: never went offline
            elif first:
                self.on_presence(conn.class_id, pid, True)

    def subscribe(self, conn: Connection, meeting_id: str, after: int | None) -> None:
        conn.sent[meeting_id] = after
        self.by_meeting[meeting_id].add(conn)

    def unsubscribe(self, conn: Connection, meeting_id: str) -> None:
        conn.sent.pop(meeting_id, None)
        self.by_meeting[meeting_id].discard(conn)
        if not self.by_meeting[meeting_id]:
            del self.by_meeting[meeting_id]

    def remove(self, conn: Connection) -> None:
        for meeting_id in list(conn.sent):
            self.unsubscribe(conn, meeting_id)
        self.by_class[conn.class_id].discard(conn)
        if not self.by_class[conn.class_id]:
            del self.by_class[conn.class_id]
        pid = conn.participant_id
        if pid is not None and conn in self.by_participant.get(pid, ()):
            self.by_participant[pid].discard(conn)
            if not self.by_participant[pid]:
                del self.by_participant[pid]
                loop = asyncio.get_running_loop()
                self._offline_timers[pid] = loop.call_later(
                    self.presence_grace, self._went_offline, conn.class_id, pid
                )

    def _went_offline(self, class_id: str, pid: str) -> None:
        self._offline_timers.pop(pid, None)
        if not self.by_participant.get(pid):
            self.on_presence(class_id, pid, False)

    def online(self, participant_ids: list[str]) -> set[str]:
        """Who of these has an open connection to this process (or is within the grace)."""
        return {
            p for p in participant_ids if self.by_participant.get(p) or p in self._offline_timers
        }

    async def online_now(self, participant_ids: list[str]) -> set[str]:
        """``online`` as ``Classes.online`` asks it (awaited: with Redis it is a query)."""
        return self.online(participant_ids)

    # -- fan-out --------------------------------------------------------------------------

    def publish(self, events: list[StoredEvent]) -> None:
        """Offer committed events to every connection that wants them (never waits)."""
        for event in events:
            text = protocol.encode(event.to_json())
            targets = set(self.by_meeting.get(event.meeting_id, ()))
            for conn in self.by_class.get(event.class_id, ()):
                if event.meeting_id in conn.unsubscribed:
                    continue  # a host's explicit unsubscribe holds until they subscribe
                if event.meeting_id not in conn.sent:
                    self.subscribe(conn, event.meeting_id, None)  # a new room
                targets.add(conn)
            for conn in targets:
                if not conn.offer(event.meeting_id, event.seq, text):
                    self.cut_off(conn)
            if event.type == "meeting_changed":
                self._follow(event)

    def _follow(self, event: StoredEvent) -> None:
        """Move a participant's subscriptions with them."""
        pid = event.data.get("participant_id")
        for conn in list(self.by_participant.get(pid, ())):
            if conn.class_wide:
                continue
            old, new = event.data.get("from"), event.data.get("to")
            conn.meeting = new
            if old and old != conn.class_id:
                self.unsubscribe(conn, old)
            if new and new not in conn.sent:
                self.subscribe(conn, new, None)
            conn.offer(
                None,
                0,
                protocol.encode({"type": protocol.SUBSCRIBED, "meetings": sorted(conn.sent)}),
            )

    def cut_off(self, conn: Connection) -> None:
        """Disconnect a slow consumer without waiting for it."""
        if conn.closed:
            return
        self.remove(conn)
        conn.closed = True
        asyncio.get_running_loop().create_task(
            conn.close(protocol.CLOSE_TOO_SLOW, "too slow: resume when you can read again")
        )
