"""Plans (see ``_http``) for chat, polls, broadcast, help and records."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from ._http import Call, Plan
from .models import HelpRequest, Message, Transcript

if TYPE_CHECKING:
    from .classroom import _Core


def send_chat(core: _Core, text: str, client_id: str | None, meeting: str | None) -> Plan[Message]:
    # A client id is always sent, so a send retried after a dropped answer is not doubled.
    body: dict[str, Any] = {"text": text, "client_id": client_id or uuid.uuid4().hex}
    if meeting is not None:
        body["meeting_id"] = yield from meeting_id(core, meeting)
    answer = yield Call("POST", "/v1/chat", body)
    return Message(answer)


def chat_history(
    core: _Core, meeting: str | None, before: int | None, limit: int
) -> Plan[list[Message]]:
    target = yield from meeting_id(core, meeting)
    params: dict[str, Any] = {"limit": limit}
    if before is not None:
        params["before"] = before
    answer = yield Call("GET", f"/v1/meetings/{target}/chat", params=params)
    return [Message(m) for m in answer["messages"]]


def meeting_id(core: _Core, meeting: str | None) -> Plan[str]:
    """None: where this participant is now; "main"; a room title (any breakout) or id."""
    if meeting is None:
        me = yield from core._plan_me()
        return me["meeting"]["id"]
    if meeting in ("main", core.id):
        return core.id
    if meeting in core._rooms:
        return core._rooms[meeting]
    yield from core._plan_state()
    if meeting in core._rooms:
        return core._rooms[meeting]
    if meeting in core._rooms.values():
        return meeting
    rooms = yield from core._plan_history()  # closed rooms stay readable as records
    for room in reversed(rooms):
        if meeting in (room["title"], room["id"]):
            return room["id"]
    raise NotFound(f"no meeting or room '{meeting}' in this class")


def create_poll(
    core: _Core, question: str, options: list[str], anonymous: bool, meeting: str | None
) -> Plan[dict[str, Any]]:
    body: dict[str, Any] = {"question": question, "options": list(options), "anonymous": anonymous}
    if meeting is not None:
        body["meeting_id"] = yield from meeting_id(core, meeting)
    return (yield Call("POST", "/v1/polls", body))


def list_polls(core: _Core, meeting: str | None) -> Plan[list[dict[str, Any]]]:
    target = yield from meeting_id(core, meeting)
    answer = yield Call("GET", f"/v1/meetings/{target}/polls")
    return answer["polls"]


def get_poll(poll_id: str) -> Plan[dict[str, Any]]:
    return (yield Call("GET", f"/v1/polls/{poll_id}"))


def vote(poll_id: str, option: str | int) -> Plan[dict[str, Any]]:
    return (yield Call("POST", f"/v1/polls/{poll_id}/vote", {"option": option}))


def close_poll(poll_id: str) -> Plan[dict[str, Any]]:
    return (yield Call("POST", f"/v1/polls/{poll_id}/close"))


def broadcast(core: _Core, text: str) -> Plan[dict[str, Any]]:
    return (yield Call("POST", f"/v1/meetings/{core.id}/broadcast", {"text": text}))


def ask_for_help(core: _Core) -> Plan[HelpRequest]:
    return HelpRequest.from_json((yield Call("POST", "/v1/help")))


def help_queue(core: _Core) -> Plan[list[HelpRequest]]:
    answer = yield Call("GET", f"/v1/meetings/{core.id}/help")
    return [HelpRequest.from_json(r) for r in answer["requests"]]


def resolve_help(core: _Core, request_id: str) -> Plan[HelpRequest]:
    answer = yield Call("POST", f"/v1/meetings/{core.id}/help/{request_id}/resolve")
    return HelpRequest.from_json(answer)


def transcript(core: _Core, meeting: str | None) -> Plan[Transcript]:
    target = yield from meeting_id(core, meeting)
    events: list[dict[str, Any]] = []
    after = 0
    while True:  # page through the whole record
        answer = yield Call(
            "GET", f"/v1/meetings/{target}/events", params={"after": after, "limit": 5000}
        )
        events += answer["events"]
        if not answer["events"] or events[-1]["seq"] >= answer["last_seq"]:
            break
        after = events[-1]["seq"]
    info = yield Call("GET", f"/v1/meetings/{target}")
    return Transcript(target, info["title"], events)
