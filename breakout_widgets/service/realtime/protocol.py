"""Names of the WebSocket messages, defined once. ``docs/protocol.md`` describes them.

Client → service: ``hello`` (first, with the token), ``subscribe``, ``unsubscribe``,
``ping``. Service → client: ``welcome``, ``subscribed``, ``reload``, ``pong``, ``error``
and the events, each ``{"type", "meeting_id", "seq", "data", "time"}``.
"""

from __future__ import annotations

import json
from typing import Any

# client -> service
HELLO = "hello"
SUBSCRIBE = "subscribe"
UNSUBSCRIBE = "unsubscribe"
PING = "ping"

# service -> client (control)
WELCOME = "welcome"
SUBSCRIBED = "subscribed"
RELOAD = "reload"
PONG = "pong"
ERROR = "error"

# service -> client (events, numbered per meeting)
EVENT_TYPES = (
    "changing_meeting",
    "meeting_changed",
    "state_update",
    "chat_message",
    "poll_update",
    "broadcast",
    "timer",
    "presence",
    "help_requested",
    "participant_joined",
    "participant_left",
    "media_changed",
)

# WebSocket close codes of our own (4000-4999 are for applications)
CLOSE_UNAUTHORIZED = 4001
CLOSE_PROTOCOL = 4002
CLOSE_TOO_SLOW = 4008
CLOSE_IDLE = 4009


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)
