"""The one error tree of breakout-widgets, shared by the service and the controller.

::

    BreakoutError                 code            HTTP
    ├── InvalidInput              invalid_input   400 / 422
    ├── Forbidden                 forbidden       403  (unauthorized: 401)
    ├── NotFound                  not_found       404
    ├── Conflict                  conflict        409
    │   └── RateLimited           rate_limited    429
    └── Unavailable               unavailable     503  (and: the service cannot be reached)

The service raises these and answers ``{"error": {"code", "message"}}``; the controller
turns such an answer back into the same class, carrying the service's message.
"""

from __future__ import annotations

from typing import Any


class BreakoutError(Exception):
    """Base of every error the service or the controller raises on purpose."""

    code = "error"
    status = 500

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def to_json(self) -> dict[str, Any]:
        """The body the service answers with."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        body.update(self.details)
        return {"error": body}


class InvalidInput(BreakoutError):
    """The request was malformed or broke a limit; nothing was changed."""

    code = "invalid_input"
    status = 422


class Forbidden(BreakoutError):
    """The caller's key, token or preset does not allow this."""

    code = "forbidden"
    status = 403


class Unauthorized(Forbidden):
    """No valid admin key or participant token was given."""

    code = "unauthorized"
    status = 401


class NotFound(BreakoutError):
    """No meeting, room, participant or preset of that name or id."""

    code = "not_found"
    status = 404


class Conflict(BreakoutError):
    """The state changed since the caller read it (stale version), or a name is taken."""

    code = "conflict"
    status = 409


class RateLimited(Conflict):
    """Too many requests; ``details["retry_after"]`` says how many seconds to wait."""

    code = "rate_limited"
    status = 429


class Unavailable(BreakoutError):
    """The service cannot be reached or cannot serve the request right now."""

    code = "unavailable"
    status = 503


_BY_CODE: dict[str, type[BreakoutError]] = {
    cls.code: cls
    for cls in (InvalidInput, Forbidden, Unauthorized, NotFound, Conflict, RateLimited, Unavailable)
}
_BY_STATUS: dict[int, type[BreakoutError]] = {
    400: InvalidInput,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: InvalidInput,
    409: Conflict,
    413: InvalidInput,
    422: InvalidInput,
    429: RateLimited,
    503: Unavailable,
}


def error_from_response(status: int, body: Any) -> BreakoutError:
    """Rebuild the typed error from a service answer (status code and parsed JSON body)."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = str(error.get("code", ""))
        message = str(error.get("message", "")) or f"HTTP {status}"
        details = {k: v for k, v in error.items() if k not in ("code", "message")}
        cls = _BY_CODE.get(code) or _BY_STATUS.get(status, BreakoutError)
        return cls(message, code=code or None, **details)
    cls = _BY_STATUS.get(status, Unavailable if status >= 500 else BreakoutError)
    return cls(f"HTTP {status}: {str(body)[:200]}")
