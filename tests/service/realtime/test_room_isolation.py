"""Room isolation over real WebSockets, on SQLite and PostgreSQL.

Students in Red never receive Blue's chat (live, by subscribe, or in history); a
participant's subscribe to another room is refused; the host sees both rooms.
"""

from __future__ import annotations

import asyncio

import httpx
from rt_helpers import SlowDown, Ws, chat_of, expect, new_classroom, of_type
from websockets.asyncio.client import connect

from breakout_widgets.service.store.store import Store


async def test_rooms_are_isolated_and_the_host_sees_all(service, http):
    k = await new_classroom(http, service.url, service.admin_key, "Ada", "Bob", "Cy", "Dee")
    await k.start_rooms({"Red": ["Ada", "Bob"], "Blue": ["Cy", "Dee"]})
    red, blue = k.rooms["Red"], k.rooms["Blue"]

    ada = await Ws(service.url, k.tokens["Ada"]).open()
    cy = await Ws(service.url, k.tokens["Cy"]).open()
    host = await Ws(service.url, k.host_token).open()
    try:
        assert set(ada.welcome["meetings"]) == {k.id, red}
        assert set(cy.welcome["meetings"]) == {k.id, blue}
        assert set(host.welcome["meetings"]) == {k.id, red, blue}

        # a participant may not follow another room; the connection stays usable
        await ada.send({"type": "subscribe", "meeting_id": blue, "after": 0})
        error = await ada.wait_for(of_type("error"))
        assert error["error"]["code"] == "forbidden"
        await ada.send({"type": "subscribe", "meeting_id": "m_doesnotexist"})
        assert (await ada.wait_for(of_type("error")))["error"]["code"] == "not_found"
        # nor a meeting of another class
        other = await new_classroom(http, service.url, service.admin_key)
        await ada.send({"type": "subscribe", "meeting_id": other.id, "after": 0})
        assert (await ada.wait_for(of_type("error")))["error"]["code"] == "forbidden"
        # her own room and main are fine
        await ada.send({"type": "subscribe", "meeting_id": red})
        subscribed = await ada.wait_for(of_type("subscribed"))
        assert set(subscribed["meetings"]) == {k.id, red}

        # a participant cannot post into another room, nor read its history
        response = await k.chat("Ada", "sneaking into Blue", meeting_id=blue)
        assert response.status_code == 403, response.text
        response = await http.get(f"/v1/meetings/{blue}/chat", headers=k.as_("Ada"))
        assert response.status_code == 403, response.text

        for i in range(5):
            assert (await k.chat("Bob", f"red {i}")).status_code == 201
            assert (await k.chat("Dee", f"blue {i}")).status_code == 201
        await k.chat("host", "to Blue from the host", meeting_id=blue)
        await k.chat("host", "to Red from the host", meeting_id=red)

        red_texts = [f"red {i}" for i in range(5)] + ["to Red from the host"]
        blue_texts = [f"blue {i}" for i in range(5)] + ["to Blue from the host"]
        got = await ada.collect(chat_of(red), len(red_texts))
        assert [m["data"]["text"] for m in got] == red_texts
        got = await cy.collect(chat_of(blue), len(blue_texts))
        assert [m["data"]["text"] for m in got] == blue_texts
        host_red = await host.collect(chat_of(red), len(red_texts))
        host_blue = await host.collect(chat_of(blue), len(blue_texts))
        assert [m["data"]["text"] for m in host_red] == red_texts
        assert [m["data"]["text"] for m in host_blue] == blue_texts

        # a little later, still nothing of the other room arrived
        await ada.quiet(0.3)
        await cy.quiet(0.3)
        assert not ada.events(meeting_id=blue), ada.events(meeting_id=blue)
        assert not cy.events(meeting_id=red), cy.events(meeting_id=red)
        assert all(m["meeting_id"] in (k.id, red) for m in ada.events())

        # the host reads both histories
        for room, texts in ((red, red_texts), (blue, blue_texts)):
            history = await k.history(k.host_token, room)
            assert [m["text"] for m in history["messages"]] == texts

        # moved to Blue, Ada follows Blue and no longer Red
        await k.breakout("assign", moves=[{"participant_id": k.ids["Ada"], "room_id": blue}])
        subscribed = await ada.wait_for(of_type("subscribed"))
        assert set(subscribed["meetings"]) == {k.id, blue}
        await k.chat("Bob", "Red after Ada left")
        await k.chat("Dee", "Blue with Ada")
        got = await ada.wait_for(chat_of(blue))
        assert got["data"]["text"] == "Blue with Ada"
        await host.wait_for(lambda m: chat_of(red)(m) and m["data"]["text"] == "Red after Ada left")
        await ada.quiet(0.3)
        assert all(m["data"]["text"] != "Red after Ada left" for m in ada.events("chat_message"))
    finally:
        for ws in (ada, cy, host):
            await ws.close()


