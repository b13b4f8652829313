"""Presets: what each role may do.

A preset is a name and a set of permission flags. The two built-in presets are ``host``
(everything) and ``participant`` (may return to the main meeting, may not switch between
rooms, may chat and vote). Custom presets come through the admin API.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...errors import Forbidden, InvalidInput

CAN_ALTER = "can_alter_connected_meetings"
CAN_SWITCH_ROOMS = "can_switch_connected_meetings"
CAN_SWITCH_TO_MAIN = "can_switch_to_parent_meeting"
CHAT_SEND = "chat.send"
POLLS_CREATE = "polls.create"
POLLS_VOTE = "polls.vote"

PERMISSIONS: tuple[str, ...] = (
    CAN_ALTER,
    CAN_SWITCH_ROOMS,
    CAN_SWITCH_TO_MAIN,
    CHAT_SEND,
    POLLS_CREATE,
    POLLS_VOTE,
)

HOST = "host"
PARTICIPANT = "participant"


@dataclass(frozen=True)
class Preset:
    """A named set of permissions."""

    name: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    builtin: bool = False

    def allows(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str, action: str) -> None:
        """Raise Forbidden unless this preset has ``permission``."""
        if permission not in self.permissions:
            raise Forbidden(f"the '{self.name}' preset may not {action} ({permission})")

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "builtin": self.builtin,
            "permissions": {p: p in self.permissions for p in PERMISSIONS},
        }


BUILTIN_PRESETS: dict[str, Preset] = {
    HOST: Preset(HOST, frozenset(PERMISSIONS), builtin=True),
    PARTICIPANT: Preset(
        PARTICIPANT,
        frozenset({CAN_SWITCH_TO_MAIN, CHAT_SEND, POLLS_VOTE}),
        builtin=True,
    ),
}


def preset_from_flags(name: str, flags: dict[str, bool], max_name: int = 100) -> Preset:
    """Build a custom preset from ``{permission: bool}``; unknown flags are an error."""
    name = name.strip()
    if not name or len(name) > max_name:
        raise InvalidInput(f"a preset name must have 1 to {max_name} characters")
    if name in BUILTIN_PRESETS:
        raise InvalidInput(f"'{name}' is a built-in preset and cannot be redefined")
    unknown = sorted(set(flags) - set(PERMISSIONS))
    if unknown:
        raise InvalidInput(
            f"unknown permission(s) {', '.join(unknown)}; known: {', '.join(PERMISSIONS)}"
        )
    return Preset(name, frozenset(p for p, on in flags.items() if on))
