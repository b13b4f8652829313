"""``cls.chat`` and ``cls.polls`` (sync), and ``Poll``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _activity_plans as plans
from ._http import SyncTransport
from .models import Message

if TYPE_CHECKING:
    from .classroom import _Core


class Chat:
    """The chat of the meeting this participant is in (a host may name any meeting)."""

    def __init__(self, core: _Core, transport: SyncTransport) -> None:
        self._core = core
        self._t = transport

    def send(
        self, text: str, client_id: str | None = None, *, meeting: str | None = None
    ) -> Message:
        """Post ``text``; a retry with the same ``client_id`` makes no second message."""
        return self._t.run(plans.send_chat(self._core, text, client_id, meeting))

    def history(
        self, meeting: str | None = None, *, before: int | None = None, limit: int = 50
    ) -> list[Message]:
        """Messages oldest first (``before`` = a message's ``seq`` pages back)."""
        return self._t.run(plans.chat_history(self._core, meeting, before, limit))


class Poll:
    """A poll: ``vote(option)``, ``results()`` (option → count), ``close()``."""

    def __init__(self, data: dict[str, Any], transport: SyncTransport, owner: Any = None) -> None:
        self._data = data
        self._t = transport
        self._owner = owner  # the Classroom it came from: live updates for PollWidget

    id = property(lambda self: self._data["id"])
    question = property(lambda self: self._data["question"])
    options = property(lambda self: list(self._data["options"]))
    meeting_id = property(lambda self: self._data["meeting_id"])
    anonymous = property(lambda self: bool(self._data["anonymous"]))

    @property
    def status(self) -> str:
        return self.refresh()["status"]

    def refresh(self) -> dict[str, Any]:
        self._data = self._t.run(plans.get_poll(self.id))
        return self._data

    def vote(self, option: str | int) -> dict[str, int]:
        """Vote by option text or index; voting again changes the vote."""
        self._data = self._t.run(plans.vote(self.id, option))
        return dict(self._data["results"])

    def results(self) -> dict[str, int]:
        return dict(self.refresh()["results"])

    def close(self) -> dict[str, int]:
        """No more votes (creator or host); returns the final results."""
        self._data = self._t.run(plans.close_poll(self.id))
        return dict(self._data["results"])

    def __repr__(self) -> str:
        return f"<Poll {self.question!r} {self.options!r} ({self._data.get('status')})>"


class Polls:
    def __init__(self, core: _Core, transport: SyncTransport, owner: Any = None) -> None:
        self._core = core
        self._t = transport
        self._owner = owner

    def create(
        self,
        question: str,
        options: list[str],
        *,
        anonymous: bool = False,
        meeting: str | None = None,
    ) -> Poll:
        """A poll in the meeting you are in (2-10 options, one vote per person)."""
        data = self._t.run(plans.create_poll(self._core, question, options, anonymous, meeting))
        return Poll(data, self._t, self._owner)

    def list(self, meeting: str | None = None) -> list[Poll]:
        polls = self._t.run(plans.list_polls(self._core, meeting))
        return [Poll(d, self._t, self._owner) for d in polls]