async def test_admin_key_and_bad_hellos(service, http):
    k = await new_classroom(http, service.url, service.admin_key, "Ada", "Cy")
    await k.start_rooms({"Red": ["Ada"], "Blue": ["Cy"]})
    admin = await Ws(service.url, service.admin_key, class_id=k.id).open()
    try:
        assert admin.welcome["participant_id"] is None
        assert admin.welcome["meeting_id"] == k.id
        assert set(admin.welcome["meetings"]) == {k.id, *k.rooms.values()}
        # malformed messages get an error; the connection stays open
        await admin.ws.send("not json")
        assert (await admin.wait_for(of_type("error")))["error"]["code"] == "invalid_input"
        await admin.send({"type": "dance"})
        assert (await admin.wait_for(of_type("error")))["error"]["code"] == "invalid_input"
        await admin.send({"type": "ping", "id": 7})
        assert (await admin.wait_for(of_type("pong")))["id"] == 7
        await k.chat("Ada", "in red")
        await k.chat("Cy", "in blue")
        await admin.wait_for(chat_of(k.rooms["Red"]))
        await admin.wait_for(chat_of(k.rooms["Blue"]))
    finally:
        await admin.close()

    # an unknown token: an error message, then close code 4001
    bad = Ws(service.url, "bw_not_a_token")
    try:
        bad.ws = await connect(bad.url, compression=None)
        await bad.send({"type": "hello", "token": "bw_not_a_token"})
        error = await bad.next()
        assert error["type"] == "error" and error["error"]["code"] == "unauthorized"
        assert await bad.closed_code() == 4001
    finally:
        await bad.close()
    # the admin key for an unknown class: 4001
    try:
        bad.ws = await connect(bad.url, compression=None)
        await bad.send({"type": "hello", "token": service.admin_key, "class_id": "m_nope"})
        assert (await bad.next())["error"]["code"] == "not_found"
        assert await bad.closed_code() == 4001
    finally:
        await bad.close()
    # no hello first: 4002
    try:
        bad.ws = await connect(bad.url, compression=None)
        await bad.send({"type": "ping", "id": 1})
        assert await bad.closed_code() == 4002
    finally:
        await bad.close()
    # and REST needs a token too
    assert (await http.post("/v1/chat", json={"text": "hi"})).status_code == 401


async def test_students_connecting_while_the_host_moves_them_follow_their_room(sqlite_service):
    """Connect while rooms are shuffled: each student ends up told, and following, exactly
    the room they are in (a move racing a connect is neither missed nor doubled)."""
    service = sqlite_service
    async with httpx.AsyncClient(base_url=service.url, timeout=30) as http:
        await _connect_while_moving(service, http)


async def _connect_while_moving(service, http):
    names = [f"s{i:02d}" for i in range(12)]
    k = await new_classroom(http, service.url, service.admin_key, *names)
    await k.start_rooms({"A": names[:4], "B": names[4:8], "C": names[8:]})
    clients: list[tuple[str, Ws]] = []

    async def shuffles() -> None:
        for seed in range(12):
            await k.breakout("shuffle", seed=seed)

    async def connects() -> None:
        for _ in range(3):
            opened = await asyncio.gather(*(Ws(service.url, k.tokens[n]).open() for n in names))
            clients.extend(zip(names, opened, strict=True))
            await asyncio.sleep(0.03)

    try:
        await asyncio.gather(shuffles(), connects())
        final = expect(await http.get(f"/v1/meetings/{k.id}", headers=k.host))["last_seq"]
        wrong = []
        for name, ws in clients:
            if ws.last[k.id] < final:  # read up to main's last event
                await ws.wait_for(lambda m: m.get("seq") == final and m["meeting_id"] == k.id)
            told, follows = ws.welcome["meeting_id"], set(ws.welcome["meetings"])
            for m in ws.received:
                if m["type"] == "meeting_changed" and m["data"]["participant_id"] == k.ids[name]:
                    told = m["data"]["to"]
                elif m["type"] == "subscribed":
                    follows = set(m["meetings"])
            actual = expect(await http.get("/v1/me", headers=k.as_(name)))["meeting"]["id"]
            if told != actual or follows != {k.id, actual}:
                wrong.append((name, told == actual, sorted(follows), actual))
        assert not wrong, wrong
    finally:
        for _, ws in clients:
            await ws.close()


async def test_a_move_while_a_student_connects_is_not_missed(sqlite_service, monkeypatch):
    """The host moves Ada while her connection is being set up: she is told, and follows,
    the room she ends up in."""
    service = sqlite_service
    slow_load = SlowDown(monkeypatch, Store, "load", 0.3)
    async with httpx.AsyncClient(base_url=service.url, timeout=30) as http:
        k = await new_classroom(http, service.url, service.admin_key, "Ada", "Bob")
        await k.start_rooms({"Red": ["Bob"]})  # Ada stays in main
        red = k.rooms["Red"]
        version = await k.version()
        slow_load.armed = True
        opening = asyncio.create_task(Ws(service.url, k.tokens["Ada"]).open())
        while not slow_load.hits:  # her connection has read the class and waits
            await asyncio.sleep(0.005)
        slow_load.armed = False
        moves = [{"participant_id": k.ids["Ada"], "room_id": red}]
        response = await http.post(
            f"/v1/meetings/{k.id}/breakout/assign",
            json={"version": version, "moves": moves},
            headers=k.host,
        )
        expect(response)
        ada = await opening
        try:
            told = ada.welcome["meeting_id"]
            follows = set(ada.welcome["meetings"])
            await k.chat("Bob", "hello Ada")
            await ada.wait_for(chat_of(red), timeout=5)  # she follows Red
            for m in ada.received:
                if m["type"] == "meeting_changed":
                    told = m["data"]["to"]
                elif m["type"] == "subscribed":
                    follows = set(m["meetings"])
            assert told == red and follows == {k.id, red}
        finally:
            await ada.close()
