"""Routes of breakout groups: apps, join, shard messages, leave, and the invariant checks.

Every call carries ``Authorization: Bearer <app key or member token>``. A ``{guid}`` in a
path may be anything (even a URL with slashes) so that a group *name* put there gets a
clear 422 instead of a bare 404. Join and send are the hot paths: they answer with a
ready ``Response`` (no second pass through FastAPI's encoder).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from ...errors import Forbidden, InvalidInput, Unauthorized
from ..groups import GroupsService
from ..groups.apps import App
from ..groups.live import Member
from .schemas import Body

router = APIRouter(prefix="/v1")

_TEXT = 10_000


class MessageBody(Body):
    text: str = Field(max_length=100_000)
    client_id: str | None = Field(default=None, max_length=100)


class AppBody(Body):
    name: str = Field(max_length=_TEXT)
    max: int | None = None


class MaxBody(Body):
    max: int


def _service(request: Request) -> GroupsService:
    return request.app.state.groups


def _token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <app key or member token>'")
    return token.strip()


async def _caller(request: Request) -> App | Member:
    return await _service(request).groups.resolve_caller(_token(request))


async def _app(request: Request) -> App:
    caller = await _caller(request)
    if not isinstance(caller, App):
        raise Forbidden("this needs an app key, not a member token")
    return caller


async def _member(request: Request) -> Member:
    caller = await _caller(request)
    if not isinstance(caller, Member):
        raise Forbidden("this needs a member token (user.authToken from the join)")
    return caller


def _json(body: Any, status: int = 200) -> Response:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return Response(text, status_code=status, media_type="application/json")


# -- apps ----------------------------------------------------------------------------------


@router.post("/apps", status_code=201)
async def create_app(body: AppBody, request: Request) -> dict[str, Any]:
    """A new app with its own key and default max (needs the admin key)."""
    apps = _service(request).groups.apps
    if not apps.is_admin(_token(request)):
        raise Forbidden("this needs the service's admin key")
    app, key = await apps.create(body.name, body.max)
    return {"app_id": app.id, "app_key": key, "name": app.name, "max": app.max}


@router.put("/apps/{app_id}/groups/{name:path}")
async def set_group_max(app_id: str, name: str, body: MaxBody, request: Request) -> dict[str, Any]:
    """The max of one group name (admin key or that app's key); new placements use it."""
    groups = _service(request).groups
    caller = await _caller(request)
    app = groups.apps.get(app_id)
    if not (isinstance(caller, App) and (caller is app or caller is groups.apps.default)):
        raise Forbidden("this needs the admin key or the key of that app")
    clean, value = await groups.apps.set_max(app, name, body.max)
    await groups.directory.set_max(app.id, clean, value)
    return {"app_id": app.id, "name": clean, "max": value}


# -- joining and the directory -------------------------------------------------------------


@router.post("/groups/join")
async def join(request: Request) -> Response:
    """Seat the user in the lowest shard of the group with room; the answer holds their
    uid and token (``user.authToken``) and the shard's ``guid``.

    Body: ``{"user": {"name", "avatar"}, "group": {"name", "icon"}}``. It is parsed here
    and checked by ``groups.rules`` (no model pass): this is the hottest route.
    """
    app = await _app(request)
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise InvalidInput("the body must be JSON") from None
    return _json(await _service(request).groups.join(app, body))


@router.get("/groups")
async def shards(request: Request, name: Annotated[str, Query(max_length=_TEXT)]) -> dict:
    """The shards of a group name: guid, number, members, max (app key)."""
    return await _service(request).groups.shards((await _app(request)), name)


# {guid:path} routes: the specific suffixes first, the bare shard last.


@router.post("/groups/{guid:path}/messages", status_code=201)
async def send(guid: str, body: MessageBody, request: Request) -> Response:
    """Post to your shard (member token); 201 with the stored message."""
    service = _service(request)
    message = await service.messages.send((await _member(request)), guid, body.text, body.client_id)
    return _json(message, 201)


@router.get("/groups/{guid:path}/messages")
async def history(
    guid: str,
    request: Request,
    before: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Messages of a shard, oldest first (a member: their shard; an app: any of its own)."""
    return await _service(request).messages.history((await _caller(request)), guid, before, limit)


@router.get("/groups/{guid:path}/members")
async def members(guid: str, request: Request) -> dict[str, Any]:
    """The uids seated in a shard (app key)."""
    return await _service(request).groups.member_ids((await _app(request)), guid)


@router.post("/groups/{guid:path}/leave", status_code=204)
async def leave(guid: str, request: Request) -> Response:
    """Leave the shard: the place is free at once and the token stops working."""
    groups = _service(request).groups
    member = await _member(request)
    await groups.shard_for(member, guid)
    await groups.leave(member)
    return Response(status_code=204)


@router.get("/groups/{guid:path}")
async def group(guid: str, request: Request) -> dict[str, Any]:
    """The shard and how many members it has now (``online``)."""
    return await _service(request).groups.group((await _caller(request)), guid)
