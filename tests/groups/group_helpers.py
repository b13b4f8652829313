"""Helpers of the breakout-group tests: raw REST (httpx) and raw WebSocket clients.

Nothing here uses ``breakout_widgets.client``: the tests talk to the service the way
``docs/groups.md`` describes it. Imported as ``from group_helpers import ...``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

Message = dict[str, Any]

GRACE = 1.0  # seconds a member may be without a connection before they leave (short_grace)


def expect(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json() if response.content else None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float = 10.0, what: str = "a condition"
) -> float:
    """Poll ``check`` until it holds; the seconds it took. Fails after ``timeout``."""
    start = time.monotonic()
    while not await check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


@dataclass
class GroupsApi:
    """The REST calls of breakout groups, for one service."""

    url: str
    admin_key: str
    http: httpx.AsyncClient

    async def join(
        self, name: str | None, user: str | None = None, *, key: str | None = None, **group: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"group": {"name": name, **group}}
        if user is not None:
            body["user"] = {"name": user}
        response = await self.http.post(
            "/v1/groups/join", json=body, headers=bearer(key or self.admin_key)
        )
        return expect(response)

    async def send(self, member: dict[str, Any], text: str, **extra: Any) -> httpx.Response:
        guid = extra.pop("guid", member["group"]["guid"])
        return await self.http.post(
            f"/v1/groups/{guid}/messages",
            json={"text": text, **extra},
            headers=bearer(member["user"]["authToken"]),
        )

    async def leave(self, member: dict[str, Any]) -> httpx.Response:
        return await self.http.post(
            f"/v1/groups/{member['group']['guid']}/leave",
            headers=bearer(member["user"]["authToken"]),
        )

    async def shards(self, name: str, *, key: str | None = None) -> list[dict[str, Any]]:
        response = await self.http.get(
            "/v1/groups", params={"name": name}, headers=bearer(key or self.admin_key)
        )
        return expect(response)["shards"]

    async def members(self, guid: str, *, key: str | None = None) -> list[str]:
        response = await self.http.get(
            f"/v1/groups/{guid}/members", headers=bearer(key or self.admin_key)
        )
        if response.status_code == 404:
            return []  # an empty shard is gone
        return expect(response)["members"]

    async def seated(self, member: dict[str, Any]) -> bool:
        """Whether the member still has their place."""
        return member["user"]["uid"] in await self.members(member["group"]["guid"])

    async def layout(self, name: str, *, key: str | None = None) -> dict[int, list[str]]:
        """Shard number -> its members' uids, checking each shard's count on the way."""
        found = {}
        for shard in await self.shards(name, key=key):
            uids = await self.members(shard["guid"], key=key)
            assert len(uids) == shard["members"], shard
            found[shard["number"]] = uids
        return found


class Ws:
    """One raw WebSocket client of a member: hello, then every message kept."""

    def __init__(self, url: str, token: str, resume: dict[str, int] | None = None) -> None:
        self.url = url.replace("http://", "ws://", 1) + "/v1/events"
        self.token = token
        self.resume = resume or {}
        self.ws: ClientConnection | None = None
        self.welcome: Message = {}
        self.received: list[Message] = []
        self._pending: list[Message] = []

    async def open(self) -> Ws:
        self.ws = await connect(self.url, compression=None, open_timeout=10)
        await self.ws.send(
            json.dumps({"type": "hello", "token": self.token, "resume": self.resume})
        )
        self.welcome = await self.next(timeout=10)
        assert self.welcome["type"] == "welcome", self.welcome
        return self

    async def open_refused(self) -> int | None:
        """Open expecting the service to refuse the hello; its close code."""
        self.ws = await connect(self.url, compression=None, open_timeout=10)
        await self.ws.send(
            json.dumps({"type": "hello", "token": self.token, "resume": self.resume})
        )
        return await self.closed_code()

    async def send(self, message: Message) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps(message))

    async def _read(self, timeout: float) -> Message:
        assert self.ws is not None
        message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        message["_t"] = time.monotonic()
        self.received.append(message)
        return message

    async def next(self, timeout: float = 5.0) -> Message:
        if self._pending:
            return self._pending.pop(0)
        return await self._read(timeout)

    async def wait_for(self, predicate: Callable[[Message], bool], timeout: float = 5.0) -> Message:
        """The first message (from now) for which ``predicate`` holds; others are kept."""
        for i, message in enumerate(self._pending):
            if predicate(message):
                del self._pending[i]
                return message
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await self._read(left)
            except asyncio.TimeoutError:
                break
            if predicate(message):
                return message
            self._pending.append(message)
        raise AssertionError(f"timed out; last messages: {self.received[-5:]}")

    def chat(self) -> list[Message]:
        return [m for m in self.received if m.get("type") == "chat_message"]

    async def drop(self) -> None:
        """Lose the connection as a network failure would: no closing handshake."""
        assert self.ws is not None
        self.ws.transport.abort()
        with contextlib.suppress(Exception):
            await self.ws.wait_closed()

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)

    async def closed_code(self, timeout: float = 10.0) -> int | None:
        """Read until the service closes the connection; its close code."""
        deadline = time.monotonic() + timeout
        try:
            while (left := deadline - time.monotonic()) > 0:
                with contextlib.suppress(asyncio.TimeoutError):
                    await self._read(left)
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None
        raise AssertionError("the connection stayed open")


def chat(message: Message) -> bool:
    return message.get("type") == "chat_message"


def presence(message: Message) -> bool:
    return message.get("type") == "group_presence"
