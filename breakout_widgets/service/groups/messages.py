"""Shard messages: send (the same text limits, rate limit and client_id retries as meeting
chat) and history. Sent messages are stored in batches by ``MessageWriter``; each is
encoded once and the same text goes to every connection of the shard.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from ...errors import Forbidden, InvalidInput, NotFound
from ..domain.chat import RateLimiter, clean_text
from ..realtime import protocol
from ..store import Store
from . import rules
from .apps import App
from .live import LiveShard, Member
from .service import Groups
from .tables import group_messages
from .writer import MessageWriter

CLIENT_IDS_KEPT = 1000  # per member: a retry of one of their last 1000 sends is recognised


class MemberLimiter(RateLimiter):
    """The chat rate limit, per member; a member who left is forgotten (no slow leak)."""

    def forget(self, key: str) -> None:
        self._buckets.pop(key, None)


class GroupMessages:
    """Sending to a shard and reading its messages."""

    def __init__(
        self,
        groups: Groups,
        writer: MessageWriter,
        store: Store,
        limiter: MemberLimiter | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.groups = groups
        self.writer = writer
        self.store = store
        self.limiter = limiter or MemberLimiter()
        self.clock = clock
        groups.on_leave = lambda member: self.limiter.forget(member.uid)

    async def send(
        self, member: Member, guid: str, text: object, client_id: str | None = None
    ) -> dict[str, Any]:
        """Post to the member's own shard; a retried ``client_id`` returns the first answer."""
        rules.require_guid(guid)
        if guid != member.guid:
            raise Forbidden(f"a member sends only to their own shard ({member.guid})")
        clean = clean_text(text)
        if client_id is not None:
            if not 1 <= len(client_id) <= 100:
                raise InvalidInput("client_id must have 1 to 100 characters")
            known = member.client_ids.get(client_id) if member.client_ids else None
            if known is not None:
                return await asyncio.shield(known)
        now = self.clock()
        self.limiter.take(member.uid, now)
        live = self.groups.live[guid]
        if self.groups.shared:  # numbered in Redis: unique and ordered across processes
            seq = await self.groups.directory.next_seq(guid)
            if not seq:
                raise NotFound(f"no shard with guid '{guid}' (an empty shard disappears)")
        else:
            seq = live.next_seq()
        sender = member.sender()
        message_id = "gm_" + secrets.token_hex(8)
        data = {"id": message_id, "text": clean, "client_id": client_id, "sender": sender}
        # Encoded once: the same text goes to every connection of the shard.
        event = protocol.encode(
            {"type": "chat_message", "meeting_id": guid, "seq": seq, "data": data, "time": now}
        )
        answer = {
            "id": message_id,
            "seq": seq,
            "guid": guid,
            "text": clean,
            "client_id": client_id,
            "sender": sender,
            "time": now,
        }
        row = {
            "id": message_id,
            "app_id": member.app_id,
            "guid": guid,
            "group_name": member.group,
            "seq": seq,
            "uid": member.uid,
            "sender": member.name,
            "avatar": member.avatar,
            "client_id": client_id,
            "text": clean,
            "created_at": now,
        }
        stored = self.writer.write(row, lambda: self.groups.deliver(live, seq, event))
        if client_id is None:
            await stored
            return answer
        result: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._remember(member, client_id, result)
        try:
            await stored
        except BaseException as exc:
            if member.client_ids is not None:
                member.client_ids.pop(client_id, None)  # not stored: a retry may try again
            if not result.done():
                result.set_exception(exc)
                result.exception()  # retrieved: no "never retrieved" warning
            raise
        result.set_result(answer)
        return answer

    def _remember(
        self, member: Member, client_id: str, result: asyncio.Future[dict[str, Any]]
    ) -> None:
        if member.client_ids is None:
            member.client_ids = {}
        member.client_ids[client_id] = result
        if len(member.client_ids) > CLIENT_IDS_KEPT:
            del member.client_ids[next(iter(member.client_ids))]  # the oldest

    async def history(
        self, caller: App | Member, guid: str, before: int | None = None, limit: int = 50
    ) -> dict[str, Any]:
        """Messages oldest first; ``before`` (a seq) pages back. An app also reads the
        record of its shards that emptied and are gone."""
        rules.require_guid(guid)
        limit = max(1, min(limit, 500))
        live = await self._readable(caller, guid)
        if self.writer.store is None:
            return _page(_from_log(live, before, limit + 1), limit)
        query = select(group_messages).where(group_messages.c.guid == guid)
        if isinstance(caller, App):
            query = query.where(group_messages.c.app_id == caller.id)
        if before is not None:
            query = query.where(group_messages.c.seq < before)
        async with self.store.engine.connect() as conn:
            rows = (
                await conn.execute(query.order_by(group_messages.c.seq.desc()).limit(limit + 1))
            ).all()
        if not rows and live is None:
            raise NotFound(f"no shard with guid '{guid}'")
        return _page([_row_json(r) for r in rows], limit)

    async def _readable(self, caller: App | Member, guid: str) -> LiveShard | None:
        if isinstance(caller, Member):
            if caller.guid != guid:
                raise Forbidden(f"a member reads only their own shard ({caller.guid})")
            return self.groups.live.get(guid)
        info = await self.groups.directory.shard(guid)
        if info is not None and info.app_id != caller.id:
            raise NotFound(f"no shard with guid '{guid}'")
        return self.groups.live.get(guid) if info is not None else None


def _row_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "seq": row.seq,
        "guid": row.guid,
        "text": row.text,
        "client_id": row.client_id,
        "sender": {"id": row.uid, "name": row.sender, "avatar": row.avatar},
        "time": row.created_at,
    }


def _from_log(live: LiveShard | None, before: int | None, count: int) -> list[dict[str, Any]]:
    """Newest first, from the messages kept in memory (when they are not stored)."""
    if live is None:
        return []
    found = []
    for seq, text in reversed(live.log):
        if before is not None and seq >= before:
            continue
        event = json.loads(text)
        data = event["data"]
        found.append(
            {
                "id": data["id"],
                "seq": seq,
                "guid": live.guid,
                "text": data["text"],
                "client_id": data["client_id"],
                "sender": data["sender"],
                "time": event["time"],
            }
        )
        if len(found) == count:
            break
    return found


def _page(newest_first: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    more = len(newest_first) > limit
    messages = list(reversed(newest_first[:limit]))
    return {
        "messages": messages,
        "more": more,
        "before": messages[0]["seq"] if messages and more else None,
    }
