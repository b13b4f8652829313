"""Room isolation over real WebSockets, on SQLite and PostgreSQL.

Students in Red never receive Blue's chat (live, by subscribe, or in history); a
participant's subscribe to another room is refused; the host sees both rooms.
"""

from __future__ import annotations

from rt_helpers import Ws, chat_of, new_classroom, of_type
from websockets.asyncio.client import connect


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
