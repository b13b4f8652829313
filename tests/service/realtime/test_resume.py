"""Resume after a dropped connection: every missed event once, in order; a reload on a
gap larger than the resume window. On SQLite and PostgreSQL, over real WebSockets.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from rt_helpers import SlowDown, Ws, chat_of, expect, new_classroom, of_type

from breakout_widgets.service.store.store import Store

WINDOW = 100  # the service's resume window here: a gap of exactly 100 still replays


@pytest.fixture
def resume_server(backend, make_server):
    return make_server(backend, resume_window=WINDOW, chat_rate=1000, chat_burst=1000)


async def _send_many(k, texts: list[str]) -> list[dict]:
    """Post ``texts`` as Bob, a few at a time, each text once; the acks in seq order
    (which is the order every client must see them in)."""
    acks: list[dict] = []
    for start in range(0, len(texts), 8):
        batch = texts[start : start + 8]
        responses = await asyncio.gather(
            *(k.chat("Bob", t, client_id=f"{t}-{start}") for t in batch)
        )
        acks += [expect(r, 201) for r in responses]
    return sorted(acks, key=lambda a: a["seq"])


def _texts(messages):
    return [m["data"]["text"] for m in messages]


def _assert_in_order_once(ws: Ws, meeting_id: str) -> None:
    """Every event of ``meeting_id`` this client saw, across connections: seq +1 each."""
    seqs = [m["seq"] for m in ws.events(meeting_id=meeting_id)]
    if seqs:
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs


async def test_resume_after_drops(resume_server):
    url, admin_key = resume_server.url, resume_server.settings.admin_key
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        k = await new_classroom(http, url, admin_key, "Ada", "Bob", "Cy")
        await k.start_rooms({"Red": ["Ada", "Bob"], "Blue": ["Cy"]})
        red = k.rooms["Red"]
        ada = await Ws(url, k.tokens["Ada"]).open()
        try:
            await _closed_then_100_messages(k, url, ada, red)
            ada = await _dropped_in_the_middle_of_a_stream(k, url, ada, red)
            await _subscribe_with_after(k, url, red)
        finally:
            await ada.close()


async def _closed_then_100_messages(k, url, ada, red):
    for i in range(3):
        expect(await k.chat("Bob", f"before {i}"), 201)
    assert _texts(await ada.collect(chat_of(red), 3)) == [f"before {i}" for i in range(3)]
    await ada.close()

    acks = await _send_many(k, [f"missed {i}" for i in range(100)])
    assert acks[-1]["seq"] - ada.last[red] == WINDOW, "a gap of exactly the window"
    resumed = await Ws(url, k.tokens["Ada"], resume=dict(ada.last)).open()
    resumed.received = ada.received  # one log across both connections
    assert resumed.welcome["meetings"][red] == acks[-1]["seq"]
    got = await resumed.collect(chat_of(red), 100)
    assert _texts(got) == [a["text"] for a in acks]
    assert sorted(_texts(got)) == sorted(f"missed {i}" for i in range(100))
    assert [m["seq"] for m in got] == [a["seq"] for a in acks]
    assert [m["data"]["id"] for m in got] == [a["id"] for a in acks]

    # then live events, still numbered on
    live = expect(await k.chat("Bob", "live after resume"), 201)
    message = await resumed.wait_for(chat_of(red))
    assert message["seq"] == live["seq"] == acks[-1]["seq"] + 1
    await resumed.quiet(0.2)
    texts = _texts(resumed.events("chat_message", red))
    assert len(texts) == len(set(texts)) == 104, "each message exactly once"
    _assert_in_order_once(resumed, red)
    _assert_in_order_once(resumed, k.id)
    ada.__dict__.update(resumed.__dict__)


async def _dropped_in_the_middle_of_a_stream(k, url, ada, red):
    """Bob sends 60 messages while Ada's connection breaks after 20 and comes back."""
    expected = [f"stream {i}" for i in range(60)]

    async def stream() -> list[dict]:
        acks = []
        for text in expected:
            acks.append(expect(await k.chat("Bob", text), 201))
            await asyncio.sleep(0.002)
        return acks

    sender = asyncio.create_task(stream())
    first = await ada.collect(chat_of(red), 20, timeout=20)
    assert _texts(first) == expected[:20]
    await ada.drop()  # what was still unread is lost with the connection
    assert not sender.done(), "the drop should happen while the stream goes on"

    resumed = await Ws(url, k.tokens["Ada"], resume=dict(ada.last)).open()
    resumed.received = ada.received
    rest = await resumed.collect(chat_of(red), 40, timeout=20)
    acks = await sender
    assert _texts(rest) == expected[20:]
    await resumed.quiet(0.2)
    stream_events = [
        m for m in resumed.events("chat_message", red) if "stream" in m["data"]["text"]
    ]
    assert _texts(stream_events) == expected, "all once, in order, across the drop"
    assert [m["seq"] for m in stream_events] == [a["seq"] for a in acks]
    _assert_in_order_once(resumed, red)
    _assert_in_order_once(resumed, k.id)
    return resumed


