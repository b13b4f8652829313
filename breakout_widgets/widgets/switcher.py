"""MeetingSwitcher: the main meeting and the rooms, where I am, and a way to move.

A switch button appears only where the participant's preset allows it; the service
checks again on every switch, so the button is a convenience, not the permission.
"""

from __future__ import annotations

import threading
from typing import Any

import traitlets

from ..client.classroom import Classroom
from ..service.domain.permissions import CAN_ALTER, CAN_SWITCH_ROOMS, CAN_SWITCH_TO_MAIN
from ._base import LiveWidget, bundle, clock_offset, styles

STATE_EVENTS = ("state_update", "meeting_changed", "timer", "reload")


def meeting_list(
    state: dict[str, Any], class_id: str, current: str, permissions: dict[str, bool]
) -> list[dict[str, Any]]:
    """Main first, then the open rooms, each with its head count and whether I may go."""
    counts: dict[str, int] = {}
    for p in state["participants"]:
        counts[p["meeting_id"]] = counts.get(p["meeting_id"], 0) + 1
    host = permissions.get(CAN_ALTER, False)
    to_main = host or permissions.get(CAN_SWITCH_TO_MAIN, False)
    to_rooms = host or permissions.get(CAN_SWITCH_ROOMS, False)
    meetings = [
        {
            "id": class_id,
            "title": "Main meeting",
            "kind": "main",
            "count": counts.get(class_id, 0),
            "can_switch": to_main and current != class_id,
        }
    ]
    for room in state["rooms"]:
        if room["status"] != "open":
            continue  # a draft room cannot be entered yet
        meetings.append(
            {
                "id": room["id"],
                "title": room["title"],
                "kind": "room",
                "count": counts.get(room["id"], 0),
                "can_switch": to_rooms and current != room["id"],
            }
        )
    return meetings


class MeetingSwitcher(LiveWidget):
    """Where I am (highlighted), the other meetings with head counts, and switch buttons.

    ``MeetingSwitcher(me)`` takes a participant's ``bw.Classroom``.
    """

    _esm = bundle("switcher")
    _css = styles("switcher")

    meetings = traitlets.List(traitlets.Dict()).tag(sync=True)
    current = traitlets.Unicode("").tag(sync=True)
    moving = traitlets.Bool(False).tag(sync=True)
    breakout = traitlets.Dict().tag(sync=True)

    def __init__(self, me: Classroom, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._me = me
        self._read_lock = threading.Lock()
        self.clock_offset = clock_offset(me.url)
        self._read()
        self._refresh_in_background(self._read)
        for event_type in STATE_EVENTS:
            self._listen(me, event_type, self._poke)
        self._listen(me, "changing_meeting", self._on_changing)
        self._listen(me, "meeting_changed", self._on_changed)

    def _read(self) -> None:
        with self._read_lock:
            me = self._me._t.run(self._me._core._plan_me())  # where I am and what I may do
            state = self._me.breakout.refresh()
            current = me["meeting"]["id"]
            meetings = meeting_list(state, self._me.id, current, me["permissions"])
            with self._lock:
                self.meetings = meetings
                self.current = current
                self.breakout = {
                    "status": state["status"],
                    "closes_at": state.get("closes_at"),
                    "warning": state.get("warning"),
                }

    def _mine(self, event: dict[str, Any]) -> bool:
        return (event.get("data") or {}).get("participant_id") == self._me.me.id

    def _on_changing(self, event: dict[str, Any]) -> None:
        if self._mine(event):
            self.moving = True

    def _on_changed(self, event: dict[str, Any]) -> None:
        if self._mine(event):
            self.current = (event.get("data") or {}).get("to") or self.current
            self.moving = False

    def _do_switch(self, c: dict[str, Any]) -> None:
        target = str(c.get("meeting") or "")
        self.moving = True
        try:
            self._me.switch("main" if target == self._me.id else target)
        finally:
            self.moving = False
        self._read()

    def __repr__(self) -> str:
        here = next((m["title"] for m in self.meetings if m["id"] == self.current), "?")
        return f"MeetingSwitcher(in={here!r}, meetings={len(self.meetings)})"
