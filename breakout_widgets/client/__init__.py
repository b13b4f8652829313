"""The Python controller: sync ``Classroom`` on httpx, and ``AsyncClassroom``."""

from .classroom import AsyncBreakout, AsyncClassroom, Breakout, Classroom
from .models import Invite, Meeting, Participant, Room
from .service import Service

__all__ = [
    "AsyncBreakout",
    "AsyncClassroom",
    "Breakout",
    "Classroom",
    "Invite",
    "Meeting",
    "Participant",
    "Room",
    "Service",
]