async def _subscribe_with_after(k, url, red):
    """A host that unsubscribed from a room catches up by subscribing with ``after``."""
    host = await Ws(url, k.host_token).open()
    try:
        since = host.welcome["meetings"][red]
        await host.send({"type": "unsubscribe", "meeting_id": red})
        await host.send({"type": "ping", "id": "sync"})
        await host.wait_for(of_type("pong"))
        for i in range(10):
            expect(await k.chat("Bob", f"while away {i}"), 201)
        await host.quiet(0.2)
        assert not host.events(meeting_id=red), "unsubscribed: nothing of Red"
        await host.send({"type": "subscribe", "meeting_id": red, "after": since})
        got = await host.collect(chat_of(red), 10)
        assert _texts(got) == [f"while away {i}" for i in range(10)]
        assert [m["seq"] for m in got] == list(range(since + 1, since + 11))
        await host.wait_for(of_type("subscribed"))
        expect(await k.chat("Bob", "live again"), 201)
        assert (await host.wait_for(chat_of(red)))["seq"] == since + 11
        await host.quiet(0.2)
        _assert_in_order_once(host, red)

        # subscribing again to what one follows already, mid-stream, loses nothing
        stream = asyncio.create_task(_send_many(k, [f"resubscribe {i}" for i in range(40)]))
        while not stream.done():
            await host.send({"type": "subscribe", "meeting_id": red})
            await host.send({"type": "subscribe", "meeting_id": k.id})
            await asyncio.sleep(0.01)
        acks = await stream
        got = await host.collect(
            lambda m: chat_of(red)(m) and m["data"]["text"].startswith("resubscribe"), 40
        )
        assert [m["seq"] for m in got] == [a["seq"] for a in acks]
        await host.quiet(0.2)
        _assert_in_order_once(host, red)
        _assert_in_order_once(host, k.id)
    finally:
        await host.close()


SMALL = 10  # the resume window of the next test


@pytest.fixture
def small_window_server(backend, make_server):
    return make_server(backend, resume_window=SMALL, chat_rate=1000, chat_burst=1000)


