"""Breakout groups from Python: ``BreakoutGroups`` (sync) and ``AsyncBreakoutGroups``.

``groups.join(group="article-42", user="Ada")`` seats a member in a shard and returns a
``GroupMember``: ``send``, ``history``, ``on_message``, ``online``, ``leave``. Its live
connection (which also keeps the membership alive: membership is online-only) runs on
the process's one shared background loop, so a bot holding thousands of members needs
no thread per member; the async variant runs them on the caller's loop instead. All the
members of one ``BreakoutGroups`` share its HTTP connection pool.

A member also looks enough like a ``Classroom`` for ``bw.Chat(member)``: ``.chat.send``,
``.chat.history``, ``.me``, ``.meeting``, ``.on``/``.off``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from ..errors import Forbidden, NotFound, Unavailable
from ._http import AsyncTransport, Call, Plan, SyncTransport
from .events import EventStream
from .models import Meeting, Message, Participant

Callback = Callable[[dict[str, Any]], Any]

# -- plans: every request once, for the sync and the async classes ------------------------


def _join_body(group: str | dict[str, Any] | None, user: str | dict[str, Any] | None) -> Any:
    body: dict[str, Any] = {"group": {"name": group} if isinstance(group, str) else group or {}}
    if user is not None:
        body["user"] = {"name": user} if isinstance(user, str) else user
    return body


def _plan_join(group: Any, user: Any) -> Plan[dict[str, Any]]:
    answer = yield Call("POST", "/v1/groups/join", _join_body(group, user), auth="admin")
    return answer


def _plan_send(guid: str, text: str, client_id: str | None) -> Plan[Message]:
    # A client id is always sent, so a send retried after a dropped answer is not doubled.
    body = {"text": text, "client_id": client_id or uuid.uuid4().hex}
    answer = yield Call("POST", f"/v1/groups/{guid}/messages", body)
    return Message(answer)


def _plan_history(guid: str, before: int | None, limit: int) -> Plan[list[Message]]:
    params: dict[str, Any] = {"limit": limit}
    if before is not None:
        params["before"] = before
    answer = yield Call("GET", f"/v1/groups/{guid}/messages", params=params)
    return [Message(m) for m in answer["messages"]]


def _plan_leave(guid: str) -> Plan[None]:
    # Forbidden/NotFound: the membership had already ended (grace period over, or left).
    with contextlib.suppress(Forbidden, NotFound):
        yield Call("POST", f"/v1/groups/{guid}/leave")


def _plan_shards(name: str) -> Plan[list[dict[str, Any]]]:
    answer = yield Call("GET", "/v1/groups", params={"name": name}, auth="admin")
    return answer["shards"]


def _plan_members(guid: str) -> Plan[list[str]]:
    answer = yield Call("GET", f"/v1/groups/{guid}/members", auth="admin")
    return answer["members"]


def _plan_set_max(app_id: str, name: str, max_size: int) -> Plan[dict[str, Any]]:
    path = f"/v1/apps/{quote(app_id, safe='')}/groups/{quote(name, safe='')}"
    answer = yield Call("PUT", path, {"max": max_size}, auth="admin")
    return answer


class _Borrowed(SyncTransport):
    """A member's view of the app's transport: its own token, the app's HTTP pool."""

    def __init__(self, shared: SyncTransport, token: str) -> None:  # no new httpx client
        self.url, self.admin_key, self._client = shared.url, shared.admin_key, shared._client
        self.token = token

    def close(self) -> None:
        pass  # the pool belongs to the BreakoutGroups


class _AsyncBorrowed(AsyncTransport):
    def __init__(self, shared: AsyncTransport, token: str) -> None:
        self.url, self.admin_key, self._client = shared.url, shared.admin_key, shared._client
        self.token = token

    async def close(self) -> None:
        pass


class _Seat:
    """What a join answered, and what both member classes derive from it."""

    def __init__(self, url: str, answer: dict[str, Any]) -> None:
        self.url = url
        self.group: dict[str, Any] = answer["group"]
        self.user: dict[str, Any] = {k: v for k, v in answer["user"].items() if k != "authToken"}
        self.token: str = answer["user"]["authToken"]
        self.online: int | None = None  # the latest group_presence count

    def stream(self, **kwargs: Any) -> EventStream:
        stream = EventStream(self.url, self.token, **kwargs)
        stream.on("group_presence", self._saw_presence)
        return stream

    def _saw_presence(self, event: dict[str, Any]) -> None:
        self.online = event.get("online")


