"""Request bodies. Pydantic checks shapes and types; the domain checks limits and names."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# Generous outer bounds so a huge body is refused before the domain sees it; the real,
# configurable limits (names ≤ 100, rooms ≤ 100, …) are checked by the domain.
_TEXT = 10_000
_LIST = 100_000
# A bounded str is also checked to be valid Unicode: a lone surrogate ("\ud800" in the
# JSON) is refused here instead of failing in the database.
Text = Annotated[str, Field(max_length=_TEXT)]


class Body(BaseModel):
    # strict: no silent coercion of a wrong type ("3" or true as a number, 5 as a name)
    model_config = ConfigDict(extra="forbid", strict=True)


class PresetBody(Body):
    name: str = Field(max_length=_TEXT)
    permissions: dict[Text, bool]


class ClassBody(Body):
    title: str = Field(max_length=_TEXT)
    host: str | None = Field(default=None, max_length=_TEXT)


class InviteEntry(Body):
    name: str = Field(max_length=_TEXT)
    preset: str | None = Field(default=None, max_length=_TEXT)


class InviteBody(Body):
    participants: list[InviteEntry] = Field(min_length=1, max_length=_LIST)


class Versioned(Body):
    version: int = Field(description="the state version this write is based on")


class CreateRoomsBody(Versioned):
    count: int | None = Field(default=None, ge=1, le=_LIST)
    titles: list[Text] | None = Field(default=None, min_length=1, max_length=_LIST)


class RenameRoomBody(Versioned):
    title: str = Field(max_length=_TEXT)


class ShuffleBody(Versioned):
    seed: int | Text | None = None


class Move(Body):
    participant_id: str = Field(max_length=100)
    room_id: str | None = Field(default=None, max_length=100)


class AssignBody(Versioned):
    moves: list[Move] = Field(max_length=_LIST)


class StartBody(Versioned):
    duration: float | None = Field(default=None, description="seconds until the rooms close")
    warning: float | None = Field(default=None, description="seconds of warning before close")


class CloseBody(Versioned):
    countdown: float | None = Field(default=None, description="close after this many seconds")


class SwitchBody(Body):
    meeting: str = Field(max_length=100, description='"main" or a room id')


class MediaBody(Body):
    mic: bool | None = None
    camera: bool | None = None
