"""A member posts over their WebSocket (``{"type": "send"}``): the same rules as the
REST post, answered with ``sent`` (or an ``error``) carrying the request's id."""

from __future__ import annotations

import httpx
from group_helpers import GroupsApi, Ws, chat, expect

NAME = "https://example.org/ws-send"


def _answer(request_id: int):
    return lambda m: m.get("id") == request_id and m["type"] in ("sent", "error")


async def test_send_over_the_websocket_reaches_the_shard_in_order_once(api, group_server):
    ada, bob = await api.join(NAME, "Ada"), await api.join(NAME, "Bob")
    guid = ada["group"]["guid"]
    ada_ws = await Ws(api.url, ada["user"]["authToken"]).open()
    bob_ws = await Ws(api.url, bob["user"]["authToken"]).open()
    for i in range(5):
        await ada_ws.send({"type": "send", "id": i, "text": f"m{i}", "client_id": f"c{i}"})
    answers = [await ada_ws.wait_for(_answer(i)) for i in range(5)]
    assert [a["type"] for a in answers] == ["sent"] * 5
    assert [a["message"]["seq"] for a in answers] == [1, 2, 3, 4, 5]
    assert answers[0]["message"]["guid"] == guid
    assert answers[0]["message"]["sender"]["id"] == ada["user"]["uid"]
    got = [await bob_ws.wait_for(chat) for _ in range(5)]
    assert [(m["seq"], m["data"]["text"]) for m in got] == [(i + 1, f"m{i}") for i in range(5)]
    # A retry with the same client_id is the first message again, not a new one.
    await ada_ws.send({"type": "send", "id": 9, "text": "m0", "client_id": "c0"})
    again = await ada_ws.wait_for(_answer(9))
    assert again["message"]["id"] == answers[0]["message"]["id"]
    history = expect(
        await api.http.get(
            f"/v1/groups/{guid}/messages",
            headers={"Authorization": f"Bearer {bob['user']['authToken']}"},
        )
    )
    assert [m["text"] for m in history["messages"]] == [f"m{i}" for i in range(5)]
    await ada_ws.close()
    await bob_ws.close()


async def test_send_over_the_websocket_keeps_the_limits(sqlite_backend, make_server):
    server = make_server(sqlite_backend, chat_rate=5.0, chat_burst=20.0)  # the defaults
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        api = GroupsApi(server.url, server.settings.admin_key or "", http)
        ada = await api.join(NAME, "Ada")
    ws = await Ws(api.url, ada["user"]["authToken"]).open()
    await ws.send({"type": "send", "id": 1, "text": "x" * 4001})
    too_long = await ws.wait_for(_answer(1))
    assert too_long["type"] == "error" and too_long["error"]["code"] == "invalid_input"
    for i in range(2, 40):
        await ws.send({"type": "send", "id": i, "text": f"fast {i}"})
    answers = [await ws.wait_for(_answer(i)) for i in range(2, 40)]
    limited = [a for a in answers if a["type"] == "error"]
    assert limited and limited[0]["error"]["code"] == "rate_limited"
    assert limited[0]["error"]["retry_after"] > 0
    await ws.close()
