"""Chat rules: what a message may hold and how fast one may send."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...errors import InvalidInput, RateLimited

MAX_TEXT = 4000


def clean_text(text: object, max_len: int = MAX_TEXT, what: str = "message") -> str:
    """Text as sent (kept verbatim, views render it as text), 1..max_len characters."""
    if not isinstance(text, str):
        raise InvalidInput(f"the {what} must be a string")
    if not text.strip():
        raise InvalidInput(f"the {what} must not be empty")
    if len(text) > max_len:
        raise InvalidInput(f"the {what} has {len(text)} characters; at most {max_len} are allowed")
    return text


@dataclass
class RateLimiter:
    """A token bucket per sender: ``rate`` per second on average, bursts of ``burst``."""

    rate: float = 5.0
    burst: float = 20.0
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # key -> tokens, t

    def take(self, key: str, now: float) -> None:
        """Spend one token or raise RateLimited with the seconds until the next one."""
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            wait = (1.0 - tokens) / self.rate
            raise RateLimited(
                f"too many messages: at most {self.rate:g} per second (bursts of "
                f"{self.burst:g}); try again in {wait:.2f} s",
                retry_after=max(round(wait, 2), 0.01),  # never "retry after 0"
            )
        self._buckets[key] = (tokens - 1.0, now)
