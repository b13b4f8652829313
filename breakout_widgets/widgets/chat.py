"""Chat: the chat of the meeting a participant is in, following them from room to room.

Works with a class participant (``bw.Classroom``; a host may pin a meeting with
``meeting=``) and with a breakout-groups member (``bw.GroupMember``), which has the same
``chat.send`` / ``chat.history`` / ``on`` shape. Live messages are sent to the view from
the event callback itself (cheap: one message); reading history after a move happens on
a worker thread, and the messages that arrived meanwhile are put after it, so nothing is
lost or shown twice across a move.
"""

from __future__ import annotations

import uuid
from typing import Any

import traitlets

from ..client.classroom import Classroom
from ..client.models import Message
from ._base import LiveWidget, Refresher, bundle, clock_offset, styles

PAGE = 50  # messages per history page
RECENT = 200  # live messages kept to bridge a history read


def message_json(m: dict[str, Any]) -> dict[str, Any]:
    """A chat message as the view shows it (``docs/views.md``)."""
    sender = m.get("sender") or {}
    return {
        "id": m.get("id"),
        "seq": m.get("seq"),
        "text": m.get("text", ""),
        "sender": {"id": sender.get("id"), "name": sender.get("name", "")},
        "time": m.get("time"),
        "client_id": m.get("client_id"),
    }


def meeting_label(meeting: Any) -> str:
    """ "Main meeting" for a class's main meeting, else the room's (or group's) title."""
    return "Main meeting" if getattr(meeting, "kind", None) == "main" else meeting.title


