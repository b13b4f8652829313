"""A client written only from docs/protocol.md: plain httpx and websockets, nothing else.

Nothing of ``breakout_widgets`` is used here except the ``service`` fixture that starts
the service: the class is set up over raw REST and the chat is followed over a raw
WebSocket, exactly as the document describes, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
from websockets.asyncio.client import connect


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _post(http: httpx.AsyncClient, path: str, token: str, body: dict) -> dict:
    response = await http.post(path, json=body, headers=_bearer(token))
    assert response.status_code in (200, 201), response.text
    return response.json()


async def _setup(http: httpx.AsyncClient, admin_key: str) -> dict:
    """A class with Ada and Bob in room Red and Cy in room Blue, running."""
    made = await _post(http, "/v1/meetings", admin_key, {"title": "Physics", "host": "Dr. Who"})
    class_id, host = made["meeting"]["id"], made["host"]["token"]
    invited = await _post(
        http,
        f"/v1/meetings/{class_id}/participants",
        admin_key,
        {"participants": [{"name": "Ada"}, {"name": "Bob"}, {"name": "Cy"}]},
    )
    people = {p["participant"]["name"]: p for p in invited["participants"]}
    base = f"/v1/meetings/{class_id}/breakout"

    async def version() -> int:
        return (await http.get(base, headers=_bearer(host))).json()["version"]

    state = await _post(
        http, f"{base}/rooms", host, {"version": await version(), "titles": ["Red", "Blue"]}
    )
    rooms = {r["title"]: r["id"] for r in state["rooms"]}
    moves = [
        {"participant_id": people["Ada"]["participant"]["id"], "room_id": rooms["Red"]},
        {"participant_id": people["Bob"]["participant"]["id"], "room_id": rooms["Red"]},
        {"participant_id": people["Cy"]["participant"]["id"], "room_id": rooms["Blue"]},
    ]
    await _post(http, f"{base}/assign", host, {"version": await version(), "moves": moves})
    await _post(http, f"{base}/start", host, {"version": await version()})
    return {
        "class_id": class_id,
        "rooms": rooms,
        "tokens": {name: p["token"] for name, p in people.items()},
        "host": host,
    }


async def test_a_plain_client_follows_a_rooms_chat(service):
    async with httpx.AsyncClient(base_url=service.url, timeout=30) as http:
        k = await _setup(http, service.admin_key)
        red, blue = k["rooms"]["Red"], k["rooms"]["Blue"]
        ws_url = service.url.replace("http://", "ws://") + "/v1/events"

        async with connect(ws_url, compression=None) as ws:
            # hello → welcome: the meeting Ada is in, and where each followed log stands
            await ws.send(json.dumps({"type": "hello", "token": k["tokens"]["Ada"]}))
            welcome = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert welcome["type"] == "welcome"
            assert welcome["class_id"] == k["class_id"]
            assert welcome["meeting_id"] == red
            assert set(welcome["meetings"]) == {k["class_id"], red}
            last = dict(welcome["meetings"])

            # keep-alive
            await ws.send(json.dumps({"type": "ping", "id": "p1"}))

            # Bob (also in Red) and Cy (in Blue) chat over REST
            sent = []
            for i in range(10):
                body = await _post(
                    http,
                    "/v1/chat",
                    k["tokens"]["Bob"],
                    {"text": f"Bob says {i}", "client_id": str(uuid.uuid4())},
                )
                assert body["meeting_id"] == red
                sent.append(body)
                await _post(http, "/v1/chat", k["tokens"]["Cy"], {"text": f"Cy says {i}"})

            # Ada follows Red's chat: every message, in order, numbered without gaps
            got, pong = [], None
            while len(got) < len(sent):
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if message["type"] == "pong":
                    pong = message
                    continue
                if "seq" not in message:
                    continue  # other control messages
                meeting = message["meeting_id"]
                assert meeting in (k["class_id"], red), "only main and her own room"
                assert message["seq"] == last[meeting] + 1, "no gap, no duplicate"
                last[meeting] = message["seq"]
                if message["type"] == "chat_message" and meeting == red:
                    got.append(message)

            assert pong == {"type": "pong", "id": "p1"}
            assert [m["data"]["text"] for m in got] == [f"Bob says {i}" for i in range(10)]
            assert [m["seq"] for m in got] == [s["seq"] for s in sent]
            for message, body in zip(got, sent, strict=True):
                assert message["data"]["id"] == body["id"]
                assert message["data"]["client_id"] == body["client_id"]
                assert message["data"]["sender"] == {"id": body["sender"]["id"], "name": "Bob"}
                assert isinstance(message["time"], float)

            # the history over REST says the same
            history = (
                await http.get(f"/v1/meetings/{red}/chat", headers=_bearer(k["tokens"]["Ada"]))
            ).json()
            assert [m["text"] for m in history["messages"]] == [f"Bob says {i}" for i in range(10)]
            assert all(m["meeting_id"] != blue for m in history["messages"])
