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
from typing import Any, Protocol

from ...errors import Forbidden, NotFound, Unauthorized
from ..bus.order import ShardOrder
from ..domain.limits import Limits
from ..realtime.connection import Connection
from . import rules
from .apps import App, Apps
from .connection import GroupConnection
from .directory import GroupDirectory, ShardInfo
from .live import LiveShard, Member

CLOSE_LEFT = 4001  # the membership ended: the token is no longer valid
HOLD = 2.0  # seconds a later message waits for an earlier one from another process


class ShardBus(Protocol):
    """Shard frames between processes (``bus.redis.RedisBus``)."""

    def publish_shard(self, guid: str, frame: str) -> None: ...

    async def watch(self, guid: str) -> None: ...

    async def unwatch(self, guid: str) -> None: ...


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
        # Several processes (``directory.shared``): members, seqs and counts are in Redis;
        # this process keeps replicas of the members it serves and hears shards on ``bus``.
        self.shared = directory.shared
        self.bus: ShardBus | None = None
        self.keep_every = min(grace / 3, 5.0)  # how often connected places are kept
        self._order: ShardOrder[tuple[int, str]] = ShardOrder()
        self._here: dict[str, int] = {}  # shard -> members held by this process
        self._gaps: dict[str, asyncio.TimerHandle] = {}

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        self._ticker = asyncio.get_running_loop().create_task(self._presence_loop())
        if self.shared:
            self._spawn(self._keep_loop())

    async def stop(self) -> None:
        for member in list(self.members.values()):
            if member.timer is not None:
                member.timer.cancel()
        for timer in self._gaps.values():
            timer.cancel()
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

    async def resolve(self, token: str) -> Member | None:
        """The member whose token it is, also one who joined through another process."""
        member = self.member(token)
        if member is None and self.shared and token.startswith(rules.GROUP_TOKEN_PREFIX):
            hashed = token_hash(token)
            record = await self.directory.recall(hashed)
            member = self._by_token.get(hashed)  # another call may have adopted them
            if member is None and record is not None:
                member = await self._adopt(record, hashed)
        return member

    async def resolve_caller(self, token: str) -> App | Member:
        """``caller``, asking the other processes (Redis) about a member token."""
        found = await self.resolve(token) or self.apps.for_key(token)
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
        max_size = seat.max or max_size
        live = self.live.get(seat.guid)
        if live is None:
            live = await self._open_live(seat.guid, request.icon)
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
        if self.shared:
            record = {**member.to_json(), "app_id": app.id, "group": request.group}
            await self.directory.remember(member.token_hash, {**record, "guid": seat.guid})
        self._hold(member)
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
        self._drop(member)
        if self.shared:
            await self._ended_everywhere(member)
        emptied = await self.directory.release(member.guid, member.uid)
        if self.shared:
            return
        if emptied:
            self.live.pop(member.guid, None)
            self._dirty.discard(member.guid)
        else:
            self._dirty.add(member.guid)

    def _hold(self, member: Member) -> None:
        """Keep ``member`` in this process (a join here, or a replica of one elsewhere)."""
        self.members[member.uid] = member
        self._by_token[member.token_hash] = member
        self._here[member.guid] = self._here.get(member.guid, 0) + 1
        self._dirty.add(member.guid)
        self._start_grace(member)  # until their first connection (here)

    def _drop(self, member: Member) -> None:
        """Forget ``member`` in this process and close their sockets here."""
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
        here = self._here.get(member.guid, 0) - 1
        if here > 0:
            self._here[member.guid] = here
            return
        self._here.pop(member.guid, None)
        if self.shared:  # nobody of this shard here any more: stop hearing it
            self.live.pop(member.guid, None)
            self._order.forget(member.guid)
            if self.bus is not None:
                self._spawn(self.bus.unwatch(member.guid))

    def _start_grace(self, member: Member) -> None:
        if member.timer is None and not member.left:
            loop = asyncio.get_running_loop()
            member.timer = loop.call_later(self.grace, self._grace_over, member)

    def _grace_over(self, member: Member) -> None:
        member.timer = None
        if not member.connections:
            self._spawn(self._lapse(member) if self.shared else self.leave(member))

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
        if self.shared:  # at once: the place may be close to its deadline
            places = [(member.uid, member.token_hash)]
            self._spawn(self.directory.keep(member.guid, places, self.grace + self.keep_every))
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
            if self.shared:  # joins and leaves elsewhere are not seen here: ask for all
                dirty = {g for g, live in self.live.items() if live.connections}
                counts = await self.directory.counts(sorted(dirty))
                for guid, count in counts.items():
                    live = self.live.get(guid)
                    if live is not None:
                        live.tell(count)
                continue
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

    # -- several processes (Redis) --------------------------------------------------------

    async def _open_live(self, guid: str, icon: str | None) -> LiveShard:
        """This process's side of a shard; with Redis, hear it from the last seq on."""
        live = LiveShard(guid, icon, self.keep)
        if self.shared:
            live.seq = live.published = await self.directory.last_seq(guid)
            self._order.start(guid, live.published)
            if self.bus is not None:
                await self.bus.watch(guid)
        return self.live.setdefault(guid, live)

    async def _adopt(self, record: dict[str, Any], hashed: str) -> Member:
        """A replica of a member who joined through another process."""
        guid = record["guid"]
        if guid not in self.live:
            await self._open_live(guid, None)
        known = self._by_token.get(hashed)
        if known is not None:
            return known
        member = Member(
            record["uid"],
            record["name"],
            record["avatar"],
            record["app_id"],
            record["group"],
            guid,
            hashed,
            record["createdAt"],
        )
        self._hold(member)
        return member

    async def _lapse(self, member: Member) -> None:
        """This process's grace is over; the member leaves once their place lapsed in Redis
        (no process kept it: no connection anywhere for the grace period)."""
        if member.left or member.connections:
            return
        left = await self.directory.lapse(member.guid, member.uid)
        if member.left or member.connections or member.timer is not None:
            return
        if left > 0:  # connected elsewhere, or not yet long enough
            member.timer = asyncio.get_running_loop().call_later(left, self._grace_over, member)
            return
        self._drop(member)
        await self._ended_everywhere(member)

    async def _ended_everywhere(self, member: Member) -> None:
        await self.directory.forget(member.token_hash)
        if self.bus is not None:
            self.bus.publish_shard(member.guid, f"l {member.uid}")

    async def _keep_loop(self) -> None:
        """Push on the places of the members connected here (a crashed process's lapse)."""
        while True:
            await asyncio.sleep(self.keep_every)
            by_shard: dict[str, list[tuple[str, str]]] = {}
            for m in list(self.members.values()):
                if m.connections:
                    by_shard.setdefault(m.guid, []).append((m.uid, m.token_hash))
            for guid, places in by_shard.items():
                with contextlib.suppress(Exception):
                    await self.directory.keep(guid, places, self.grace + self.keep_every)

    def deliver(self, live: LiveShard, seq: int, text: str) -> None:
        """A stored message goes out: here at once, or to every process through Redis."""
        if self.bus is None:
            live.publish(seq, text, self.cut_off)
        else:
            self.bus.publish_shard(live.guid, f"m {seq} {text}")

    def on_frame(self, guid: str, frame: str) -> None:
        """A frame of a watched shard from Redis (this process's own ones too)."""
        kind, _, rest = frame.partition(" ")
        if kind == "l":
            member = self.members.get(rest)
            if member is not None and member.guid == guid:
                self._drop(member)
            return
        live = self.live.get(guid)
        if kind != "m" or live is None:
            return
        seq_text, _, text = rest.partition(" ")
        seq = int(seq_text)
        self._publish(live, self._order.accept(guid, seq, (seq, text)))

    def _publish(self, live: LiveShard, ready: list[tuple[int, str]]) -> None:
        for seq, text in ready:
            live.publish(seq, text, self.cut_off)
        guid = live.guid
        if self._order.has_gap(guid) and guid not in self._gaps:
            self._gaps[guid] = asyncio.get_running_loop().call_later(HOLD, self._give_up, guid)

    def _give_up(self, guid: str) -> None:
        self._gaps.pop(guid, None)
        live = self.live.get(guid)
        if live is not None:
            self._publish(live, self._order.give_up(guid))
