"""AssignmentBoard: the instructor's control panel for the breakout rooms.

Rooms, the timer and the help queue are small and travel as traits. The roster grows
with the class, so it travels as messages: the whole roster when a view asks, then only
the cards that changed. Every change the service announces (another host, the Python
API, the timer, people coming and going) makes the board read the state once more and
send the difference.
"""

from __future__ import annotations

import threading
from typing import Any

import traitlets

from ..client.classroom import Classroom
from ..errors import Conflict
from ._base import LiveWidget, bundle, clock_offset, styles

# Events after which the board reads the breakout state again.
STATE_EVENTS = (
    "state_update",
    "meeting_changed",
    "presence",
    "media_changed",
    "timer",
    "reload",
)


def card(p: dict[str, Any]) -> dict[str, Any]:
    """A participant as a card of the board (``docs/views.md``)."""
    return {
        "id": p["id"],
        "name": p["name"],
        "host": p["preset"] == "host",
        "room_id": p.get("room_id"),
        "meeting_id": p["meeting_id"],
        "online": bool(p.get("online")),
        "mic": bool(p.get("mic")),
        "camera": bool(p.get("camera")),
    }


def roster_diff(
    old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The cards that are new or changed, and the ids that are gone."""
    changed = [c for pid, c in new.items() if old.get(pid) != c]
    removed = [pid for pid in old if pid not in new]
    return changed, removed


class AssignmentBoard(LiveWidget):
    """Rooms as columns, people as cards: move, shuffle, start, broadcast and close.

    ``AssignmentBoard(cls)`` takes a host's ``bw.Classroom``. Drag a card to move someone
    (or select it and use "Move to…"); every change made elsewhere shows up by itself.
    """

    _esm = bundle("board")
    _css = styles("board")

    title = traitlets.Unicode("").tag(sync=True)
    rooms = traitlets.List(traitlets.Dict()).tag(sync=True)
    breakout = traitlets.Dict().tag(sync=True)
    help_queue = traitlets.List(traitlets.Dict()).tag(sync=True)

    def __init__(self, cls: Classroom, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cls = cls
        self._cards: dict[str, dict[str, Any]] = {}
        self._help_due = False
        self._read_lock = threading.Lock()
        self.title = cls.title
        self.clock_offset = clock_offset(cls.url)
        self._read_state(send=False)
        self._read_help()
        self._refresh_in_background(self._refresh)
        for event_type in STATE_EVENTS:
            self._listen(cls, event_type, self._poke)
        self._listen(cls, "help_requested", self._poke_help)

    # -- reading the service ----------------------------------------------------------------

    def _read_state(self, *, send: bool = True, full: bool = False) -> None:
        # One read at a time (worker and commands), so an older answer never lands last.
        with self._read_lock:
            self._apply(self._cls.breakout.refresh(), send=send, full=full)

    def _apply(self, state: dict[str, Any], *, send: bool, full: bool) -> None:
        cards = {p["id"]: card(p) for p in state["participants"]}
        with self._lock:
            self.rooms = [{"id": r["id"], "title": r["title"]} for r in state["rooms"]]
            self.breakout = {
                "status": state["status"],
                "closes_at": state.get("closes_at"),
                "warning": state.get("warning"),
                "can_recreate": bool(state.get("can_recreate")),
                "version": state["version"],
            }
            old, self._cards = self._cards, cards
            if not send:
                return
            if full:
                self._send_snapshot()
                return
            changed, removed = roster_diff(old, cards)
            if changed or removed:
                self.send({"kind": "roster", "full": False, "changed": changed, "removed": removed})

    def _read_help(self) -> None:
        titles = {r["id"]: r["title"] for r in self.rooms}
        queue = [
            {
                "id": h.id,
                "participant_id": h.participant_id,
                "name": h.name,
                "meeting_id": h.meeting_id,
                "room_title": "Main meeting"
                if h.meeting_id == self._cls.id
                else titles.get(h.meeting_id, h.room or h.meeting_id),
                "since": h.since,
            }
            for h in self._cls.help_queue
            if h.resolved_at is None
        ]
        with self._lock:
            self.help_queue = sorted(queue, key=lambda h: h["since"])

    def _poke_help(self, event: dict[str, Any]) -> None:
        self._help_due = True
        self._poke()

    def _refresh(self) -> None:
        self._read_state()
        if self._help_due:
            self._help_due = False
            self._read_help()

    def _send_snapshot(self) -> None:
        self.send({"kind": "roster", "full": True, "participants": list(self._cards.values())})

    # -- commands from the view -------------------------------------------------------------

    def _write(self, call: Any, *args: Any) -> None:
        # The write carries the version this board showed: if another host changed the
        # rooms since, the service refuses it (Conflict) instead of acting on a stale view.
        self._cls._core._version = self.breakout.get("version")
        call(*args)
        self._read_state()

    def _after_error(self, exc: BaseException) -> None:
        if isinstance(exc, Conflict):
            self._read_state(full=True)
            self.notice("Another host changed the rooms first; the board was reloaded.", "error")

    def _do_move(self, c: dict[str, Any]) -> None:
        self._write(self._cls.breakout.move, c["participant"], c.get("room") or None)

    def _do_shuffle(self, c: dict[str, Any]) -> None:
        seed = str(c.get("seed") or "").strip()
        self._write(self._cls.breakout.shuffle, int(seed) if seed.isdigit() else (seed or None))

    def _do_add_room(self, c: dict[str, Any]) -> None:
        title = str(c.get("title") or "").strip()
        if title:
            self._write(self._cls.breakout.add, title)
        else:
            self._write(self._cls.breakout.create, 1)

    def _do_rename_room(self, c: dict[str, Any]) -> None:
        self._write(self._cls.breakout.rename, c["room"], str(c.get("title") or ""))

    def _do_delete_room(self, c: dict[str, Any]) -> None:
        self._write(self._cls.breakout.delete, c["room"])

    def _do_recreate(self, c: dict[str, Any]) -> None:
        self._write(self._cls.breakout.recreate)

    def _do_start(self, c: dict[str, Any]) -> None:
        self._write(self._cls.breakout.start, c.get("duration"), c.get("warning"))

    def _do_close(self, c: dict[str, Any]) -> None:
        self._write(self._cls.breakout.close, c.get("countdown"))

    def _do_broadcast(self, c: dict[str, Any]) -> None:
        self._cls.breakout.broadcast(str(c.get("text") or ""))

    def _do_resolve_help(self, c: dict[str, Any]) -> None:
        self._cls.resolve_help(c["request"])
        self._read_help()

    # -- for notebooks ------------------------------------------------------------------------

    @property
    def participants(self) -> list[dict[str, Any]]:
        """The cards as the board shows them now (for tests and notebooks)."""
        with self._lock:
            return list(self._cards.values())

    def __repr__(self) -> str:
        people = sum(not c["host"] for c in self._cards.values())
        return (
            f"AssignmentBoard({self.title!r}, rooms={len(self.rooms)}, "
            f"participants={people}, status={self.breakout.get('status')!r})"
        )