async def test_reload_on_a_gap_larger_than_the_window(small_window_server):
    url, admin_key = small_window_server.url, small_window_server.settings.admin_key
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        k = await new_classroom(http, url, admin_key, "Ada", "Bob", "Cy")
        await k.start_rooms({"Red": ["Ada", "Bob"], "Blue": ["Cy"]})
        red = k.rooms["Red"]
        ada = await Ws(url, k.tokens["Ada"]).open()
        await ada.close()

        # a gap of exactly the window still replays
        acks = await _send_many(k, [f"within {i}" for i in range(SMALL)])
        ada = await Ws(url, k.tokens["Ada"], resume=dict(ada.last)).open()
        got = await ada.collect(chat_of(red), SMALL)
        assert [m["seq"] for m in got] == [a["seq"] for a in acks]
        await ada.close()

        # one more is a reload: no replay of Red; main (a small gap) is replayed whole
        main_before = ada.last[k.id]
        acks = await _send_many(k, [f"beyond {i}" for i in range(SMALL + 1)])
        expect(await http.post("/v1/help", headers=k.as_("Cy")), 201)  # an event in main
        resumed = await Ws(url, k.tokens["Ada"], resume=dict(ada.last)).open()
        try:
            reload = await resumed.wait_for(of_type("reload"))
            assert reload["meeting_id"] == red and reload["seq"] == acks[-1]["seq"]
            help_event = await resumed.wait_for(of_type("help_requested"))
            assert help_event["meeting_id"] == k.id
            await resumed.quiet(0.2)
            assert not resumed.events("chat_message"), "no replay of Red"
            assert resumed.events(meeting_id=k.id)[0]["seq"] == main_before + 1
            _assert_in_order_once(resumed, k.id)

            # the client reads the history instead and goes on from the reload's seq
            history = await k.history(k.tokens["Ada"], red, limit=SMALL + 1)
            assert [m["text"] for m in history["messages"]] == [a["text"] for a in acks]
            assert history["messages"][-1]["seq"] == reload["seq"]
            live = expect(await k.chat("Bob", "after reload"), 201)
            message = await resumed.wait_for(chat_of(red))
            assert message["seq"] == live["seq"] == reload["seq"] + 1
        finally:
            await resumed.close()

        # the same for a subscribe with ``after`` on a live connection
        host = await Ws(url, k.host_token).open()
        try:
            since = host.welcome["meetings"][red]
            await host.send({"type": "unsubscribe", "meeting_id": red})
            await host.send({"type": "ping", "id": "sync"})
            await host.wait_for(of_type("pong"))
            acks = await _send_many(k, [f"away {i}" for i in range(SMALL + 1)])
            await host.send({"type": "subscribe", "meeting_id": red, "after": since})
            reload = await host.wait_for(of_type("reload"))
            assert reload["meeting_id"] == red and reload["seq"] == acks[-1]["seq"]
            live = expect(await k.chat("Bob", "live"), 201)
            assert (await host.wait_for(chat_of(red)))["seq"] == live["seq"]
            assert not [m for m in host.events("chat_message") if m["seq"] <= reload["seq"]]
        finally:
            await host.close()


async def test_an_event_during_the_connect_is_not_held_back(sqlite_service, monkeypatch):
    """A message sent while a connection is being set up arrives at once, not only with
    the meeting's next event."""
    service = sqlite_service
    slow_meeting = SlowDown(monkeypatch, Store, "meeting", 0.3)
    async with httpx.AsyncClient(base_url=service.url, timeout=30) as http:
        k = await new_classroom(http, service.url, service.admin_key, "Ada", "Bob")
        first = await Ws(service.url, k.tokens["Ada"]).open()  # so no presence event follows
        second = None
        try:
            slow_meeting.armed = True
            opening = asyncio.create_task(Ws(service.url, k.tokens["Ada"]).open())
            while not slow_meeting.hits:  # the connection has read where main stands
                await asyncio.sleep(0.005)
            slow_meeting.armed = False
            sent = expect(await k.chat("Bob", "during the connect"), 201)
            second = await opening
            got = await second.wait_for(chat_of(k.id), timeout=3)
            assert got["seq"] == sent["seq"] and got["data"]["text"] == "during the connect"
        finally:
            await first.close()
            if second is not None:
                await second.close()


async def test_an_event_during_a_subscribe_is_not_held_back(sqlite_service, monkeypatch):
    service = sqlite_service
    slow_meeting = SlowDown(monkeypatch, Store, "meeting", 0.3)
    async with httpx.AsyncClient(base_url=service.url, timeout=30) as http:
        k = await new_classroom(http, service.url, service.admin_key, "Ada", "Bob")
        await k.start_rooms({"Red": ["Ada", "Bob"]})
        red = k.rooms["Red"]
        ada = await Ws(service.url, k.tokens["Ada"]).open()
        try:
            await ada.send({"type": "unsubscribe", "meeting_id": red})
            await ada.send({"type": "ping", "id": 1})
            await ada.wait_for(of_type("pong"))
            slow_meeting.armed = True
            await ada.send({"type": "subscribe", "meeting_id": red})
            while not slow_meeting.hits:  # the subscribe has read where Red stands
                await asyncio.sleep(0.005)
            slow_meeting.armed = False
            sent = expect(await k.chat("Bob", "during the subscribe"), 201)
            got = await ada.wait_for(chat_of(red), timeout=3)
            assert got["seq"] == sent["seq"]
            await ada.quiet(0.2)
            assert len(ada.events("chat_message")) == 1
        finally:
            await ada.close()
