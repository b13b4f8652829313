"""How the one load generator speaks to each target: join a room, publish, read events.

* ``ours`` — the breakout-widgets service: ``POST /v1/groups/join`` (app key), then a
  WebSocket to ``/v1/events`` with a ``hello``; publishing is ``POST
  /v1/groups/{guid}/messages`` with the member's token (the REST path is part of what is
  measured).
* ``bare`` — ``benchmarks/servers/bare_ws.py``: ``{"join": room}``, ``{"publish": room,
  "data"}``.
* ``socketio`` — ``benchmarks/servers/socketio_server.py``, spoken as Engine.IO v4 /
  Socket.IO v5 frames over a plain WebSocket: ``0{…}`` open, ``40`` connect, ``42[event,
  payload]`` events, ``43[…]`` acks, ``2`` ping answered with ``3``.

Every target delivers the same envelope ``{"type": "chat_message", "meeting_id", "seq",
"data": {"id", "text", "client_id", "sender"}, "time"}``; ``text`` starts with
``"{step}|{intended send time}|"`` so a receiver can attribute and time each delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from .wsclient import WsClient, WsClosed, connect

TARGETS = ("ours", "bare", "socketio")  # the side-by-side run
VARIANTS = ("ours-uvloop", "ours-rest")  # alternatives, on request (``--targets``)
LABELS = {
    "ours": "breakout-widgets",
    "ours-uvloop": "breakout-widgets on uvloop",
    "ours-rest": "breakout-widgets, REST publish",
    "bare": "bare websockets",
    "socketio": "python-socketio",
}


def is_ours(kind: str) -> bool:
    """Our service, as shipped or as a measured variant."""
    return kind == "ours" or kind.startswith("ours-")


# (room, seq, text or None for a numbered event that is not a chat message)
Parsed = tuple[str, int, str | None]


@dataclass(frozen=True)
class TargetSpec:
    """Where a target listens; sent to the load-generator processes (picklable)."""

    kind: str
    host: str
    port: int
    app_key: str = ""

    @property
    def http(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass
class Member:
    """One simulated user: a connection in one room."""

    idx: int
    room_name: str  # the group name (ours) or room (baselines) asked for
    user: str
    room: str = ""  # where it landed: the shard guid (ours) or the room name
    uid: str = ""
    token: str = ""
    client: WsClient | None = None
    last_seq: int = 0


class Adapter:
    """The target-specific half of the load generator (one per worker process)."""

    kind = ""
    ws_path = "/"
    keepalive: bytes | None = None  # sent every 20 s when the target needs it

    def __init__(self, spec: TargetSpec, http: Any = None) -> None:
        self.spec = spec
        self.http = http  # an aiohttp.ClientSession for targets with REST

    async def enter(self, member: Member, source: str | None, timeout: float) -> None:
        """Make ``member`` a member of its room with an open connection."""
        raise NotImplementedError

    def parse(self, client: WsClient, payload: bytes) -> Parsed | None:
        """A delivered event, or None for a control message (answered here if need be)."""
        msg = orjson.loads(payload)
        seq = msg.get("seq")
        if seq is None:
            return None
        if msg.get("type") != "chat_message":
            return msg.get("meeting_id", ""), seq, None
        return msg["meeting_id"], seq, msg["data"]["text"]

    async def _connect(self, source: str | None, timeout: float) -> WsClient:
        spec = self.spec
        return await connect(spec.host, spec.port, self.ws_path, source=source, timeout=timeout)


def message_data(member: Member, text: str, client_id: str, msg_id: str) -> dict[str, Any]:
    """What the service stores for a chat message; the baselines get it from the client."""
    return {
        "id": msg_id,
        "text": text,
        "client_id": client_id,
        "sender": {"id": member.uid or member.user, "name": member.user},
    }


class BareAdapter(Adapter):
    kind = "bare"

    async def enter(self, member: Member, source: str | None, timeout: float) -> None:
        client = await self._connect(source, timeout)
        try:
            client.send_text(orjson.dumps({"join": member.room_name}))
            while True:
                reply = orjson.loads(await client.recv(timeout))
                if reply.get("type") == "joined":
                    break
        except BaseException:
            client.abort()
            raise
        member.client, member.room = client, member.room_name

    def publish(self, member: Member, text: str, client_id: str, msg_id: str) -> None:
        data = message_data(member, text, client_id, msg_id)
        assert member.client is not None
        member.client.send_text(orjson.dumps({"publish": member.room, "data": data}))


class SocketIOAdapter(Adapter):
    kind = "socketio"
    ws_path = "/socket.io/?EIO=4&transport=websocket"

    async def enter(self, member: Member, source: str | None, timeout: float) -> None:
        client = await self._connect(source, timeout)
        try:
            await self._expect(client, b"0", timeout)  # Engine.IO open
            client.send_text(b"40")  # Socket.IO connect, default namespace
            await self._expect(client, b"40", timeout)
            client.send_text(b'420["join",' + orjson.dumps(member.room_name) + b"]")
            await self._expect(client, b"430", timeout)
        except BaseException:
            client.abort()
            raise
        member.client, member.room = client, member.room_name

    async def _expect(self, client: WsClient, prefix: bytes, timeout: float) -> bytes:
        while True:
            packet = await client.recv(timeout)
            if packet == b"2":
                client.send_text(b"3")
            elif packet.startswith(prefix):
                return packet
            elif packet.startswith(b"44"):
                raise WsClosed(f"socket.io refused: {packet[:200]!r}")

    def parse(self, client: WsClient, payload: bytes) -> Parsed | None:
        if payload[:2] == b"42":
            event, envelope = orjson.loads(payload[2:])[:2]
            if event == "chat_message":
                return envelope["meeting_id"], envelope["seq"], envelope["data"]["text"]
            return None
        if payload == b"2":  # Engine.IO ping: answer or be dropped
            client.send_text(b"3")
        return None

    def publish(self, member: Member, text: str, client_id: str, msg_id: str) -> None:
        data = message_data(member, text, client_id, msg_id)
        body = orjson.dumps({"room": member.room, "data": data})
        assert member.client is not None
        member.client.send_text(b'42["publish",' + body + b"]")


class OursAdapter(Adapter):
    kind = "ours"
    ws_path = "/v1/events"
    keepalive = b'{"type":"ping"}'

    async def join(self, group: str, user: str) -> tuple[str, str, str]:
        """``POST /v1/groups/join`` → (shard guid, uid, token)."""
        headers = {"Authorization": f"Bearer {self.spec.app_key}"}
        body = {"user": {"name": user}, "group": {"name": group}}
        async with self.http.post(
            f"{self.spec.http}/v1/groups/join", data=orjson.dumps(body), headers=_json(headers)
        ) as resp:
            raw = await resp.read()
            if resp.status != 200:
                raise RestError(resp.status, raw)
        answer = orjson.loads(raw)
        return answer["group"]["guid"], answer["user"]["uid"], answer["user"]["authToken"]

    async def enter(self, member: Member, source: str | None, timeout: float) -> None:
        member.room, member.uid, member.token = await self.join(member.room_name, member.user)
        client = await self._connect(source, timeout)
        try:
            client.send_text(orjson.dumps({"type": "hello", "token": member.token}))
            while True:
                reply = orjson.loads(await client.recv(timeout))
                if reply.get("type") == "welcome":
                    member.room = reply.get("group") or member.room
                    break
                if reply.get("type") == "error":
                    raise WsClosed(f"hello refused: {reply}")
        except BaseException:
            client.abort()
            raise
        member.client = client

    def publish(self, member: Member, text: str, client_id: str, msg_id: str) -> None:
        """``{"type": "send"}`` on the member's WebSocket, as the others publish (the
        service answers ``sent`` on the same connection; ``parse`` skips it: no seq)."""
        assert member.client is not None
        member.client.send_text(
            orjson.dumps({"type": "send", "text": text, "client_id": client_id})
        )


class OursRestAdapter(OursAdapter):
    """Our service publishing with ``POST /v1/groups/{guid}/messages`` (the REST path)."""

    async def publish(  # type: ignore[override]
        self, member: Member, text: str, client_id: str, msg_id: str
    ) -> int:
        """``POST /v1/groups/{guid}/messages``; returns the HTTP status."""
        headers = _json({"Authorization": f"Bearer {member.token}"})
        body = orjson.dumps({"text": text, "client_id": client_id})
        url = f"{self.spec.http}/v1/groups/{member.room}/messages"
        async with self.http.post(url, data=body, headers=headers) as resp:
            await resp.read()
            return resp.status


class RestError(Exception):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}: {body[:200]!r}")
        self.status = status


def _json(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Content-Type": "application/json"}


ADAPTERS: dict[str, type[Adapter]] = {
    "ours": OursAdapter,
    "ours-uvloop": OursAdapter,
    "ours-rest": OursRestAdapter,
    "bare": BareAdapter,
    "socketio": SocketIOAdapter,
}
