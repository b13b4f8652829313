"""Members over ``/v1/events``: shard messages with seq, resume after a drop, presence as
rate-limited counts, the grace period, heartbeats, and leaving."""

from __future__ import annotations

import asyncio
import itertools
import time

import httpx
import pytest
from group_helpers import GRACE, GroupsApi, Ws, bearer, chat, eventually, expect, presence

NAME = "https://example.org/live"


async def test_messages_arrive_with_seq_and_a_resume_delivers_the_missed_ones_once(
    api, group_server
):
    ada, bob = await api.join(NAME, "Ada"), await api.join(NAME, "Bob")
    guid = ada["group"]["guid"]
    ws = await Ws(api.url, bob["user"]["authToken"]).open()
    assert ws.welcome == {
        "type": "welcome",
        "group": guid,
        "uid": bob["user"]["uid"],
        "meeting_id": guid,
        "meetings": {guid: 0},
        "class_id": None,
        "participant_id": None,
        "_t": ws.welcome["_t"],
    }
    sent = expect(await api.send(ada, "one", client_id="c-1"), 201)
    event = await ws.wait_for(chat)
    assert {k: event[k] for k in ("type", "meeting_id", "seq", "time")} == {
        "type": "chat_message",
        "meeting_id": guid,
        "seq": 1,
        "time": sent["time"],
    }
    assert event["data"] == {
        "id": sent["id"],
        "text": "one",
        "client_id": "c-1",
        "sender": {"id": ada["user"]["uid"], "name": "Ada", "avatar": None},
    }
    await ws.drop()
    for i in range(2, 8):
        expect(await api.send(ada, f"m{i}"), 201)
    back = await Ws(api.url, bob["user"]["authToken"], resume={guid: 1}).open()
    assert back.welcome["meetings"] == {guid: 7}
    missed = [await back.wait_for(chat) for _ in range(6)]
    expect(await api.send(ada, "live"), 201)
    missed.append(await back.wait_for(chat))
    assert [m["seq"] for m in missed] == list(range(2, 9))
    assert [m["data"]["text"] for m in missed] == [f"m{i}" for i in range(2, 8)] + ["live"]
    await asyncio.sleep(0.2)  # nothing more may come: each message once
    assert [m["seq"] for m in back.chat()] == list(range(2, 9))
    # A member who is back (within the grace) kept their place.
    assert await api.seated(bob)
    await back.close()


async def test_a_resume_past_the_window_says_reload(sqlite_backend, make_server):
    server = make_server(sqlite_backend, resume_window=5)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        api = GroupsApi(server.url, server.settings.admin_key or "", http)
        ada, bob = await api.join(NAME, "Ada"), await api.join(NAME, "Bob")
        guid = ada["group"]["guid"]
        for i in range(8):
            expect(await api.send(ada, f"m{i}"), 201)
        ws = await Ws(api.url, bob["user"]["authToken"], resume={guid: 1}).open()
        reload = await ws.wait_for(lambda m: m["type"] == "reload")
        assert (reload["meeting_id"], reload["seq"]) == (guid, 8)
        expect(await api.send(ada, "after"), 201)
        assert (await ws.wait_for(chat))["seq"] == 9
        within = await Ws(api.url, ada["user"]["authToken"], resume={guid: 4}).open()
        assert [(await within.wait_for(chat))["seq"] for _ in range(5)] == [5, 6, 7, 8, 9]
        await ws.close()
        await within.close()


async def test_presence_is_a_count_at_most_once_a_second_per_shard(sqlite_backend, make_server):
    server = make_server(sqlite_backend)  # members joined here never connect
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        await _presence(GroupsApi(server.url, server.settings.admin_key or "", http))


async def _presence(api: GroupsApi) -> None:
    watcher = await api.join(NAME, "Watcher")
    ws = await Ws(api.url, watcher["user"]["authToken"]).open()
    first = await ws.wait_for(presence)
    assert first["online"] == 1 and "seq" not in first  # the count right after the welcome
    joined = await asyncio.gather(*(api.join(NAME, f"p{i}") for i in range(20)))
    assert await _last_count(ws, 21) == 21
    for m in joined[:5]:
        expect(await api.leave(m), 204)
    assert await _last_count(ws, 16) == 16
    counts = [m for m in ws.received if presence(m)]
    # Not one event per person: a handful of counts, each differing from the one before,
    # spaced by the interval (1 s; some slack for a loaded machine).
    assert len(counts) <= 6, counts
    values = [m["online"] for m in counts]
    assert all(a != b for a, b in itertools.pairwise(values)), values
    gaps = [b["_t"] - a["_t"] for a, b in itertools.pairwise(counts[1:])]
    assert all(gap > 0.5 for gap in gaps), gaps
    assert not [m for m in ws.received if m["type"] not in ("welcome", "group_presence")]
    assert all(m["meeting_id"] == watcher["group"]["guid"] for m in counts)
    await ws.close()


