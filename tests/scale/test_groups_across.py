"""Breakout groups served by two processes: one directory and one message stream in Redis."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

GROUP = "https://example.org/articles/42"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def eventually(
    check: Callable[[], Awaitable[bool]], what: str, timeout: float = 15.0
) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


async def join(http: httpx.AsyncClient, key: str, name: str, user: str) -> dict[str, Any]:
    body = {"group": {"name": name}, "user": {"name": user}}
    response = await http.post("/v1/groups/join", json=body, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


async def member_socket(url: str, token: str) -> tuple[ClientConnection, list[dict[str, Any]]]:
    """A member's live connection; its chat messages collect in the list."""
    ws = await connect(url.replace("http", "ws", 1) + "/v1/events", compression=None)
    await ws.send(json.dumps({"type": "hello", "token": token}))
    welcome = json.loads(await ws.recv())
    assert welcome["type"] == "welcome", welcome
    received: list[dict[str, Any]] = []

    async def read() -> None:
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] == "chat_message":
                received.append(message)

    asyncio.get_running_loop().create_task(read())
    return ws, received


async def test_joins_across_processes_never_overfill(make_pair: Callable[..., Any]) -> None:
    pair = make_pair(group_grace=60.0)
    key = pair.admin_key
    async with (
        httpx.AsyncClient(base_url=pair.a.url, timeout=60) as a,
        httpx.AsyncClient(base_url=pair.b.url, timeout=60) as b,
    ):
        r = await a.put(f"/v1/apps/default/groups/{GROUP}", json={"max": 7}, headers=auth(key))
        assert r.status_code == 200, r.text
        joins = await asyncio.gather(
            *(join((a, b)[i % 2], key, GROUP, f"user {i}") for i in range(400))
        )
        shards = (await b.get("/v1/groups", params={"name": GROUP}, headers=auth(key))).json()
        shards = shards["shards"]
        assert [s["number"] for s in shards] == list(range(1, 59))  # 57 of 7, one of 1
        assert all(s["members"] <= 7 for s in shards)
        assert sum(s["members"] for s in shards) == 400
        seated: list[str] = []
        for s in shards:
            found = await (a, b)[s["number"] % 2].get(
                f"/v1/groups/{s['guid']}/members", headers=auth(key)
            )
            seated += found.json()["members"]
        assert len(seated) == len(set(seated)) == 400  # nobody twice
        assert set(seated) == {j["user"]["uid"] for j in joins}


async def test_messages_and_grace_across_processes(make_pair: Callable[..., Any]) -> None:
    pair = make_pair(group_grace=1.0)
    key = pair.admin_key
    async with (
        httpx.AsyncClient(base_url=pair.a.url, timeout=30) as a,
        httpx.AsyncClient(base_url=pair.b.url, timeout=30) as b,
    ):
        await a.put(f"/v1/apps/default/groups/{GROUP}", json={"max": 3}, headers=auth(key))
        x = await join(a, key, GROUP, "x")  # joined through A, connected to A
        y = await join(b, key, GROUP, "y")  # joined through B, connected to B
        guid = x["group"]["guid"]
        assert y["group"]["guid"] == guid
        ws_x, got_x = await member_socket(pair.a.url, x["user"]["authToken"])
        ws_y, got_y = await member_socket(pair.b.url, y["user"]["authToken"])

        async def send(http: httpx.AsyncClient, who: dict[str, Any], n: int) -> None:
            for i in range(n):
                r = await http.post(
                    f"/v1/groups/{guid}/messages",
                    json={"text": f"{who['user']['name']} {i}"},
                    headers=auth(who["user"]["authToken"]),
                )
                assert r.status_code == 201, r.text

        # Both write at once, each through their own process: one numbering, in order.
        await asyncio.gather(send(a, x, 10), send(b, y, 10))
        for got in (got_x, got_y):
            await eventually(lambda got=got: _true(len(got) >= 20), "20 messages everywhere")
        assert [m["seq"] for m in got_x] == list(range(1, 21))
        assert [m["seq"] for m in got_y] == list(range(1, 21))
        assert [m["data"]["text"] for m in got_x] == [m["data"]["text"] for m in got_y]

        # A member who joined through A and is connected to B leaves after the grace period.
        z = await join(a, key, GROUP, "z")
        assert z["group"]["guid"] == guid  # the last place of 3
        ws_z, _ = await member_socket(pair.b.url, z["user"]["authToken"])

        async def count() -> int:
            r = await a.get(f"/v1/groups/{guid}", headers=auth(key))
            return r.json()["online"]

        assert await count() == 3
        await ws_z.close()
        started = time.monotonic()
        await eventually(lambda: _eq(count(), 2), "z's place freed after the grace period")
        assert time.monotonic() - started >= 0.9  # not before the grace period
        r = await a.get(f"/v1/groups/{guid}", headers=auth(z["user"]["authToken"]))
        assert r.status_code == 401  # the token ended everywhere
        w = await join(b, key, GROUP, "w")
        assert w["group"]["guid"] == guid  # the freed place is the next join's
        await ws_x.close()
        await ws_y.close()


async def _true(value: bool) -> bool:
    return value


async def _eq(value: Awaitable[int], expected: int) -> bool:
    return await value == expected
