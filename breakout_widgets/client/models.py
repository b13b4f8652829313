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
    online: bool = False  # has a live connection (known in the breakout state)

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
            bool(data.get("online")),
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


class Message(dict):  # type: ignore[type-arg]
    """A chat message: ``msg.text`` or ``msg["text"]``, ``msg.sender["name"]``, ``msg.id``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def sender_name(self) -> str:
        return (self.get("sender") or {}).get("name", "")


@dataclass
class HelpRequest:
    """Someone asking the host for help: who, from which room, since when."""

    id: str
    participant_id: str
    name: str
    meeting_id: str
    room: str | None
    since: float
    resolved_at: float | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HelpRequest:
        return cls(
            data["id"],
            data["participant_id"],
            data["name"],
            data["meeting_id"],
            data.get("room"),
            data["since"],
            data.get("resolved_at"),
        )


class Transcript:
    """A meeting's record: every event (chat, polls, joins, moves, broadcasts) in order."""

    def __init__(self, meeting_id: str, title: str, events: list[dict[str, Any]]) -> None:
        self.meeting_id = meeting_id
        self.title = title
        self.events = events

    def to_json(self) -> list[dict[str, Any]]:
        return list(self.events)

    def to_dataframe(self) -> Any:
        """One row per event: time, seq, type, sender/name, text and the raw data."""
        import pandas as pd

        rows = []
        for e in self.events:
            data = e.get("data") or {}
            sender = data.get("sender") or {}
            rows.append(
                {
                    "time": pd.to_datetime(e.get("time"), unit="s", utc=True),
                    "seq": e["seq"],
                    "type": e["type"],
                    "who": sender.get("name") or data.get("name"),
                    "text": data.get("text"),
                    "data": data,
                }
            )
        return pd.DataFrame(rows, columns=["time", "seq", "type", "who", "text", "data"])

    def __len__(self) -> int:
        return len(self.events)

    def __repr__(self) -> str:
        return f"<Transcript {self.title!r}: {len(self.events)} events>"
