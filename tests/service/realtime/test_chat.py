"""Chat over REST with live delivery, on SQLite and PostgreSQL.

Idempotent retries, the size limits, the rate limit (a clear error with a retry-after,
nothing stored) and history paging.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from rt_helpers import Ws, chat_of, expect, new_classroom


@pytest.fixture
def chat_server(backend, make_server):
    """A service with a small, explicit rate limit: 5 per second, bursts of 20."""
    return make_server(backend, chat_rate=5, chat_burst=20)


async def test_chat_rules(chat_server):
    url, admin_key = chat_server.url, chat_server.settings.admin_key
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        k = await new_classroom(http, url, admin_key, "Ada", "Bob", "Cy", "Dan")
        main = k.id
        ada = await Ws(url, k.tokens["Ada"]).open()
        try:
            await _idempotent_retries(k, ada, main)
            await _size_limits(k, ada, main)
            await _rate_limit(k, main)
            await _paging(k, main)
        finally:
            await ada.close()


async def _idempotent_retries(k, ada, main):
    first = expect(await k.chat("Bob", "hello", client_id="bob-1"), 201)
    again = expect(await k.chat("Bob", "hello", client_id="bob-1"), 201)
    assert again == first, "a retry returns the first message"
    # retries racing each other still make one message
    racing = await asyncio.gather(
        *(k.chat("Bob", "hello", client_id="bob-1") for _ in range(4)),
        k.chat("Bob", "second", client_id="bob-2"),
    )
    assert all(r.status_code == 201 for r in racing)
    assert {r.json()["id"] for r in racing[:4]} == {first["id"]}
    assert {r.json()["seq"] for r in racing[:4]} == {first["seq"]}
    second = racing[4].json()
    assert second["seq"] > first["seq"]
    # another sender may use the same client id: it is per sender
    other = expect(await k.chat("Cy", "mine", client_id="bob-1"), 201)
    assert other["id"] != first["id"]

    got = await ada.collect(chat_of(main), 3)
    assert [(m["data"]["id"], m["seq"]) for m in got] == [
        (first["id"], first["seq"]),
        (second["id"], second["seq"]),
        (other["id"], other["seq"]),
    ]
    await ada.quiet(0.2)
    assert len(ada.events("chat_message")) == 3, "the retries made no events"
    history = await k.history(k.tokens["Ada"], main)
    assert [m["text"] for m in history["messages"]] == ["hello", "second", "mine"]
    assert [m["client_id"] for m in history["messages"]] == ["bob-1", "bob-2", "bob-1"]


async def _size_limits(k, ada, main):
    before = await k.history(k.host_token, main)
    record = expect(await k.http.get(f"/v1/meetings/{main}/events", headers=k.host))
    for text in ("x" * 4001, "", "   \n\t "):
        response = await k.chat("Bob", text, client_id=f"bad-{len(text)}")
        body = expect(response, 422)
        assert body["error"]["code"] == "invalid_input"
        assert body["error"]["message"]
    assert "4000" in (await k.chat("Bob", "x" * 4001)).json()["error"]["message"]
    # nothing stored: not in the history, not in the meeting's record, never sent
    assert await k.history(k.host_token, main) == before
    after = expect(await k.http.get(f"/v1/meetings/{main}/events", headers=k.host))
    assert after["last_seq"] == record["last_seq"]
    await ada.quiet(0.2)
    assert len(ada.events("chat_message")) == 3
    # and the largest allowed message goes through whole
    big = expect(await k.chat("Bob", "y" * 4000), 201)
    got = await ada.wait_for(chat_of(main))
    assert got["data"]["text"] == "y" * 4000 and got["seq"] == big["seq"]


async def _rate_limit(k, main):
    accepted, refused = [], []
    started = time.monotonic()
    for i in range(25):
        response = await k.chat("Dan", f"fast {i}", client_id=f"dan-{i}")
        if response.status_code == 201:
            accepted.append(response.json())
        else:
            refused.append(response)
    elapsed = time.monotonic() - started
    # a burst of 20, plus what 5 per second refills while sending
    assert 20 <= len(accepted) <= 20 + int(elapsed * 5) + 1, (len(accepted), elapsed)
    assert refused, f"no 429 in 25 sends over {elapsed:.2f}s"
    for response in refused:
        assert response.status_code == 429
        error = response.json()["error"]
        assert error["code"] == "rate_limited"
        assert "per second" in error["message"]
        assert 0 < error["retry_after"] <= 1
        assert int(response.headers["Retry-After"]) >= 1
    history = await k.history(k.host_token, main, limit=500)
    dans = [m for m in history["messages"] if m["sender"]["name"] == "Dan"]
    assert [m["id"] for m in dans] == [a["id"] for a in accepted], "only accepted ones stored"
    # a refused client id was not used up: once the bucket refills, it goes through
    await asyncio.sleep(float(refused[-1].json()["error"]["retry_after"]) + 0.05)
    retried = refused[-1].request
    response = await k.http.send(retried)
    assert response.status_code == 201, response.text
    # the rate limit is per participant: Ada is not affected
    assert (await k.chat("Ada", "not me")).status_code == 201


async def _paging(k, main):
    full = await k.history(k.host_token, main, limit=500)
    assert not full["more"] and full["before"] is None
    everything = full["messages"]
    assert len(everything) >= 25
    seqs = [m["seq"] for m in everything]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)

    pages, before = [], None
    while True:
        params = {"limit": 7} if before is None else {"limit": 7, "before": before}
        page = await k.history(k.tokens["Ada"], main, **params)
        assert len(page["messages"]) <= 7
        pages.insert(0, page["messages"])
        if not page["more"]:
            assert page["before"] is None
            break
        assert len(page["messages"]) == 7
        assert page["before"] == page["messages"][0]["seq"]
        before = page["before"]
    assert [m for p in pages for m in p] == everything, "the pages join up, oldest first"
    assert len(pages) == -(-len(everything) // 7)

    latest = await k.history(k.tokens["Ada"], main, limit=2)
    assert latest["messages"] == everything[-2:] and latest["more"]
    response = await k.http.get(
        f"/v1/meetings/{main}/chat", params={"limit": 501}, headers=k.as_("Ada")
    )
    assert response.status_code == 422
