"""PollWidget: a question, its options, a vote, and result bars that move live."""

from __future__ import annotations

from typing import Any

import traitlets

from ..client.activities import Poll
from ._base import LiveWidget, bundle, styles


class PollWidget(LiveWidget):
    """``PollWidget(poll)`` for a ``bw.Poll`` (from ``polls.create`` or ``polls.list``).

    Everyone who may vote gets buttons; the results update as votes come in; the poll's
    creator (or a host) gets a Close button.
    """

    _esm = bundle("poll")
    _css = styles("poll")

    question = traitlets.Unicode("").tag(sync=True)
    options = traitlets.List(traitlets.Unicode()).tag(sync=True)
    results = traitlets.Dict().tag(sync=True)
    votes = traitlets.Int(0).tag(sync=True)
    status = traitlets.Unicode("open").tag(sync=True)
    my_vote = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    can_vote = traitlets.Bool(False).tag(sync=True)
    can_close = traitlets.Bool(False).tag(sync=True)

    def __init__(self, poll: Poll, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._poll = poll
        owner = poll._owner
        if owner is None:
            raise ValueError("this Poll has no controller: take it from cls.polls")
        self._owner = owner
        self._apply(poll.refresh())
        permissions = owner._core._me.get("permissions", {})
        me = owner.me
        self.can_vote = bool(permissions.get("polls.vote")) or me.preset == "host"
        self.can_close = (
            me.id == poll._data.get("creator_id")
            or me.preset == "host"
            or bool(permissions.get("can_alter_connected_meetings"))
        )
        self._listen(owner, "poll_update", self._on_update)

    def _apply(self, data: dict[str, Any]) -> None:
        with self._lock:
            self.question = data["question"]
            self.options = list(data["options"])
            self.results = dict(data["results"])
            self.votes = int(data["votes"])
            self.status = data["status"]
            if "my_vote" in data:
                self.my_vote = data["my_vote"]

    def _on_update(self, event: dict[str, Any]) -> None:
        data = event.get("data") or {}
        if data.get("poll_id", (data.get("poll") or {}).get("id")) != self._poll.id:
            return
        with self._lock:
            if "results" in data:
                self.results = dict(data["results"])
                self.votes = int(data.get("votes", self.votes))
            if data.get("action") == "closed":
                self.status = "closed"

    def _do_vote(self, c: dict[str, Any]) -> None:
        option = str(c.get("option") or "")
        self._poll.vote(option)
        self._apply({**self._poll.refresh()})

    def _do_close(self, c: dict[str, Any]) -> None:
        self._poll.close()
        self._apply(self._poll.refresh())

    def __repr__(self) -> str:
        return f"PollWidget({self.question!r}, votes={self.votes}, status={self.status!r})"