async def _last_count(ws: Ws, expected: int, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = await ws.wait_for(presence, timeout=deadline - time.monotonic())
        if message["online"] == expected:
            return expected
    raise AssertionError(f"no presence count of {expected}")


async def test_a_disconnected_member_leaves_after_the_grace_period_and_their_place_is_reused(
    short_api,
):
    api = short_api
    await api.http.put(
        "/v1/apps/default/groups/small", json={"max": 2}, headers=bearer(api.admin_key)
    )
    ada, bob = await api.join("small", "Ada"), await api.join("small", "Bob")
    guid = ada["group"]["guid"]
    ada_ws = await Ws(api.url, ada["user"]["authToken"]).open()
    bob_ws = await Ws(api.url, bob["user"]["authToken"]).open()
    full = await api.join("small", "Cy")
    assert full["group"]["guid"] != guid  # shard 1 is full
    await ada_ws.drop()
    # Bob drops too but comes back within the grace period: he keeps his place.
    await bob_ws.drop()
    bob_back = await Ws(api.url, bob["user"]["authToken"]).open()
    dropped_at = time.monotonic()

    async def ada_gone() -> bool:
        return not await api.seated(ada)

    await eventually(ada_gone, timeout=10, what="Ada's place to be freed")
    assert time.monotonic() - dropped_at >= GRACE * 0.8
    assert await api.seated(bob)
    assert (await api.send(ada, "hi")).status_code == 401  # her token ended with her place
    refused = await Ws(api.url, ada["user"]["authToken"]).open_refused()
    assert refused == 4001
    dan = await api.join("small", "Dan")
    assert dan["group"]["guid"] == guid  # the freed place is the next join's
    await bob_back.close()


async def test_a_member_who_never_connects_leaves_after_the_grace_period(short_api):
    api = short_api
    ghost = await api.join(NAME, "Ghost")
    assert await api.seated(ghost)

    async def gone() -> bool:
        return not await api.seated(ghost)

    took = await eventually(gone, timeout=10, what="the ghost to leave")
    assert took >= GRACE * 0.5
    assert await api.shards(NAME) == []  # the shard emptied and disappeared


async def test_a_member_whose_heartbeat_stops_leaves(sqlite_backend, make_server):
    server = make_server(sqlite_backend, idle_timeout=0.6, group_grace=0.3)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        api = GroupsApi(server.url, server.settings.admin_key or "", http)
        quiet, chatty = await api.join(NAME, "Quiet"), await api.join(NAME, "Chatty")
        quiet_ws = await Ws(api.url, quiet["user"]["authToken"]).open()
        chatty_ws = await Ws(api.url, chatty["user"]["authToken"]).open()

        async def ping() -> None:
            for n in range(100):
                await chatty_ws.send({"type": "ping", "id": n})
                await asyncio.sleep(0.15)

        pinger = asyncio.create_task(ping())
        try:
            assert await quiet_ws.closed_code(timeout=10) == 4009

            async def quiet_gone() -> bool:
                return not await api.seated(quiet)

            await eventually(quiet_gone, timeout=10, what="the silent member to leave")
            assert await api.seated(chatty)
            assert (await chatty_ws.wait_for(lambda m: m["type"] == "pong"))["id"] >= 0
        finally:
            pinger.cancel()
            await chatty_ws.close()


async def test_leaving_closes_the_members_connections(api):
    ada = await api.join(NAME, "Ada")
    ws = await Ws(api.url, ada["user"]["authToken"]).open()
    expect(await api.leave(ada), 204)
    assert await ws.closed_code() == 4001
    assert (await api.leave(ada)).status_code == 401
    assert await Ws(api.url, "bwg_unknown").open_refused() == 4001


@pytest.mark.parametrize("resume", ["not an object", ["x"]])
async def test_a_bad_resume_is_refused(api, resume):
    ada = await api.join(NAME, "Ada")
    ws = Ws(api.url, ada["user"]["authToken"], resume=resume)  # type: ignore[arg-type]
    assert await ws.open_refused() == 4001
