"""The notebook views: one anywidget class each (the JavaScript halves live in ``js/``).

See ``docs/views.md`` for what each Python half and its view say to each other.
"""

from .board import AssignmentBoard
from .chat import Chat
from .poll import PollWidget
from .switcher import MeetingSwitcher

__all__ = ["AssignmentBoard", "Chat", "MeetingSwitcher", "PollWidget"]
