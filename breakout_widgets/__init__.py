"""breakout-widgets: breakout rooms for classes that live in Jupyter.

The public API lives here; everything else is reachable but internal. See the README
and ``docs/`` for a tour.
"""

__version__ = "0.1.0"

from .client import (
    AsyncBreakout,
    AsyncClassroom,
    Breakout,
    Classroom,
    HelpRequest,
    Invite,
    Meeting,
    Message,
    Participant,
    Poll,
    Room,
    Service,
    Transcript,
)
from .errors import (
    BreakoutError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
)

__all__ = [
    "AsyncBreakout",
    "AsyncClassroom",
    "Breakout",
    "BreakoutError",
    "Classroom",
    "Conflict",
    "Forbidden",
    "HelpRequest",
    "InvalidInput",
    "Invite",
    "Meeting",
    "Message",
    "NotFound",
    "Participant",
    "Poll",
    "RateLimited",
    "Room",
    "Service",
    "Transcript",
    "Unauthorized",
    "Unavailable",
    "__version__",
]
