"""What the controller hands back: invites, participants, rooms and meetings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Invite:
    """A participant just added, with the token they join with (shown only once)."""

    name: str
    participant_id: str
    token: str
    preset: str = "participant"

    def __repr__(self) -> str:  # keep tokens out of notebook outputs
        return f"Invite(name={self.name!r}, participant_id={self.participant_id!r}, token='…')"


@dataclass(frozen=True)
class Participant:
    """A person in the class and where they are."""

    id: str
    name: str
    preset: str
    meeting_id: str
    room_id: str | None = None
    mic: bool = False
    camera: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Participant:
        return cls(
            data["id"],
            data["name"],
            data["preset"],
            data["meeting_id"],
            data.get("room_id"),
            bool(data.get("mic")),
            bool(data.get("camera")),
        )


@dataclass(frozen=True)
class Room:
    """A breakout room: its title and the participants assigned to it."""

    id: str
    title: str
    status: str
    participants: list[Participant] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.participants]

    def __repr__(self) -> str:
        return f"Room({self.title!r}, status={self.status!r}, participants={self.names!r})"


@dataclass(frozen=True)
class Meeting:
    """A meeting: the class's main meeting (``kind == "main"``) or a breakout room."""

    id: str
    title: str
    kind: str
    class_id: str
    status: str = "open"

    @property
    def is_main(self) -> bool:
        return self.kind == "main"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Meeting:
        return cls(
            data["id"], data["title"], data["kind"], data["class_id"], data.get("status", "open")
        )
