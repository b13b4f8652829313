"""A group member on ``/v1/events``: the hello with a ``bwg_`` token, welcome and resume.

The endpoint hands a group token's hello here and otherwise treats the connection like
any other (ping, idle timeout, send queue, slow-consumer cut-off). The connection follows
one "meeting": the member's shard, whose guid is used as ``meeting_id``.
"""

from __future__ import annotations

from typing import Any

from starlette.websockets import WebSocket

from ...errors import BreakoutError
from ..realtime import protocol
from ..realtime.connection import Connection
from . import rules
from .connection import GroupConnection
from .messages import GroupMessages
from .service import Groups

SEND = "send"  # a member posts to their shard over the WebSocket
SENT = "sent"  # ... and gets the stored message back


class GroupGate:
    """Opens and closes group members' connections for the events endpoint, and takes
    the messages a member sends over their connection."""

    def __init__(self, groups: Groups, messages: GroupMessages) -> None:
        self.groups = groups
        self.messages = messages

    async def send(self, conn: Connection, message: dict[str, Any]) -> None:
        """``{"type": "send", "text", "client_id"?, "id"?}``: the same as the REST post
        (limits, rate, client_id retries, stored before the answer), answered with
        ``{"type": "sent", "id", "message"}`` or an ``error`` with the same ``id``.

        Awaited in the connection's receive loop, so one member's messages keep their order.
        """
        request_id = message.get("id")
        try:
            if not isinstance(conn, GroupConnection):
                raise BreakoutError(
                    "only breakout-group members send over the WebSocket; meetings use REST",
                    code="invalid_input",
                )
            client_id = message.get("client_id")
            answer = await self.messages.send(
                conn.member,
                conn.member.guid,
                message.get("text"),
                None if client_id is None else str(client_id),
            )
            reply: dict[str, Any] = {"type": SENT, "id": request_id, "message": answer}
        except BreakoutError as exc:
            reply = {"type": protocol.ERROR, "id": request_id, **exc.to_json()}
        conn.offer(None, 0, protocol.encode(reply))

    def owns(self, token: str) -> bool:
        return token.startswith(rules.GROUP_TOKEN_PREFIX)

    async def open(
        self, ws: WebSocket, hello: dict[str, Any], *, queue_size: int, window: int
    ) -> Connection:
        """Welcome the member, replay what they missed (or say reload), then go live."""
        resume = hello.get("resume") or {}
        if not isinstance(resume, dict):
            raise BreakoutError(
                "resume must map meeting ids to sequence numbers", code="invalid_input"
            )
        member = await self.groups.resolve(str(hello.get("token", "")))
        if member is None:
            raise BreakoutError(
                "unknown group token (a membership ends on leave or after the grace period)",
                code="unauthorized",
            )
        guid = member.guid
        live = self.groups.live[guid]
        conn = GroupConnection(
            ws,
            member,
            queue_size=queue_size,
            backlog=live.backlog,
            window=min(window, self.groups.keep),
        )
        # Nothing awaits between reading the last seq and joining the shard, so every
        # later message is queued for this connection and none is missed.
        last = live.published
        conn.sent = {guid: last}
        self.groups.attach(member, conn)
        try:
            await conn.send_control(
                {
                    "type": protocol.WELCOME,
                    "group": guid,
                    "uid": member.uid,
                    "meeting_id": guid,
                    "meetings": {guid: last},
                    "class_id": None,
                    "participant_id": None,
                }
            )
            after = resume.get(guid)
            if isinstance(after, int) and not isinstance(after, bool) and after < last:
                await conn.replay(guid, max(after, 0), last)
            conn.told = await self.groups.directory.count(guid)
            conn.offer(None, 0, live.presence(conn.told))  # where the count stands now
        except BaseException:
            self.groups.detach(conn)
            raise
        return conn

    def closed(self, conn: Connection) -> None:
        self.groups.detach(conn)
