"""A class served by two processes: events and presence go through Redis."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

import breakout_widgets as bw


def wait_for(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def test_events_and_presence_cross_processes(make_pair: Callable[..., Any]) -> None:
    pair = make_pair()
    admin = {"Authorization": f"Bearer {pair.admin_key}"}
    host = bw.Classroom.create(pair.a.url, admin_key=pair.admin_key, title="Algebra")
    ada_invite = host.invite("Ada")
    ada_id = ada_invite.participant_id
    rooms = {r.title: r.id for r in host.breakout.create(["Red", "Blue"])}
    host_chat: list[dict[str, Any]] = []
    host.on("chat_message", host_chat.append)
    host.connect()

    def presence() -> list[bool]:
        body = httpx.get(
            f"{pair.a.url}/v1/meetings/{host.id}/events?after=0&limit=1000", headers=admin
        ).json()
        return [
            e["data"]["online"]
            for e in body["events"]
            if e["type"] == "presence" and e["data"]["participant_id"] == ada_id
        ]

    def online_seen_by(server: Any) -> bool:
        state = httpx.get(f"{server.url}/v1/meetings/{host.id}/breakout", headers=admin).json()
        return next(p["online"] for p in state["participants"] if p["id"] == ada_id)

    ada = bw.Classroom.join(pair.b.url, ada_invite.token)  # the student is on B
    moves: list[dict[str, Any]] = []
    ada.on("meeting_changed", moves.append)
    ada.connect()
    wait_for(lambda: presence() == [True], "Ada online, recorded once")
    wait_for(lambda: online_seen_by(pair.a), "A to see Ada online (her connection is on B)")

    # A second connection of Ada's, on A: still one participant online, no second event.
    twin = bw.Classroom.join(pair.a.url, ada_invite.token).connect()

    host.breakout.start()  # through A; then a move is a move of the person
    host.breakout.move("Ada", "Red")
    wait_for(
        lambda: any(m["data"]["participant_id"] == ada_id for m in moves),
        "the move made on A to reach Ada's connection on B",
    )
    assert moves[-1]["data"]["to"] == rooms["Red"]

    ada.chat.send("hello from B", client_id="c-1")  # through B, into Red
    wait_for(
        lambda: any(e["data"]["text"] == "hello from B" for e in host_chat),
        "chat sent via B to reach the host connected to A",
    )

    twin.close()
    ada.close()
    wait_for(lambda: presence() == [True, False], "Ada offline, recorded once")
    wait_for(lambda: not online_seen_by(pair.b), "B to see Ada offline")
    host.close()
    # Each event reached each connection once, in order.
    seqs = [(e["meeting_id"], e["seq"]) for e in host_chat]
    assert len(seqs) == len(set(seqs)) == 1
    assert [m["seq"] for m in moves] == sorted({m["seq"] for m in moves})
    assert presence() == [True, False]
