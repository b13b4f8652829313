"""Limits on every input. Going past one is an InvalidInput that changes nothing."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

from ...errors import InvalidInput


@dataclass(frozen=True)
class Limits:
    """Sizes the service accepts; each can be set by ``BREAKOUT_WIDGETS_<NAME>``."""

    max_name: int = 100
    max_rooms: int = 100
    max_participants: int = 5000
    max_duration: int = 24 * 3600
    max_batch: int = 5000

    @classmethod
    def from_env(cls) -> Limits:
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"BREAKOUT_WIDGETS_{f.name.upper()}")
            if raw:
                values[f.name] = int(raw)
        return cls(**values)

    def name(self, value: object, what: str = "name") -> str:
        """A clean name: a string of 1..max_name characters once trimmed, no control chars."""
        if not isinstance(value, str):
            raise InvalidInput(f"the {what} must be a string")
        cleaned = value.strip()
        if not cleaned:
            raise InvalidInput(f"the {what} must not be empty")
        if len(cleaned) > self.max_name:
            raise InvalidInput(
                f"the {what} has {len(cleaned)} characters; at most {self.max_name} are allowed"
            )
        if any(ord(c) < 32 or ord(c) == 127 for c in cleaned):
            raise InvalidInput(f"the {what} must not contain control characters")
        return cleaned

    def seconds(self, value: float | None, what: str) -> float | None:
        if value is None:
            return None
        if not 0 <= value <= self.max_duration:
            raise InvalidInput(f"{what} must be between 0 and {self.max_duration} seconds")
        return float(value)
