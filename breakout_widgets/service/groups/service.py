"""Breakout groups, the application layer: join, leave, send, read, and who is online.

Routes and the WebSocket endpoint call this; it applies ``rules``, seats members through
the ``GroupDirectory`` and keeps the live side (``LiveShard``, ``Member``) in memory. A
join touches no database: membership is online-only. A member leaves on ``leave``, or
when they have had no connection for ``grace`` seconds (also if they never connected).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable
from typing import Any

from ...errors import Forbidden, NotFound, Unauthorized
from ..domain.limits import Limits
from ..realtime.connection import Connection
from . import rules
from .apps import App, Apps
from .connection import GroupConnection
from .directory import GroupDirectory, ShardInfo
from .live import LiveShard, Member

CLOSE_LEFT = 4001  # the membership ended: the token is no longer valid


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Groups:
    """Members and shards of every app, for one service process."""

    def __init__(
        self,
        apps: Apps,
        directory: GroupDirectory,
        *,
        grace: float = 30.0,
        keep: int = 1000,
        presence_interval: float = 1.0,
        limits: Limits | None = None,
        cut_off: Callable[[Connection], None] = lambda conn: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.apps = apps
        self.directory = directory
        self.grace = grace
        self.keep = keep  # messages kept per shard for resume
        self.presence_interval = presence_interval
        self.limits = limits or Limits()
        self.cut_off = cut_off  # the hub's: disconnect a slow consumer
        self.clock = clock
        self.live: dict[str, LiveShard] = {}
        self.members: dict[str, Member] = {}  # uid -> member
        self._by_token: dict[str, Member] = {}  # token hash -> member
        self._dirty: set[str] = set()  # shards whose count changed since the last tick
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self.on_leave: Callable[[Member], None] = lambda member: None  # messages forget them

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        self._ticker = asyncio.get_running_loop().create_task(self._presence_loop())

    async def stop(self) -> None:
        for member in list(self.members.values()):
            if member.timer is not None:
                member.timer.cancel()
        tasks = [t for t in (self._ticker, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # -- who is calling -----------------------------------------------------------------

    def member(self, token: str) -> Member | None:
        if not token.startswith(rules.GROUP_TOKEN_PREFIX):
            return None
        return self._by_token.get(token_hash(token))

    def caller(self, token: str) -> App | Member:
        """The app whose key this is, or the member whose token it is."""
        found = self.member(token) or self.apps.for_key(token)
        if found is None:
            raise Unauthorized("unknown key or member token (a membership ends when you leave)")
        return found

    # -- joining and leaving ------------------------------------------------------------

    async def join(self, app: App, body: object) -> dict[str, Any]:
        """Seat a new member in the lowest shard of the group with room (``body`` as sent:
        ``{"user": {"name", "avatar"}, "group": {"name", "icon"}}``)."""
        request = rules.JoinRequest.check(body, self.limits)
        uid, token = rules.new_uid(), rules.new_member_token()
        max_size = app.max_for(request.group)
        seat = await self.directory.place(app.id, request.group, uid, max_size)
        live = self.live.get(seat.guid)
        if live is None:
            live = self.live[seat.guid] = LiveShard(seat.guid, request.icon, self.keep)
        elif live.icon is None and request.icon is not None:
            live.icon = request.icon
        member = Member(
            uid,
            request.user,
            request.avatar,
            app.id,
            request.group,
            seat.guid,
            token_hash(token),
            self.clock(),
        )
        self.members[uid] = member
        self._by_token[member.token_hash] = member
        self._dirty.add(seat.guid)
        self._start_grace(member)  # until their first connection
        return {
            "group": {
                "guid": seat.guid,
                "name": request.group,
                "icon": live.icon,
                "type": rules.TYPE,
                "max": max_size,
                "createdAt": seat.created_at,
                "updatedAt": seat.updated_at,
            },
            "user": member.to_json(token),
        }

    async def leave(self, member: Member) -> None:
        """End a membership: the place is free at once, the member's sockets close."""
        if member.left:
            return
        member.left = True
        if member.timer is not None:
            member.timer.cancel()
            member.timer = None
        self.members.pop(member.uid, None)
        self._by_token.pop(member.token_hash, None)
        self.on_leave(member)
        for conn in list(member.connections):
            self._spawn(conn.close(CLOSE_LEFT, "the membership ended"))
        member.connections.clear()
        emptied = await self.directory.release(member.guid, member.uid)
        if emptied:
            self.live.pop(member.guid, None)
            self._dirty.discard(member.guid)
        else:
            self._dirty.add(member.guid)

    def _start_grace(self, member: Member) -> None:
        if member.timer is None and not member.left:
            loop = asyncio.get_running_loop()
            member.timer = loop.call_later(self.grace, self._grace_over, member)

    def _grace_over(self, member: Member) -> None:
        member.timer = None
        if not member.connections:
            self._spawn(self.leave(member))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- connections (the WebSocket endpoint calls these) --------------------------------

    def attach(self, member: Member, conn: GroupConnection) -> LiveShard:
        """A connection of ``member`` opened: they are back (or here for the first time)."""
        if member.left:
            raise Unauthorized("the membership ended")
        live = self.live[member.guid]
        if member.timer is not None:
            member.timer.cancel()
            member.timer = None
        member.connections.add(conn)
        live.connections.add(conn)
        return live

    def detach(self, conn: Connection) -> None:
        """A connection closed; the last one of a member starts their grace period."""
        if not isinstance(conn, GroupConnection):
            return
        member = conn.member
        live = self.live.get(member.guid)
        if live is not None:
            live.connections.discard(conn)
        member.connections.discard(conn)
        if not member.connections:
            self._start_grace(member)

    # -- presence -----------------------------------------------------------------------

    async def _presence_loop(self) -> None:
        """Each interval, tell the connections of every shard whose member count changed
        the new count (each connection only if it differs from what it was last told)."""
        while True:
            await asyncio.sleep(self.presence_interval)
            dirty, self._dirty = self._dirty, set()
            for guid in dirty:
                live = self.live.get(guid)
                if live is None:
                    continue
                if live.connections:
                    live.tell(await self.directory.count(guid))

    # -- reading ------------------------------------------------------------------------

    async def shard_for(self, caller: App | Member, guid: str) -> ShardInfo:
        """The shard ``guid`` if the caller may see it: a member their own, an app its own."""
        rules.require_guid(guid)
        if isinstance(caller, Member) and caller.guid != guid:
            raise Forbidden(f"a member sees only their own shard ({caller.guid})")
        info = await self.directory.shard(guid)
        if info is None or (isinstance(caller, App) and info.app_id != caller.id):
            raise NotFound(f"no shard with guid '{guid}' (an empty shard disappears)")
        return info

    async def group(self, caller: App | Member, guid: str) -> dict[str, Any]:
        info = await self.shard_for(caller, guid)
        live = self.live.get(guid)
        return {
            "guid": info.guid,
            "name": info.name,
            "icon": live.icon if live else None,
            "type": rules.TYPE,
            "max": info.max,
            "createdAt": info.created_at,
            "updatedAt": info.updated_at,
            "number": info.number,
            "online": info.members,
        }

    async def shards(self, app: App, name: str) -> dict[str, Any]:
        clean = rules.group_name(name)
        return {"shards": [s.to_json() for s in await self.directory.shards(app.id, clean)]}

    async def member_ids(self, app: App, guid: str) -> dict[str, Any]:
        await self.shard_for(app, guid)
        return {"members": await self.directory.members(guid)}