class _MemberBase:
    """Attributes shared by ``GroupMember`` and ``AsyncGroupMember``."""

    _seat: _Seat

    @property
    def guid(self) -> str:
        """The shard's id: where messages go."""
        return self._seat.group["guid"]

    @property
    def uid(self) -> str:
        return self._seat.user["uid"]

    @property
    def token(self) -> str:
        return self._seat.token

    @property
    def max(self) -> int:
        return self._seat.group["max"]

    @property
    def name(self) -> str:
        """The group's name (what was joined), not the member's."""
        return self._seat.group["name"]

    @property
    def group(self) -> dict[str, Any]:
        return dict(self._seat.group)

    @property
    def user(self) -> dict[str, Any]:
        """The member as the service answered (without the token)."""
        return dict(self._seat.user)

    @property
    def url(self) -> str:
        return self._seat.url

    @property
    def online(self) -> int | None:
        """How many members the shard has, as last told by the service (None: not yet)."""
        return self._seat.online

    @property
    def me(self) -> Participant:
        """This member as a ``Participant`` (id = uid), as a ``Classroom`` has ``me``."""
        return Participant(self.uid, self._seat.user["name"], "default", self.guid, online=True)

    @property
    def meeting(self) -> Meeting:
        """The shard as a ``Meeting`` (id = guid, title = the group name)."""
        return Meeting(self.guid, self.name, "group", self.guid)

    @property
    def id(self) -> str:
        return self.guid

    @property
    def title(self) -> str:
        return self.name

    def __repr__(self) -> str:
        who = self._seat.user["name"]
        return f"<{type(self).__name__} {who!r} in {self.name!r} shard {self.guid}>"


# -- sync ---------------------------------------------------------------------------------


class GroupChat:
    """``member.chat``: the shard's chat, shaped like ``Classroom.chat``."""

    def __init__(self, member: GroupMember) -> None:
        self._member = member

    def send(
        self, text: str, client_id: str | None = None, *, meeting: str | None = None
    ) -> Message:
        """Post ``text`` to the shard (``meeting``, if given, must be its guid)."""
        self._member._check(meeting)
        return self._member.send(text, client_id)

    def history(
        self, meeting: str | None = None, *, before: int | None = None, limit: int = 50
    ) -> list[Message]:
        self._member._check(meeting)
        return self._member.history(before=before, limit=limit)


class GroupMember(_MemberBase):
    """One member of a breakout group (sync). ``with`` leaves the group at the end."""

    def __init__(self, seat: _Seat, transport: SyncTransport) -> None:
        self._seat = seat
        self._t = transport
        self._stream: EventStream | None = None
        self.chat = GroupChat(self)

    def send(self, text: str, client_id: str | None = None) -> Message:
        """Post to the shard; a retry with the same ``client_id`` makes no second message."""
        return self._t.run(_plan_send(self.guid, text, client_id))

    def history(self, before: int | None = None, limit: int = 50) -> list[Message]:
        """The shard's messages, oldest first (``before`` = a ``seq`` pages back)."""
        return self._t.run(_plan_history(self.guid, before, limit))

    # -- live events -------------------------------------------------------------------------

    @property
    def events(self) -> EventStream:
        """The live connection on the shared loop (opened on first use; it resumes by itself)."""
        if self._stream is None:
            self._stream = self._seat.stream()
            self._stream.start(wait=None)
        return self._stream

    def connect(self, wait: float = 10.0) -> GroupMember:
        """Open the live connection now and wait up to ``wait`` s for the welcome.

        Raises ``bw.Forbidden`` at once when the service refuses the token (the membership
        ended: left, or no connection for the grace period)."""
        stream = self.events
        deadline = time.monotonic() + wait
        while not stream.connected.wait(min(0.05, wait)):
            if stream.fatal:
                raise Forbidden(stream.fatal)
            if time.monotonic() > deadline:
                break
        return self

    def on(self, event_type: str, callback: Callback) -> None:
        """Call ``callback(event)`` for ``chat_message``, ``group_presence``, ``reload``
        (or ``"*"``: all). Callbacks run on the background loop's thread: keep them short."""
        self.events.on(event_type, callback)

    def off(self, event_type: str, callback: Callback | None = None) -> None:
        if self._stream is not None:
            self._stream.off(event_type, callback)

    def on_message(self, callback: Callback) -> None:
        """``callback(event)`` for each message of the shard (``event["data"]["text"]``)."""
        self.on("chat_message", callback)

    def drop(self) -> None:
        """Break the live connection (it reconnects and resumes); for tests and demos."""
        if self._stream is not None:
            self._stream.drop()

    # -- leaving -----------------------------------------------------------------------------

    def leave(self) -> None:
        """Leave the group: the place is free at once. Harmless when already gone."""
        self.close()
        self._t.run(_plan_leave(self.guid))

    def close(self) -> None:
        """Close the live connection only (the membership ends after the grace period)."""
        if self._stream is not None:
            self._stream.stop()
            self._stream = None

    def _check(self, meeting: str | None) -> None:
        if meeting not in (None, self.guid):
            raise Forbidden(f"a group member has one chat: their shard ({self.guid})")

    def __enter__(self) -> GroupMember:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Unavailable):
            self.leave()


