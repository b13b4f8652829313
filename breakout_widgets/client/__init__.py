"""The Python controller: sync ``Classroom`` on httpx, and ``AsyncClassroom``."""

from .activities import Chat, Poll, Polls
from .classroom import AsyncBreakout, AsyncClassroom, Breakout, Classroom
from .events import EventStream
from .groups import AsyncBreakoutGroups, AsyncGroupMember, BreakoutGroups, GroupMember
from .models import HelpRequest, Invite, Meeting, Message, Participant, Room, Transcript
from .service import Service

__all__ = [
    "AsyncBreakout",
    "AsyncBreakoutGroups",
    "AsyncClassroom",
    "AsyncGroupMember",
    "Breakout",
    "BreakoutGroups",
    "Chat",
    "Classroom",
    "EventStream",
    "GroupMember",
    "HelpRequest",
    "Invite",
    "Meeting",
    "Message",
    "Participant",
    "Poll",
    "Polls",
    "Room",
    "Service",
    "Transcript",
]
