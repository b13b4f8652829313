"""Helpers for the realtime tests: raw REST (httpx) and raw WebSocket (websockets) clients.

Nothing here uses ``breakout_widgets.client``: the tests talk to the service as any
client in another language would, following ``docs/protocol.md``.
Imported as ``from rt_helpers import ...`` (``tests/service/realtime`` is on the path).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

Message = dict[str, Any]


def ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://", 1) + "/v1/events"


def expect(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


@dataclass
class Classroom:
    """A class set up over REST: host, students, optionally rooms (title -> id)."""

    url: str
    admin_key: str
    http: httpx.AsyncClient
    id: str = ""
    host_token: str = ""
    host_id: str = ""
    tokens: dict[str, str] = field(default_factory=dict)  # name -> token
    ids: dict[str, str] = field(default_factory=dict)  # name -> participant id
    rooms: dict[str, str] = field(default_factory=dict)  # title -> meeting id

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    @property
    def admin(self) -> dict[str, str]:
        return self.auth(self.admin_key)

    @property
    def host(self) -> dict[str, str]:
        return self.auth(self.host_token)

    def as_(self, name: str) -> dict[str, str]:
        return self.auth(self.tokens[name])

    async def create(self, title: str = "Algebra 1", host: str = "Ms. Rivera") -> Classroom:
        body = expect(
            await self.http.post(
                "/v1/meetings", json={"title": title, "host": host}, headers=self.admin
            ),
            201,
        )
        self.id = body["meeting"]["id"]
        self.host_token = body["host"]["token"]
        self.host_id = body["host"]["participant"]["id"]
        return self

    async def invite(self, *names: str) -> None:
        body = expect(
            await self.http.post(
                f"/v1/meetings/{self.id}/participants",
                json={"participants": [{"name": n} for n in names]},
                headers=self.admin,
            ),
            201,
        )
        for item in body["participants"]:
            self.tokens[item["participant"]["name"]] = item["token"]
            self.ids[item["participant"]["name"]] = item["participant"]["id"]

    async def version(self) -> int:
        return expect(await self.http.get(f"/v1/meetings/{self.id}/breakout", headers=self.host))[
            "version"
        ]

    async def breakout(self, action: str, **body: Any) -> dict[str, Any]:
        body["version"] = await self.version()
        response = await self.http.post(
            f"/v1/meetings/{self.id}/breakout/{action}", json=body, headers=self.host
        )
        assert response.status_code in (200, 201), (response.status_code, response.text)
        return response.json()

    async def start_rooms(
        self,
        plan: dict[str, list[str]],
        *,
        duration: float | None = None,
        warning: float | None = None,
    ) -> None:
        """Create rooms named as the keys of ``plan``, assign and start them."""
        state = await self.breakout("rooms", titles=list(plan))
        self.rooms = {r["title"]: r["id"] for r in state["rooms"]}
        moves = [
            {"participant_id": self.ids[n], "room_id": self.rooms[t]}
            for t, names in plan.items()
            for n in names
        ]
        await self.breakout("assign", moves=moves)
        await self.breakout("start", duration=duration, warning=warning)

    async def chat(self, name: str, text: str, **extra: Any) -> httpx.Response:
        token = self.host_token if name == "host" else self.tokens[name]
        return await self.http.post(
            "/v1/chat", json={"text": text, **extra}, headers=self.auth(token)
        )

    async def history(self, token: str, meeting_id: str, **params: Any) -> dict[str, Any]:
        return expect(
            await self.http.get(
                f"/v1/meetings/{meeting_id}/chat", params=params, headers=self.auth(token)
            )
        )


async def new_classroom(
    http: httpx.AsyncClient, url: str, admin_key: str, *students: str
) -> Classroom:
    k = await Classroom(url, admin_key, http).create()
    if students:
        await k.invite(*students)
    return k


class Ws:
    """One raw WebSocket client: hello, then every message kept in ``received``."""

    def __init__(self, url: str, token: str, **hello: Any) -> None:
        self.url = ws_url(url)
        self.token = token
        self.hello = hello
        self.ws: ClientConnection | None = None
        self.welcome: Message = {}
        self.received: list[Message] = []
        self._pending: list[Message] = []  # read but not yet returned by next()
        self.last: dict[str, int] = {}  # meeting -> last event seq seen

    async def open(self, **connect_args: Any) -> Ws:
        self.ws = await connect(self.url, compression=None, open_timeout=10, **connect_args)
        await self.send({"type": "hello", "token": self.token, **self.hello})
        self.welcome = await self.next(timeout=10)
        assert self.welcome["type"] == "welcome", self.welcome
        self.last.update(self.welcome["meetings"])
        return self

    async def send(self, message: Message) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps(message))

    async def _read(self, timeout: float) -> Message:
        assert self.ws is not None
        message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        message["_t"] = time.perf_counter()
        self.received.append(message)
        if "seq" in message and message.get("type") != "reload":
            self.last[message["meeting_id"]] = message["seq"]
        return message

    async def next(self, timeout: float = 5.0) -> Message:
        if self._pending:
            return self._pending.pop(0)
        return await self._read(timeout)

    async def wait_for(
        self, predicate: Callable[[Message], bool], timeout: float = 5.0, what: str = ""
    ) -> Message:
        """The first message (from now) for which ``predicate`` holds; others are kept."""
        deadline = time.monotonic() + timeout
        for i, message in enumerate(self._pending):
            if predicate(message):
                del self._pending[i]
                return message
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"timed out waiting for {what or predicate}; got {self.received[-10:]}"
                )
            try:
                message = await self._read(left)
            except asyncio.TimeoutError:
                continue
            if predicate(message):
                return message
            self._pending.append(message)

    async def collect(
        self, predicate: Callable[[Message], bool], count: int, timeout: float = 10.0
    ) -> list[Message]:
        """The next ``count`` messages that match, in order of arrival."""
        return [await self.wait_for(predicate, timeout, f"{count} messages") for _ in range(count)]

    async def quiet(self, seconds: float) -> list[Message]:
        """Everything that arrives within ``seconds`` (and whatever was pending)."""
        got, self._pending = self._pending, []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                got.append(await self._read(left))
            except asyncio.TimeoutError:
                break
        return got

    def events(self, type_: str | None = None, meeting_id: str | None = None) -> list[Message]:
        return [
            m
            for m in self.received
            if "seq" in m
            and m["type"] != "reload"
            and (type_ is None or m["type"] == type_)
            and (meeting_id is None or m["meeting_id"] == meeting_id)
        ]

    async def close(self) -> None:
        """Close, reading what is still unread (else a full buffer stalls the handshake)."""
        if self.ws is None:
            return
        ws = self.ws

        async def drain() -> None:
            with contextlib.suppress(ConnectionClosed):
                async for _ in ws:
                    pass

        await asyncio.gather(ws.close(), asyncio.wait_for(drain(), 10))

    async def drop(self) -> None:
        """Lose the connection as a network failure would: no closing handshake."""
        assert self.ws is not None
        self.ws.transport.abort()
        await self.ws.wait_closed()
        self._pending.clear()

    async def closed_code(self, timeout: float = 10.0) -> int | None:
        """Read until the service closes the connection; its close code."""
        assert self.ws is not None
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self._pending.append(await self._read(deadline - time.monotonic()))
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None
        raise AssertionError("the connection stayed open")


def chat_of(meeting_id: str) -> Callable[[Message], bool]:
    return lambda m: m.get("type") == "chat_message" and m.get("meeting_id") == meeting_id


def of_type(type_: str, **data: Any) -> Callable[[Message], bool]:
    def match(m: Message) -> bool:
        return m.get("type") == type_ and all(
            m.get("data", {}).get(k) == v for k, v in data.items()
        )

    return match


class SlowDown:
    """Make one async method of the in-process service pause after it ran, while armed.

    The service of the ``service`` fixtures runs in a thread of the test process, so a
    patched class method lets a test hold the service between two steps (to line up a
    race deterministically). Arm it, start the request, disarm it, then act.
    """

    def __init__(self, monkeypatch, cls: type, name: str, seconds: float) -> None:
        self.armed = False
        self.hits = 0
        original = getattr(cls, name)

        async def slow(*args: Any, **kwargs: Any) -> Any:
            result = await original(*args, **kwargs)
            if self.armed:
                self.hits += 1
                await asyncio.sleep(seconds)
            return result

        monkeypatch.setattr(cls, name, slow)