class BreakoutGroups:
    """Join breakout groups of one app (the service's admin key is the default app's key).

    ``app_id`` names the app for ``set_max`` ("default" for the admin key; an app made
    with ``POST /v1/apps`` has its own).
    """

    def __init__(self, url: str, app_key: str, *, app_id: str = "default") -> None:
        self.url = url.rstrip("/")
        self.app_id = app_id
        self._t = SyncTransport(self.url, admin_key=app_key)

    def join(
        self,
        group: str | dict[str, Any],
        user: str | dict[str, Any] | None = None,
        *,
        connect: bool = True,
        wait: float = 10.0,
    ) -> GroupMember:
        """Seat a member: ``group`` is a name or ``{"name", "icon"}``, ``user`` a name or
        ``{"name", "avatar"}`` (none: "Anonymous"). With ``connect`` (the default) the live
        connection opens at once: without one the membership ends after the grace period.
        """
        answer = self._t.run(_plan_join(group, user))
        seat = _Seat(self.url, answer)
        member = GroupMember(seat, _Borrowed(self._t, seat.token))
        if connect:
            member.connect(wait)
        return member

    def shards(self, name: str) -> list[dict[str, Any]]:
        """The shards of a group: ``guid``, ``number``, ``members``, ``max``."""
        return self._t.run(_plan_shards(name))

    def members(self, guid: str) -> list[str]:
        """The uids in a shard."""
        return self._t.run(_plan_members(guid))

    def set_max(self, name: str, max_size: int) -> dict[str, Any]:
        """The max of one group name of this app, for placements from now on."""
        return self._t.run(_plan_set_max(self.app_id, name, max_size))

    def close(self) -> None:
        """Close the HTTP pool (members of this object can no longer send)."""
        self._t.close()

    def __enter__(self) -> BreakoutGroups:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- async --------------------------------------------------------------------------------


class AsyncGroupMember(_MemberBase):
    """The async twin of ``GroupMember``; its live connection runs on the caller's loop."""

    def __init__(self, seat: _Seat, transport: AsyncTransport) -> None:
        self._seat = seat
        self._t = transport
        self._stream = seat.stream(on_welcome=self._welcomed)
        self._task: asyncio.Task[None] | None = None
        self._welcome: asyncio.Event | None = None

    async def send(self, text: str, client_id: str | None = None) -> Message:
        return await self._t.run(_plan_send(self.guid, text, client_id))

    async def history(self, before: int | None = None, limit: int = 50) -> list[Message]:
        return await self._t.run(_plan_history(self.guid, before, limit))

    @property
    def events(self) -> EventStream:
        return self._stream

    async def connect(self, wait: float = 10.0) -> AsyncGroupMember:
        """Open the live connection as a task of the running loop; wait for the welcome."""
        if self._task is None:
            self._welcome = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._stream.run())
        assert self._welcome is not None
        waiter = asyncio.ensure_future(self._welcome.wait())
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait({waiter, self._task}, timeout=wait, return_when="FIRST_COMPLETED")
        waiter.cancel()
        if self._stream.fatal:
            raise Forbidden(self._stream.fatal)
        return self

    def _welcomed(self, _msg: dict[str, Any]) -> None:
        if self._welcome is not None:
            self._welcome.set()

    def on(self, event_type: str, callback: Callback) -> None:
        self._stream.on(event_type, callback)

    def off(self, event_type: str, callback: Callback | None = None) -> None:
        self._stream.off(event_type, callback)

    def on_message(self, callback: Callback) -> None:
        self.on("chat_message", callback)

    async def drop(self) -> None:
        """Break the live connection (it reconnects and resumes)."""
        ws = self._stream._ws
        if ws is not None:
            await ws.close()

    async def close(self) -> None:
        """Close the live connection only (the membership ends after the grace period)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def leave(self) -> None:
        await self.close()
        await self._t.run(_plan_leave(self.guid))

    async def __aenter__(self) -> AsyncGroupMember:
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(Unavailable):
            await self.leave()


class AsyncBreakoutGroups:
    """The async twin of ``BreakoutGroups``, for bots and load generators: thousands of
    members on one loop, one HTTP pool."""

    def __init__(self, url: str, app_key: str, *, app_id: str = "default") -> None:
        self.url = url.rstrip("/")
        self.app_id = app_id
        self._t = AsyncTransport(self.url, admin_key=app_key)

    async def join(
        self,
        group: str | dict[str, Any],
        user: str | dict[str, Any] | None = None,
        *,
        connect: bool = True,
        wait: float = 10.0,
    ) -> AsyncGroupMember:
        answer = await self._t.run(_plan_join(group, user))
        seat = _Seat(self.url, answer)
        member = AsyncGroupMember(seat, _AsyncBorrowed(self._t, seat.token))
        if connect:
            await member.connect(wait)
        return member

    async def shards(self, name: str) -> list[dict[str, Any]]:
        return await self._t.run(_plan_shards(name))

    async def members(self, guid: str) -> list[str]:
        return await self._t.run(_plan_members(guid))

    async def set_max(self, name: str, max_size: int) -> dict[str, Any]:
        return await self._t.run(_plan_set_max(self.app_id, name, max_size))

    async def aclose(self) -> None:
        await self._t.close()

    async def __aenter__(self) -> AsyncBreakoutGroups:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
