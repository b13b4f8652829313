"""breakout-widgets: breakout rooms for classes that live in Jupyter.

The public API lives here; everything else is reachable but internal. See the README
and ``docs/`` for a tour.
"""

__version__ = "0.1.0"

from . import rehearsal
from .client import (
    AsyncBreakout,
    AsyncBreakoutGroups,
    AsyncClassroom,
    AsyncGroupMember,
    Breakout,
    BreakoutGroups,
    Classroom,
    GroupMember,
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
from .client.connect import JoinLink, connect, join, join_link
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

# The views import anywidget and ipywidgets: loaded on first use, so the service and the
# controller start without them.
_VIEWS = ("AssignmentBoard", "Chat", "MeetingSwitcher", "PollWidget")


def __getattr__(name: str) -> object:
    if name in _VIEWS:
        from . import widgets

        return getattr(widgets, name)
    raise AttributeError(f"module 'breakout_widgets' has no attribute {name!r}")


__all__ = [
    "AssignmentBoard",
    "AsyncBreakout",
    "AsyncBreakoutGroups",
    "AsyncClassroom",
    "AsyncGroupMember",
    "Breakout",
    "BreakoutError",
    "BreakoutGroups",
    "Chat",
    "Classroom",
    "Conflict",
    "Forbidden",
    "GroupMember",
    "HelpRequest",
    "InvalidInput",
    "Invite",
    "JoinLink",
    "Meeting",
    "MeetingSwitcher",
    "Message",
    "NotFound",
    "Participant",
    "Poll",
    "PollWidget",
    "RateLimited",
    "Room",
    "Service",
    "Transcript",
    "Unauthorized",
    "Unavailable",
    "__version__",
    "connect",
    "join",
    "join_link",
    "rehearsal",
]
