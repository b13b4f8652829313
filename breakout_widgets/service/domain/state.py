"""The state of one class: its main meeting, the current breakout and its people.

The store loads a ``ClassState``, an operation changes it in memory and returns the
events it caused, and the store writes back what changed, all in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...errors import InvalidInput, NotFound
from .permissions import Preset

# Breakout states
DRAFT = "draft"
RUNNING = "running"
CLOSED = "closed"

# Room states: a room is "draft" before the start, "open" while running, "closed" after.
ROOM_DRAFT = "draft"
ROOM_OPEN = "open"
ROOM_CLOSED = "closed"


@dataclass
class Person:
    """A participant of the class and where they are."""

    id: str
    name: str
    preset: Preset
    current: str  # the meeting they are in now: the main meeting's id or a room's id
    assigned: str | None = None  # their room in the current breakout
    mic: bool = False
    camera: bool = False
    order: int = 0  # order of invitation
    token_hash: str = ""  # set once, when invited; only the store reads it

    def snapshot(self) -> tuple[Any, ...]:
        return (self.name, self.preset.name, self.current, self.assigned, self.mic, self.camera)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "preset": self.preset.name,
            "meeting_id": self.current,
            "room_id": self.assigned,
            "mic": self.mic,
            "camera": self.camera,
        }


@dataclass
class Room:
    """A breakout room: a meeting whose parent is the main meeting."""

    id: str
    title: str
    position: int
    status: str = ROOM_DRAFT

    def snapshot(self) -> tuple[Any, ...]:
        return (self.title, self.position, self.status)


@dataclass
class Breakout:
    """One round of breakout rooms, from draft to closed."""

    id: str
    number: int = 1
    status: str = DRAFT
    rooms: list[Room] = field(default_factory=list)
    started_at: float | None = None
    closes_at: float | None = None  # when the service closes the rooms by itself
    warning: float = 60.0  # seconds before closes_at that the warning is due
    closed_at: float | None = None
    snapshot_assignment: dict[str, list[str]] | None = None  # room title -> person ids
    warned: bool = False  # the timer's warning before closes_at went out

    def snapshot(self) -> tuple[Any, ...]:
        return (
            self.status,
            self.started_at,
            self.closes_at,
            self.warning,
            self.closed_at,
            self.warned,
        )

    def live_rooms(self) -> list[Room]:
        return [r for r in self.rooms if r.status != ROOM_CLOSED]


@dataclass
class Event:
    """Something that happened in one meeting; the store gives it the next sequence number."""

    meeting_id: str
    type: str
    data: dict[str, Any]


@dataclass
class ClassState:
    """A main meeting with its people and its current (or last) breakout."""

    id: str
    title: str
    version: int
    people: dict[str, Person] = field(default_factory=dict)
    breakout: Breakout | None = None
    last_assignment: dict[str, list[str]] | None = None  # from the last closed breakout

    # -- lookups ------------------------------------------------------------------------

    def person(self, person_id: str) -> Person:
        try:
            return self.people[person_id]
        except KeyError:
            raise NotFound(f"no participant with id '{person_id}' in this class") from None

    def room(self, room_id: str) -> Room:
        for room in self.breakout.live_rooms() if self.breakout else ():
            if room.id == room_id:
                return room
        raise NotFound(f"no room with id '{room_id}' in the current breakout")

    def active_breakout(self) -> Breakout | None:
        """The breakout in draft or running, if any."""
        if self.breakout and self.breakout.status != CLOSED:
            return self.breakout
        return None

    def require_breakout(self, *statuses: str) -> Breakout:
        b = self.active_breakout()
        if b is None:
            raise InvalidInput("there are no breakout rooms; create some first")
        if statuses and b.status not in statuses:
            raise InvalidInput(f"the breakout is {b.status}; this needs it {' or '.join(statuses)}")
        return b

    def meeting_ids(self) -> set[str]:
        ids = {self.id}
        if self.breakout:
            ids.update(r.id for r in self.breakout.rooms if r.status == ROOM_OPEN)
        return ids

    # -- views --------------------------------------------------------------------------

    def to_json(self, *, include_people: bool = True) -> dict[str, Any]:
        b = self.active_breakout()
        rooms = []
        if b:
            members: dict[str, list[str]] = {r.id: [] for r in b.rooms}
            for p in self.people.values():
                if p.assigned in members:
                    members[p.assigned].append(p.id)
            rooms = [
                {
                    "id": r.id,
                    "title": r.title,
                    "position": r.position,
                    "status": r.status,
                    "participants": members[r.id],
                }
                for r in b.live_rooms()
            ]
        body: dict[str, Any] = {
            "meeting_id": self.id,
            "title": self.title,
            "version": self.version,
            # the last breakout stays "closed" until a new draft begins
            "status": self.breakout.status if self.breakout else "none",
            "breakout_id": b.id if b else None,
            "rooms": rooms,
            "started_at": b.started_at if b else None,
            "closes_at": b.closes_at if b else None,
            "warning": b.warning if b else None,
            "can_recreate": bool(self.last_assignment),
        }
        if include_people:
            body["participants"] = [
                p.to_json() for p in sorted(self.people.values(), key=lambda p: p.order)
            ]
        return body

    def check_invariants(self) -> None:
        """Each person is in exactly one existing meeting; assignments point at live rooms."""
        meetings = self.meeting_ids()
        b = self.active_breakout()
        live = {r.id for r in b.live_rooms()} if b else set()
        for p in self.people.values():
            assert p.current in meetings, f"{p.name} is in unknown meeting {p.current}"
            assert p.assigned is None or p.assigned in live, f"{p.name} assigned to a dead room"
