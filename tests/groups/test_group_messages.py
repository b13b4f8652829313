"""Sending to a shard over HTTP: only to a guid, only to one's own shard, the same limits
and retries as meeting chat; history; messages stored in batches and kept across a
restart (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from group_helpers import GroupsApi, bearer, expect
from sqlalchemy import func, select

from breakout_widgets.errors import Unavailable
from breakout_widgets.service.groups.tables import group_messages
from breakout_widgets.service.groups.writer import MessageWriter
from breakout_widgets.service.store import Store, make_engine

NAME = "article-42"


async def test_sending_to_a_group_name_is_refused_with_a_clear_error(api):
    ada = await api.join(NAME, "Ada")
    for target in (NAME, "https://example.org/a/b", "g_nothex", ada["group"]["guid"].upper()):
        response = await api.send(ada, "hi", guid=target)
        error = expect(response, 422)["error"]
        assert error["code"] == "invalid_input"
        assert "messages go to a shard's guid, not to the group name" in error["message"]
        assert "use the guid from the answer" in error["message"]
    assert (
        f"the group name '{NAME}'"
        in expect(await api.send(ada, "x", guid=NAME), 422)["error"]["message"]
    )


async def test_a_member_sends_and_reads_only_in_their_own_shard(api):
    from urllib.parse import quote

    await api.http.put(
        f"/v1/apps/default/groups/{quote(NAME)}", json={"max": 1}, headers=bearer(api.admin_key)
    )
    ada, bob = await api.join(NAME, "Ada"), await api.join(NAME, "Bob")
    assert ada["group"]["guid"] != bob["group"]["guid"]
    into_bobs = await api.send(ada, "hi Bob", guid=bob["group"]["guid"])
    assert expect(into_bobs, 403)["error"]["code"] == "forbidden"
    reading = await api.http.get(
        f"/v1/groups/{bob['group']['guid']}/messages", headers=bearer(ada["user"]["authToken"])
    )
    assert reading.status_code == 403
    info = await api.http.get(
        f"/v1/groups/{bob['group']['guid']}", headers=bearer(ada["user"]["authToken"])
    )
    assert info.status_code == 403
    message = expect(await api.send(ada, "hello", client_id="c1"), 201)
    assert set(message) == {"id", "seq", "guid", "text", "client_id", "sender", "time"}
    assert message["sender"] == {"id": ada["user"]["uid"], "name": "Ada", "avatar": None}
    assert (message["seq"], message["guid"], message["text"], message["client_id"]) == (
        1,
        ada["group"]["guid"],
        "hello",
        "c1",
    )
    # The member token is not an app key.
    shards = await api.http.get(
        "/v1/groups", params={"name": NAME}, headers=bearer(ada["user"]["authToken"])
    )
    assert shards.status_code == 403


async def test_limits_retries_and_history(api):
    ada = await api.join(NAME, "Ada")
    for text, why in (
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("x" * 4001, "4000"),
    ):
        error = expect(await api.send(ada, text), 422)["error"]
        assert why in error["message"]
    assert (await api.send(ada, "x", client_id="")).status_code == 422
    first = expect(await api.send(ada, "once", client_id="retry-me"), 201)
    again = await asyncio.gather(*(api.send(ada, "once", client_id="retry-me") for _ in range(5)))
    assert all(expect(r, 201) == first for r in again)
    texts = [f"m{i}" for i in range(12)]
    for text in texts:
        expect(await api.send(ada, text), 201)
    guid = ada["group"]["guid"]
    page = expect(
        await api.http.get(
            f"/v1/groups/{guid}/messages",
            params={"limit": 5},
            headers=bearer(ada["user"]["authToken"]),
        )
    )
    assert [m["text"] for m in page["messages"]] == texts[-5:]
    assert page["more"] is True
    older = expect(
        await api.http.get(
            f"/v1/groups/{guid}/messages",
            params={"limit": 50, "before": page["before"]},
            headers=bearer(ada["user"]["authToken"]),
        )
    )
    assert [m["text"] for m in older["messages"]] == ["once", *texts[:-5]]
    assert older["more"] is False
    assert [m["seq"] for m in older["messages"] + page["messages"]] == list(range(1, 14))
    as_app = expect(
        await api.http.get(f"/v1/groups/{guid}/messages", headers=bearer(api.admin_key))
    )
    assert len(as_app["messages"]) == 13


async def test_the_rate_limit_is_the_chat_one(sqlite_backend, make_server):
    server = make_server(sqlite_backend, group_grace=120, chat_rate=1.0, chat_burst=3.0)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        api = GroupsApi(server.url, server.settings.admin_key or "", http)
        ada = await api.join(NAME, "Ada")
        statuses = [(await api.send(ada, f"m{i}")).status_code for i in range(4)]
        assert statuses == [201, 201, 201, 429]
        limited = await api.send(ada, "more")
        assert limited.headers["Retry-After"] and limited.json()["error"]["retry_after"] > 0


async def test_messages_are_kept_across_a_restart(backend, make_server):
    """What the service acknowledged survives it: the app reads a shard's record after a
    restart, though the members and the shard itself are gone (membership is online-only)."""
    server = make_server(backend, group_grace=120)
    url, key = server.url, server.settings.admin_key or ""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        api = GroupsApi(url, key, http)
        members = [await api.join(NAME, f"p{i}") for i in range(10)]
        guid = members[0]["group"]["guid"]
        sends = [api.send(m, f"{m['user']['name']}-{i}") for m in members for i in range(10)]
        acks = [expect(r, 201) for r in await asyncio.gather(*sends)]
        assert sorted(a["seq"] for a in acks) == list(range(1, 101))
        writer = server._server.config.app.state.groups.writer
        assert writer.rows == 100 and writer.batches <= 100
    server.stop()
    again = make_server(backend, group_grace=120)
    async with httpx.AsyncClient(base_url=again.url, timeout=30) as http:
        record = expect(
            await http.get(
                f"/v1/groups/{guid}/messages", params={"limit": 500}, headers=bearer(key)
            )
        )
        assert {m["text"]: m["seq"] for m in record["messages"]} == {
            a["text"]: a["seq"] for a in acks
        }
        assert [m["seq"] for m in record["messages"]] == list(range(1, 101))
        gone = await http.post(
            f"/v1/groups/{guid}/messages",
            json={"text": "hi"},
            headers=bearer(members[0]["user"]["authToken"]),
        )
        assert gone.status_code == 401  # the membership ended with the process
        nothing = await http.get("/v1/groups/g_0000000000000000/messages", headers=bearer(key))
        assert nothing.status_code == 404


async def test_a_burst_costs_one_transaction(backend):
    """Group commit: everything queued while no write runs goes in one INSERT, one commit;
    and it is published (in queue order) only after that commit."""
    store = Store(make_engine(backend.db, schema=backend.schema))
    await store.migrate()
    try:
        writer = MessageWriter(store)
        published: list[int] = []
        start = time.perf_counter()
        done = [writer.write(_row(i), lambda i=i: published.append(i)) for i in range(1, 501)]
        assert published == []  # nothing goes out before it is stored
        await asyncio.gather(*done)
        elapsed = time.perf_counter() - start
        assert (writer.batches, writer.rows) == (1, 500)
        assert published == list(range(1, 501))
        print(f"\n500 messages, 1 transaction, {elapsed * 1000:.1f} ms on {backend.name}")
        one = time.perf_counter()
        await writer.write(_row(501), lambda: None)
        print(f"1 message alone: {(time.perf_counter() - one) * 1000:.1f} ms")
        # A failed write acknowledges nothing and publishes nothing.
        failing = [writer.write(_row(1), lambda: published.append(-1))]  # duplicate seq
        with pytest.raises(Unavailable, match="not stored"):
            await asyncio.gather(*failing)
        assert -1 not in published
        async with store.engine.connect() as conn:
            count = (await conn.execute(select(func.count()).select_from(group_messages))).scalar()
        assert count == 501
    finally:
        await store.close()


def _row(seq: int) -> dict:
    return {
        "id": f"gm_{seq}",
        "app_id": "default",
        "guid": "g_0000000000000001",
        "group_name": NAME,
        "seq": seq,
        "uid": "u_1",
        "sender": "Ada",
        "avatar": None,
        "client_id": None,
        "text": f"message {seq}",
        "created_at": time.time(),
    }