class Chat(LiveWidget):
    """Messages of the meeting you are in; Enter sends, Shift+Enter is a new line.

    ``Chat(me)`` follows ``me`` (a ``bw.Classroom`` or a ``bw.GroupMember``) to whichever
    room they are moved to. A host may show one meeting instead: ``Chat(cls,
    meeting="Room 2")``.
    """

    _esm = bundle("chat")
    _css = styles("chat")

    meeting_id = traitlets.Unicode("").tag(sync=True)
    meeting_title = traitlets.Unicode("").tag(sync=True)
    me = traitlets.Dict().tag(sync=True)
    max_length = traitlets.Int(4000).tag(sync=True)

    def __init__(self, me: Any, *, meeting: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._who = me
        self._in_class = isinstance(me, Classroom)
        self._pinned = meeting is not None
        self._recent: list[dict[str, Any]] = []
        self._moved = False
        # Seqs sent since the last history: our own message's seq can come back before a
        # lower one of someone else's arrives, so "highest seq shown" would drop that one.
        self._history_top = 0
        self._sent: set[int] = set()
        self._loaded = False  # the current meeting's history was sent
        person = me.me
        self.me = {"id": person.id, "name": person.name}
        self.clock_offset = clock_offset(me.url)
        self._locate(meeting)
        self._refresher = Refresher(self._load_history, name="Chat-history", delay=0.0)
        self._listen(me, "chat_message", self._on_chat)
        if self._in_class:
            self._listen(me, "meeting_changed", self._on_moved)
            self._listen(me, "broadcast", self._on_broadcast)
            self._listen(me, "timer", self._on_timer)
        self._listen(me, "reload", self._poke)
        self._poke()

    # -- where we are -----------------------------------------------------------------------

    def _locate(self, pinned: str | None = None) -> None:
        """Read which meeting to show (blocking HTTP: never on the event loop)."""
        if pinned is not None and self._in_class:
            from ..client import _activity_plans as plans

            mid = self._who._t.run(plans.meeting_id(self._who._core, pinned))
            title = "Main meeting" if mid == self._who.id else self._title_of(mid)
        else:
            meeting = self._who.meeting
            mid, title = meeting.id, meeting_label(meeting)
        with self._lock:
            if mid != self.meeting_id:
                self._recent, self._loaded = [], False
            self.meeting_id, self.meeting_title = mid, title

    def _title_of(self, meeting_id: str) -> str:
        for room in self._who.breakout.history():
            if room["id"] == meeting_id:
                return room["title"]
        return meeting_id

    # -- events (on the shared event loop: keep them short) ---------------------------------------

    def _on_chat(self, event: dict[str, Any]) -> None:
        data = event.get("data") or {}
        m = message_json({**data, "seq": event.get("seq"), "time": event.get("time")})
        with self._lock:
            if event.get("meeting_id") != self.meeting_id:
                return
            self._recent = [*self._recent[-RECENT + 1 :], m]
            self._show(m)

    def _show(self, m: dict[str, Any]) -> None:
        """Send one live message unless the history had it or it was sent already."""
        seq = m["seq"] or 0
        if self._loaded and seq > self._history_top and seq not in self._sent:
            self._sent.add(seq)
            self.send({"kind": "message", "message": m})

    def _on_moved(self, event: dict[str, Any]) -> None:
        data = event.get("data") or {}
        if self._pinned or data.get("participant_id") != self.me.get("id"):
            return
        with self._lock:
            self._loaded = False
            self.meeting_id = data.get("to") or self.meeting_id
            self._recent = []
        self._moved = True
        self._poke()

    def _on_broadcast(self, event: dict[str, Any]) -> None:
        data = event.get("data") or {}
        sender = (data.get("sender") or {}).get("name") or "Host"
        self._system(f"{sender} to everyone: {data.get('text', '')}", event.get("time"))

    def _on_timer(self, event: dict[str, Any]) -> None:
        data = event.get("data") or {}
        if data.get("phase") == "warning":
            left = round(float(data.get("seconds_left") or 0))
            self._system(f"The rooms close in {left} s.", event.get("time"))
        elif data.get("phase") == "closed":
            self._system("The rooms are closed.", event.get("time"))

    def _system(self, text: str, when: float | None) -> None:
        self.send({"kind": "system", "text": text, "time": when})

    # -- history (worker thread) ------------------------------------------------------------

    def _load_history(self) -> None:
        moved, self._moved = self._moved, False
        if moved or not self.meeting_title:
            self._locate()
        mid = self.meeting_id
        page = self._history(mid, None)
        with self._lock:
            if mid != self.meeting_id:
                return  # moved again meanwhile; that move queued another load
            self._send_history(page, reset=True)
            if moved:
                self._system(f"You are now in {self.meeting_title}.", None)

    def _send_history(self, page: list[dict[str, Any]], *, reset: bool) -> None:
        shown = [message_json(m) for m in page]
        if reset:
            top = max((m["seq"] or 0 for m in shown), default=0)
            later = sorted(
                {m["seq"]: m for m in self._recent if (m["seq"] or 0) > top}.values(),
                key=lambda m: m["seq"],
            )
            shown += later
            self._history_top = top
            self._sent = {m["seq"] for m in later}
            self._loaded = True
        self.send(
            {
                "kind": "history",
                "meeting_id": self.meeting_id,
                "messages": shown,
                "reset": reset,
                "complete": len(page) < PAGE,
            }
        )

    def _history(self, meeting_id: str, before: int | None) -> list[Message]:
        if self._in_class:
            return self._who.chat.history(meeting_id, before=before, limit=PAGE)
        return self._who.chat.history(before=before, limit=PAGE)

    def _send_snapshot(self) -> None:
        if self._loaded:  # a second view, or a reloaded page: the latest page again
            self._poke()

    # -- commands ----------------------------------------------------------------------------

    def _do_send(self, c: dict[str, Any]) -> None:
        text = str(c.get("text") or "")
        client_id = str(c.get("client_id") or uuid.uuid4().hex)
        if self._in_class:
            m = self._who.chat.send(text, client_id, meeting=self.meeting_id)
        else:
            m = self._who.chat.send(text, client_id)
        shown = message_json(m)
        with self._lock:  # our own message, before the reply; its live copy is then skipped
            self._show(shown)

    def _do_older(self, c: dict[str, Any]) -> None:
        before = c.get("before")
        page = self._history(self.meeting_id, int(before) if before else None)
        with self._lock:
            self._send_history(page, reset=False)

    def __repr__(self) -> str:
        return f"Chat({self.me.get('name', '')!r}, showing={self.meeting_title!r})"
