"""Chat, polls, broadcast, the help queue, presence and records of a class.

Each write runs in a transaction holding the class's lock (``Store.locked``), stores
its rows and its event together, and hands the event to the hub after the commit.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..errors import Forbidden, InvalidInput, NotFound
from .classes import Classes, new_id
from .domain import breakout as ops
from .domain.chat import RateLimiter, clean_text
from .domain.permissions import CAN_ALTER, CHAT_SEND, POLLS_CREATE, POLLS_VOTE, Preset
from .domain.polls import check_poll, option_index, tally
from .domain.state import Event
from .store import tables as t
from .store.store import Credential, StoredEvent


class Activities:
    def __init__(
        self,
        classes: Classes,
        limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.classes = classes
        self.store = classes.store
        self.limiter = limiter or RateLimiter()
        self.clock = clock
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- who may see and do what ---------------------------------------------------------

    async def _actor(self, conn: AsyncConnection, who: Credential) -> tuple[Preset, str]:
        """The caller's preset and the meeting they are in now."""
        row = (
            await conn.execute(
                select(t.participants.c.meeting_id).where(t.participants.c.id == who.participant_id)
            )
        ).first()
        if row is None:
            raise NotFound("this participant no longer exists")
        return await self.classes.preset(who.preset, conn), row.meeting_id

    async def _meeting_in_class(self, conn: AsyncConnection, meeting_id: str, class_id: str) -> Any:
        row = (await conn.execute(select(t.meetings).where(t.meetings.c.id == meeting_id))).first()
        if row is None or row.class_id != class_id:
            raise NotFound(f"no meeting with id '{meeting_id}' in this class")
        return row

    async def readable(self, who: Credential | None, class_id: str, meeting_id: str) -> None:
        """A participant reads the meeting they are in; a host (or the admin) every one."""
        async with self.store.engine.connect() as conn:
            await self._meeting_in_class(conn, meeting_id, class_id)
            if who is None:
                return
            preset, current = await self._actor(conn, who)
        if meeting_id != current and not preset.allows(CAN_ALTER):
            raise Forbidden("a participant sees only the chat of the meeting they are in")

    def _publish(self, events: list[StoredEvent]) -> None:
        if events:
            self.classes.published(events)

    # -- chat ---------------------------------------------------------------------------

    async def send_chat(
        self,
        who: Credential,
        text: str,
        client_id: str | None = None,
        meeting_id: str | None = None,
    ) -> dict[str, Any]:
        """Post to the meeting one is in (a host: to any open meeting). A retry with the
        same ``client_id`` returns the first message and makes no second one."""
        text = clean_text(text)
        if client_id is not None and not 1 <= len(client_id) <= 100:
            raise InvalidInput("client_id must have 1 to 100 characters")
        now = self.clock()
        async with self.store.locked(who.class_id) as conn:
            if client_id is not None:
                existing = (
                    await conn.execute(
                        select(t.messages).where(
                            t.messages.c.participant_id == who.participant_id,
                            t.messages.c.client_id == client_id,
                        )
                    )
                ).first()
                if existing is not None:
                    return _message_json(existing)
            preset, current = await self._actor(conn, who)
            preset.require(CHAT_SEND, "send chat messages")
            target = meeting_id or current
            if target != current:
                if not preset.allows(CAN_ALTER):
                    raise Forbidden("a participant chats only in the meeting they are in")
                row = await self._meeting_in_class(conn, target, who.class_id)
                if row.status == "closed":
                    raise InvalidInput("that room is closed")
            self.limiter.take(who.participant_id, now)
            message = {
                "id": new_id("msg"),
                "text": text,
                "client_id": client_id,
                "sender": {"id": who.participant_id, "name": who.name},
            }
            (stored,) = await self.store.append_events(
                conn, who.class_id, [Event(target, "chat_message", message)], now
            )
            await conn.execute(
                insert(t.messages).values(
                    id=message["id"],
                    meeting_id=target,
                    seq=stored.seq,
                    participant_id=who.participant_id,
                    sender=who.name,
                    client_id=client_id,
                    text=text,
                    created_at=now,
                )
            )
        self._publish([stored])
        return {**message, "meeting_id": target, "seq": stored.seq, "time": now}

    async def chat_history(
        self,
        who: Credential | None,
        class_id: str,
        meeting_id: str,
        before: int | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        """Messages oldest first; ``before`` (a seq) pages back through older ones."""
        await self.readable(who, class_id, meeting_id)
        limit = max(1, min(limit, 500))
        query = select(t.messages).where(t.messages.c.meeting_id == meeting_id)
        if before is not None:
            query = query.where(t.messages.c.seq < before)
        async with self.store.engine.connect() as conn:
            rows = (
                await conn.execute(query.order_by(t.messages.c.seq.desc()).limit(limit + 1))
            ).all()
        more = len(rows) > limit
        rows = list(reversed(rows[:limit]))
        return {
            "meeting_id": meeting_id,
            "messages": [_message_json(r) for r in rows],
            "more": more,
            "before": rows[0].seq if rows and more else None,
        }

    # -- polls --------------------------------------------------------------------------

    async def create_poll(
        self,
        who: Credential,
        question: str,
        options: list[str],
        anonymous: bool = False,
        meeting_id: str | None = None,
    ) -> dict[str, Any]:
        question, options = check_poll(question, options, self.classes.limits.max_name)
        now = self.clock()
        async with self.store.locked(who.class_id) as conn:
            preset, current = await self._actor(conn, who)
            preset.require(POLLS_CREATE, "create polls")
            target = meeting_id or current
            if target != current and not preset.allows(CAN_ALTER):
                raise Forbidden("a poll is created in the meeting its creator is in")
            await self._meeting_in_class(conn, target, who.class_id)
            poll = {
                "id": new_id("poll"),
                "meeting_id": target,
                "question": question,
                "options": options,
                "anonymous": anonymous,
                "status": "open",
                "creator_id": who.participant_id,
            }
            await conn.execute(
                insert(t.polls).values(class_id=who.class_id, created_at=now, **poll)
            )
            body = {**poll, "results": tally(options, []), "votes": 0}
            events = await self.store.append_events(
                conn,
                who.class_id,
                [Event(target, "poll_update", {"action": "created", "poll": body})],
                now,
            )
        self._publish(events)
        return body

    async def _poll(self, conn: AsyncConnection, poll_id: str, class_id: str) -> Any:
        row = (await conn.execute(select(t.polls).where(t.polls.c.id == poll_id))).first()
        if row is None or row.class_id != class_id:
            raise NotFound(f"no poll with id '{poll_id}' in this class")
        return row

    async def _poll_json(
        self, conn: AsyncConnection, row: Any, viewer: str | None = None
    ) -> dict[str, Any]:
        votes = (
            await conn.execute(
                select(t.votes.c.participant_id, t.votes.c.option).where(
                    t.votes.c.poll_id == row.id
                )
            )
        ).all()
        body = {
            "id": row.id,
            "meeting_id": row.meeting_id,
            "question": row.question,
            "options": row.options,
            "anonymous": row.anonymous,
            "status": row.status,
            "creator_id": row.creator_id,
            "results": tally(row.options, [v.option for v in votes]),
            "votes": len(votes),
        }
        mine = [v.option for v in votes if v.participant_id == viewer]
        body["my_vote"] = row.options[mine[0]] if mine else None
        return body

    async def vote(self, who: Credential, poll_id: str, choice: str | int) -> dict[str, Any]:
        """One choice per person; a new vote replaces the old one until the poll closes."""
        now = self.clock()
        async with self.store.locked(who.class_id) as conn:
            row = await self._poll(conn, poll_id, who.class_id)
            preset, current = await self._actor(conn, who)
            preset.require(POLLS_VOTE, "vote")
            if row.status != "open":
                raise InvalidInput("this poll is closed")
            if current != row.meeting_id and not preset.allows(CAN_ALTER):
                raise Forbidden("vote in the meeting where the poll runs")
            index = option_index(row.options, choice)
            done = await conn.execute(
                update(t.votes)
                .where(t.votes.c.poll_id == poll_id, t.votes.c.participant_id == who.participant_id)
                .values(option=index, voted_at=now)
            )
            if done.rowcount == 0:
                await conn.execute(
                    insert(t.votes).values(
                        poll_id=poll_id,
                        participant_id=who.participant_id,
                        option=index,
                        voted_at=now,
                    )
                )
            body = await self._poll_json(conn, row, who.participant_id)
            data: dict[str, Any] = {
                "action": "vote",
                "poll_id": poll_id,
                "results": body["results"],
                "votes": body["votes"],
            }
            if not row.anonymous:
                data["voter"] = {
                    "id": who.participant_id,
                    "name": who.name,
                    "option": row.options[index],
                }
            events = await self.store.append_events(
                conn, who.class_id, [Event(row.meeting_id, "poll_update", data)], now
            )
        self._publish(events)
        return body

    async def close_poll(
        self, who: Credential | None, class_id: str, poll_id: str
    ) -> dict[str, Any]:
        now = self.clock()
        async with self.store.locked(class_id) as conn:
            row = await self._poll(conn, poll_id, class_id)
            if who is not None and who.participant_id != row.creator_id:
                preset = await self.classes.preset(who.preset, conn)
                preset.require(CAN_ALTER, "close others' polls")
            if row.status != "open":
                return await self._poll_json(conn, row)
            await conn.execute(
                update(t.polls)
                .where(t.polls.c.id == poll_id)
                .values(status="closed", closed_at=now)
            )
            row = await self._poll(conn, poll_id, class_id)
            body = await self._poll_json(conn, row)
            events = await self.store.append_events(
                conn,
                class_id,
                [
                    Event(
                        row.meeting_id,
                        "poll_update",
                        {
                            "action": "closed",
                            "poll_id": poll_id,
                            "results": body["results"],
                            "votes": body["votes"],
                        },
                    )
                ],
                now,
            )
        self._publish(events)
        return body

    async def polls(
        self, who: Credential | None, class_id: str, meeting_id: str
    ) -> list[dict[str, Any]]:
        await self.readable(who, class_id, meeting_id)
        async with self.store.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(t.polls)
                    .where(t.polls.c.meeting_id == meeting_id)
                    .order_by(t.polls.c.created_at)
                )
            ).all()
            viewer = who.participant_id if who else None
            return [await self._poll_json(conn, r, viewer) for r in rows]

    async def poll(self, who: Credential | None, class_id: str, poll_id: str) -> dict[str, Any]:
        async with self.store.engine.connect() as conn:
            row = await self._poll(conn, poll_id, class_id)
        await self.readable(who, class_id, row.meeting_id)
        async with self.store.engine.connect() as conn:
            return await self._poll_json(conn, row, who.participant_id if who else None)

    # -- broadcast and help ---------------------------------------------------------------

    async def broadcast(self, who: Credential | None, class_id: str, text: str) -> dict[str, Any]:
        """The host's message to the main meeting and every open room at once."""
        text = clean_text(text)
        await self.classes.require_host(who, class_id)

        def operation(state: Any) -> list[Event]:
            sender = state.person(who.participant_id) if who else None
            return ops.broadcast(state, sender, text)

        _, events, _ = await self.classes._mutate(class_id, operation, bump=False)
        return {"text": text, "meetings": [e.meeting_id for e in events]}

    async def ask_for_help(self, who: Credential) -> dict[str, Any]:
        """Put oneself in the host's help queue (once until resolved)."""
        now = self.clock()
        async with self.store.locked(who.class_id) as conn:
            _preset, current = await self._actor(conn, who)
            open_row = (
                await conn.execute(
                    select(t.help_requests).where(
                        t.help_requests.c.participant_id == who.participant_id,
                        t.help_requests.c.resolved_at.is_(None),
                    )
                )
            ).first()
            if open_row is not None:
                return await self._help_json(conn, open_row)
            request_id = new_id("help")
            await conn.execute(
                insert(t.help_requests).values(
                    id=request_id,
                    class_id=who.class_id,
                    participant_id=who.participant_id,
                    meeting_id=current,
                    created_at=now,
                )
            )
            row = (
                await conn.execute(
                    select(t.help_requests).where(t.help_requests.c.id == request_id)
                )
            ).one()
            body = await self._help_json(conn, row)
            events = await self.store.append_events(
                conn,
                who.class_id,
                [Event(who.class_id, "help_requested", {"action": "requested", **body})],
                now,
            )
        self._publish(events)
        return body

    async def _help_json(self, conn: AsyncConnection, row: Any) -> dict[str, Any]:
        person = (
            await conn.execute(
                select(t.participants.c.name).where(t.participants.c.id == row.participant_id)
            )
        ).first()
        meeting = (
            await conn.execute(
                select(t.meetings.c.title, t.meetings.c.kind).where(
                    t.meetings.c.id == row.meeting_id
                )
            )
        ).first()
        return {
            "id": row.id,
            "participant_id": row.participant_id,
            "name": person.name if person else "?",
            "meeting_id": row.meeting_id,
            "room": meeting.title if meeting else None,
            "in_main": bool(meeting and meeting.kind == "main"),
            "since": row.created_at,
            "resolved_at": row.resolved_at,
        }

    async def help_queue(self, who: Credential | None, class_id: str) -> list[dict[str, Any]]:
        await self.classes.require_host(who, class_id)
        async with self.store.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(t.help_requests)
                    .where(
                        t.help_requests.c.class_id == class_id,
                        t.help_requests.c.resolved_at.is_(None),
                    )
                    .order_by(t.help_requests.c.created_at)
                )
            ).all()
            return [await self._help_json(conn, r) for r in rows]

    async def resolve_help(
        self, who: Credential | None, class_id: str, request_id: str
    ) -> dict[str, Any]:
        await self.classes.require_host(who, class_id)
        now = self.clock()
        async with self.store.locked(class_id) as conn:
            row = (
                await conn.execute(
                    select(t.help_requests).where(t.help_requests.c.id == request_id)
                )
            ).first()
            if row is None or row.class_id != class_id:
                raise NotFound(f"no help request '{request_id}' in this class")
            if row.resolved_at is None:
                await conn.execute(
                    update(t.help_requests)
                    .where(t.help_requests.c.id == request_id)
                    .values(resolved_at=now, resolved_by=who.participant_id if who else None)
                )
            row = (
                await conn.execute(
                    select(t.help_requests).where(t.help_requests.c.id == request_id)
                )
            ).one()
            body = await self._help_json(conn, row)
            events = await self.store.append_events(
                conn,
                class_id,
                [Event(class_id, "help_requested", {"action": "resolved", **body})],
                now,
            )
        self._publish(events)
        return body

    # -- presence and records -------------------------------------------------------------

    def presence_changed(self, class_id: str, participant_id: str, online: bool) -> None:
        """Hub hook (sync): record online/offline as an event of the main meeting."""
        task = asyncio.get_running_loop().create_task(
            self._presence(class_id, participant_id, online)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _presence(self, class_id: str, participant_id: str, online: bool) -> None:
        now = self.clock()
        async with self.store.locked(class_id) as conn:
            row = (
                await conn.execute(
                    select(t.participants.c.name).where(t.participants.c.id == participant_id)
                )
            ).first()
            events = await self.store.append_events(
                conn,
                class_id,
                [
                    Event(
                        class_id,
                        "presence",
                        {
                            "participant_id": participant_id,
                            "name": row.name if row else "?",
                            "online": online,
                        },
                    )
                ],
                now,
            )
        self._publish(events)

    async def record(
        self,
        who: Credential | None,
        class_id: str,
        meeting_id: str,
        after: int = 0,
        limit: int = 1000,
    ) -> dict[str, Any]:
        """A meeting's events (its record): chat, polls, joins, moves, broadcasts."""
        await self.readable(who, class_id, meeting_id)
        limit = max(1, min(limit, 5000))
        events = await self.store.events(meeting_id, after, limit)
        async with self.store.engine.connect() as conn:
            last = (
                await conn.execute(
                    select(func.max(t.events.c.seq)).where(t.events.c.meeting_id == meeting_id)
                )
            ).scalar() or 0
        return {"meeting_id": meeting_id, "events": [e.to_json() for e in events], "last_seq": last}


def _message_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "meeting_id": row.meeting_id,
        "seq": row.seq,
        "text": row.text,
        "client_id": row.client_id,
        "time": row.created_at,
        "sender": {"id": row.participant_id, "name": row.sender},
    }
