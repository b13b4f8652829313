"""Routes for chat, polls, broadcast, the help queue and meeting records."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from ..activities import Activities
from .deps import CallerDep
from .schemas import Body

router = APIRouter(prefix="/v1")


def get_activities(request: Request) -> Activities:
    return request.app.state.activities


ActivitiesDep = Annotated[Activities, Depends(get_activities)]


class ChatBody(Body):
    text: str = Field(max_length=100_000)
    client_id: str | None = Field(default=None, max_length=100)
    meeting_id: str | None = Field(default=None, max_length=100)


class PollBody(Body):
    question: str = Field(max_length=10_000)
    options: list[str] = Field(max_length=100)
    anonymous: bool = False
    meeting_id: str | None = Field(default=None, max_length=100)


class VoteBody(Body):
    option: str | int


class TextBody(Body):
    text: str = Field(max_length=100_000)


async def _class_of(caller: Any, activities: Activities, meeting_id: str) -> str:
    meeting = await activities.store.meeting(meeting_id)
    activities.classes.require_member(caller.who, meeting["class_id"])
    return meeting["class_id"]


@router.post("/chat", status_code=201)
async def send_chat(body: ChatBody, caller: CallerDep, activities: ActivitiesDep) -> dict[str, Any]:
    """Post to the meeting you are in (a host may name any open meeting of the class)."""
    return await activities.send_chat(
        caller.participant, body.text, body.client_id, body.meeting_id
    )


@router.get("/meetings/{meeting_id}/chat")
async def chat_history(
    meeting_id: str,
    caller: CallerDep,
    activities: ActivitiesDep,
    before: int | None = None,
    limit: Annotated[int, Query(le=500)] = 50,
) -> dict[str, Any]:
    """A page of messages, oldest first; pass ``before`` to page back."""
    class_id = await _class_of(caller, activities, meeting_id)
    return await activities.chat_history(caller.who, class_id, meeting_id, before, limit)


@router.post("/polls", status_code=201)
async def create_poll(
    body: PollBody, caller: CallerDep, activities: ActivitiesDep
) -> dict[str, Any]:
    return await activities.create_poll(
        caller.participant, body.question, body.options, body.anonymous, body.meeting_id
    )


@router.get("/meetings/{meeting_id}/polls")
async def list_polls(
    meeting_id: str, caller: CallerDep, activities: ActivitiesDep
) -> dict[str, Any]:
    class_id = await _class_of(caller, activities, meeting_id)
    return {"polls": await activities.polls(caller.who, class_id, meeting_id)}


@router.get("/polls/{poll_id}")
async def get_poll(poll_id: str, caller: CallerDep, activities: ActivitiesDep) -> dict[str, Any]:
    return await activities.poll(caller.who, caller.participant.class_id, poll_id)


@router.post("/polls/{poll_id}/vote")
async def vote(
    poll_id: str, body: VoteBody, caller: CallerDep, activities: ActivitiesDep
) -> dict[str, Any]:
    return await activities.vote(caller.participant, poll_id, body.option)


@router.post("/polls/{poll_id}/close")
async def close_poll(poll_id: str, caller: CallerDep, activities: ActivitiesDep) -> dict[str, Any]:
    return await activities.close_poll(caller.who, caller.participant.class_id, poll_id)


@router.post("/meetings/{class_id}/broadcast", status_code=201)
async def broadcast(
    class_id: str, body: TextBody, caller: CallerDep, activities: ActivitiesDep
) -> dict[str, Any]:
    """Send a message to the main meeting and every open room at once (hosts)."""
    return await activities.broadcast(caller.who, class_id, body.text)


@router.post("/help", status_code=201)
async def ask_for_help(caller: CallerDep, activities: ActivitiesDep) -> dict[str, Any]:
    return await activities.ask_for_help(caller.participant)


@router.get("/meetings/{class_id}/help")
async def help_queue(class_id: str, caller: CallerDep, activities: ActivitiesDep) -> dict[str, Any]:
    """Who asked for help, from which room, since when (hosts)."""
    return {"requests": await activities.help_queue(caller.who, class_id)}


@router.post("/meetings/{class_id}/help/{request_id}/resolve")
async def resolve_help(
    class_id: str, request_id: str, caller: CallerDep, activities: ActivitiesDep
) -> dict[str, Any]:
    return await activities.resolve_help(caller.who, class_id, request_id)


@router.get("/meetings/{meeting_id}/events")
async def record(
    meeting_id: str,
    caller: CallerDep,
    activities: ActivitiesDep,
    after: int = 0,
    limit: Annotated[int, Query(le=5000)] = 1000,
) -> dict[str, Any]:
    """The meeting's record: every event with ``seq > after``, oldest first."""
    class_id = await _class_of(caller, activities, meeting_id)
    return await activities.record(caller.who, class_id, meeting_id, after, limit)
