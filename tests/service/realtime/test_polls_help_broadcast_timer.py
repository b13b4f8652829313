"""Polls, broadcast, the help queue, the timer and presence as live events, on SQLite and
PostgreSQL over real WebSockets.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest
from rt_helpers import Ws, expect, new_classroom, of_type


def _poll_event(meeting_id, action):
    return lambda m: (
        m["type"] == "poll_update"
        and m["meeting_id"] == meeting_id
        and m["data"]["action"] == action
    )


async def test_polls(service, http):
    k = await new_classroom(http, service.url, service.admin_key, "Ada", "Bob", "Cy")
    await k.start_rooms({"Red": ["Ada", "Bob"], "Blue": ["Cy"]})
    red = k.rooms["Red"]
    ada = await Ws(service.url, k.tokens["Ada"]).open()
    cy = await Ws(service.url, k.tokens["Cy"]).open()
    try:
        polls = "/v1/polls"

        async def create(token_headers, **body):
            body.setdefault("meeting_id", red)
            return await http.post(polls, json=body, headers=token_headers)

        # 2 to 10 distinct options; only presets with polls.create
        for options in (["only one"], [f"o{i}" for i in range(11)], ["same", "same"], []):
            body = expect(await create(k.host, question="Q?", options=options), 422)
            assert body["error"]["code"] == "invalid_input"
        response = await create(k.as_("Ada"), question="Q?", options=["a", "b"], meeting_id=None)
        assert expect(response, 403)["error"]["code"] == "forbidden"
        ten = expect(
            await create(k.host, question="Ten?", options=[f"o{i}" for i in range(10)]), 201
        )
        assert len(ten["options"]) == 10

        poll = expect(await create(k.host, question="Lunch?", options=["Pizza", "Soup"]), 201)
        assert poll["status"] == "open" and poll["results"] == {"Pizza": 0, "Soup": 0}
        created = await ada.wait_for(
            lambda m: _poll_event(red, "created")(m) and m["data"]["poll"]["id"] == poll["id"]
        )
        assert created["data"]["poll"]["question"] == "Lunch?"
        assert created["data"]["poll"]["options"] == ["Pizza", "Soup"]
        assert created["data"]["poll"]["anonymous"] is False

        vote = f"{polls}/{poll['id']}/vote"
        expect(await http.post(vote, json={"option": "Pizza"}, headers=k.as_("Ada")))
        event = await ada.wait_for(_poll_event(red, "vote"))
        assert event["data"]["results"] == {"Pizza": 1, "Soup": 0}
        assert event["data"]["voter"] == {"id": k.ids["Ada"], "name": "Ada", "option": "Pizza"}
        expect(await http.post(vote, json={"option": 1}, headers=k.as_("Bob")))  # by index
        event = await ada.wait_for(_poll_event(red, "vote"))
        assert event["data"]["results"] == {"Pizza": 1, "Soup": 1}
        # Ada changes her mind: still one vote each
        body = expect(await http.post(vote, json={"option": "Soup"}, headers=k.as_("Ada")))
        assert body["my_vote"] == "Soup" and body["votes"] == 2
        event = await ada.wait_for(_poll_event(red, "vote"))
        assert event["data"]["results"] == {"Pizza": 0, "Soup": 2}
        assert event["data"]["votes"] == 2
        # voting again for the same option changes nothing but is allowed
        expect(await http.post(vote, json={"option": "Soup"}, headers=k.as_("Ada")))
        event = await ada.wait_for(_poll_event(red, "vote"))
        assert event["data"]["results"] == {"Pizza": 0, "Soup": 2}
        # not an option; not in the poll's room
        expect(await http.post(vote, json={"option": "Tacos"}, headers=k.as_("Bob")), 422)
        expect(await http.post(vote, json={"option": 7}, headers=k.as_("Bob")), 422)
        expect(await http.post(vote, json={"option": "Pizza"}, headers=k.as_("Cy")), 403)
        # only the creator or a host closes it
        expect(await http.post(f"{polls}/{poll['id']}/close", headers=k.as_("Bob")), 403)

        listed = expect(await http.get(f"/v1/meetings/{red}/polls", headers=k.as_("Bob")))
        lunch = next(p for p in listed["polls"] if p["id"] == poll["id"])
        assert lunch["results"] == {"Pizza": 0, "Soup": 2} and lunch["my_vote"] == "Soup"

        closed = expect(await http.post(f"{polls}/{poll['id']}/close", headers=k.host))
        assert closed["status"] == "closed"
        event = await ada.wait_for(_poll_event(red, "closed"))
        assert event["data"]["poll_id"] == poll["id"]
        assert event["data"]["results"] == {"Pizza": 0, "Soup": 2}
        refused = expect(await http.post(vote, json={"option": "Pizza"}, headers=k.as_("Bob")), 422)
        assert "closed" in refused["error"]["message"]
        assert expect(await http.get(f"{polls}/{poll['id']}", headers=k.as_("Ada")))["results"] == {
            "Pizza": 0,
            "Soup": 2,
        }

        # an anonymous poll: counts, but never who voted
        anon = expect(
            await create(k.host, question="Secret?", options=["yes", "no"], anonymous=True), 201
        )
        for name, option in (("Ada", "yes"), ("Bob", "no"), ("Bob", "yes")):
            url = f"{polls}/{anon['id']}/vote"
            expect(await http.post(url, json={"option": option}, headers=k.as_(name)))
        votes = [
            await ada.wait_for(
                lambda m: _poll_event(red, "vote")(m) and m["data"]["poll_id"] == anon["id"]
            )
            for _ in range(3)
        ]
        assert [v["data"]["results"] for v in votes] == [
            {"yes": 1, "no": 0},
            {"yes": 1, "no": 1},
            {"yes": 2, "no": 0},
        ]
        record = expect(await http.get(f"/v1/meetings/{red}/events", headers=k.host))
        anon_events = [
            e
            for e in record["events"]
            if e["type"] == "poll_update" and e["data"].get("poll_id") == anon["id"]
        ]
        assert len(anon_events) == 3
        for e in [*votes, *anon_events]:
            assert "voter" not in e["data"]
            text = json.dumps(e)
            assert k.ids["Ada"] not in text and k.ids["Bob"] not in text

        # Cy in Blue saw none of Red's polls
        await cy.quiet(0.2)
        assert not cy.events("poll_update")
    finally:
        await ada.close()
        await cy.close()


async def test_broadcast_and_help_queue(service, http):
    k = await new_classroom(http, service.url, service.admin_key, "Ada", "Cy", "Dan")
    await k.start_rooms({"Red": ["Ada"], "Blue": ["Cy"]})  # Dan stays in main
    red, blue, main = k.rooms["Red"], k.rooms["Blue"], k.id
    clients = {
        name: await Ws(service.url, token).open()
        for name, token in (
            ("host", k.host_token),
            ("Ada", k.tokens["Ada"]),
            ("Cy", k.tokens["Cy"]),
            ("Dan", k.tokens["Dan"]),
        )
    }
    try:
        # -- broadcast: one event in main and one in every open room ----------------------
        url = f"/v1/meetings/{main}/broadcast"
        expect(await http.post(url, json={"text": "hi"}, headers=k.as_("Ada")), 403)
        expect(await http.post(url, json={"text": ""}, headers=k.host), 422)
        body = expect(await http.post(url, json={"text": "5 minutes left!"}, headers=k.host), 201)
        assert sorted(body["meetings"]) == sorted([main, red, blue])
        expected = {
            "host": {main, red, blue},
            "Ada": {main, red},
            "Cy": {main, blue},
            "Dan": {main},
        }
        for name, meetings in expected.items():
            ws = clients[name]
            got = [await ws.wait_for(of_type("broadcast")) for _ in meetings]
            assert {m["meeting_id"] for m in got} == meetings, name
            for m in got:
                assert m["data"] == {
                    "text": "5 minutes left!",
                    "sender": {"id": k.host_id, "name": "Ms. Rivera"},
                }
        # the admin key may broadcast too, as "Host"
        expect(await http.post(url, json={"text": "from admin"}, headers=k.admin), 201)
        got = await clients["Dan"].wait_for(of_type("broadcast"))
        assert got["data"]["sender"] == {"id": None, "name": "Host"}

        # -- help: who, which room, since when; the host resolves ------------------------
        queue_url = f"/v1/meetings/{main}/help"
        expect(await http.get(queue_url, headers=k.as_("Cy")), 403)
        asked_at = time.time()
        request = expect(await http.post("/v1/help", headers=k.as_("Cy")), 201)
        again = expect(await http.post("/v1/help", headers=k.as_("Cy")), 201)
        assert again["id"] == request["id"], "once until resolved"
        from_main = expect(await http.post("/v1/help", headers=k.as_("Dan")), 201)
        event = await clients["host"].wait_for(of_type("help_requested", action="requested"))
        assert event["meeting_id"] == main
        assert event["data"]["id"] == request["id"]
        assert event["data"]["name"] == "Cy" and event["data"]["participant_id"] == k.ids["Cy"]
        assert event["data"]["room"] == "Blue" and event["data"]["meeting_id"] == blue
        assert event["data"]["in_main"] is False and event["data"]["resolved_at"] is None
        assert abs(event["data"]["since"] - asked_at) < 5

        queue = expect(await http.get(queue_url, headers=k.host))["requests"]
        assert [(q["name"], q["room"], q["in_main"]) for q in queue] == [
            ("Cy", "Blue", False),
            ("Dan", "Algebra 1", True),
        ]
        assert queue[0]["since"] <= queue[1]["since"]

        resolved = expect(await http.post(f"{queue_url}/{request['id']}/resolve", headers=k.host))
        assert resolved["resolved_at"] is not None
        event = await clients["host"].wait_for(of_type("help_requested", action="resolved"))
        assert event["data"]["id"] == request["id"] and event["data"]["resolved_at"]
        # participants see the queue change too (it is in main)
        await clients["Cy"].wait_for(of_type("help_requested", action="resolved"))
        queue = expect(await http.get(queue_url, headers=k.host))["requests"]
        assert [q["id"] for q in queue] == [from_main["id"]]
        # Cy may ask again: a new request
        assert expect(await http.post("/v1/help", headers=k.as_("Cy")), 201)["id"] != request["id"]
        expect(await http.post(f"{queue_url}/help_nope/resolve", headers=k.host), 404)
    finally:
        for ws in clients.values():
            await ws.close()


async def test_timer_warning_and_auto_close(service, http):
    k = await new_classroom(http, service.url, service.admin_key, "Ada", "Cy")
    await k.start_rooms({"Red": ["Ada"], "Blue": ["Cy"]}, duration=2, warning=1)
    red, blue, main = k.rooms["Red"], k.rooms["Blue"], k.id
    state = expect(await http.get(f"/v1/meetings/{main}/breakout", headers=k.host))
    closes_at = state["closes_at"]
    ada = await Ws(service.url, k.tokens["Ada"]).open()
    host = await Ws(service.url, k.host_token).open()
    try:
        warning = await ada.wait_for(of_type("timer", phase="warning"), timeout=5)
        assert warning["data"]["closes_at"] == closes_at
        assert 0 <= warning["data"]["seconds_left"] <= 1.0
        assert warning["time"] >= closes_at - 1 - 0.01
        closed = await ada.wait_for(of_type("timer", phase="closed"), timeout=5)
        assert closed["data"]["reason"] == "time_up"
        assert closed["time"] >= closes_at
        moved = await ada.wait_for(
            lambda m: m["type"] == "meeting_changed" and m["data"]["participant_id"] == k.ids["Ada"]
        )
        assert moved["data"]["from"] == red and moved["data"]["to"] == main
        assert moved["data"]["reason"] == "time_up"
        subscribed = await ada.wait_for(of_type("subscribed"))
        assert subscribed["meetings"] == [main]
        update = await ada.wait_for(of_type("state_update", action="close"))
        assert update["data"]["reason"] == "time_up"

        # Ada saw the warning and the close in main and in Red, the warning first
        timers = [(m["meeting_id"], m["data"]["phase"]) for m in ada.events("timer")]
        assert sorted(timers[:2]) == sorted([(main, "warning"), (red, "warning")])
        assert sorted(timers[2:]) == sorted([(main, "closed"), (red, "closed")])
        # the host saw them in every room
        await host.wait_for(of_type("state_update", action="close"))
        seen = {(m["meeting_id"], m["data"]["phase"]) for m in host.events("timer")}
        assert seen == {(m, p) for m in (main, red, blue) for p in ("warning", "closed")}
    finally:
        await ada.close()
        await host.close()


@pytest.fixture
def presence_server(backend, make_server):
    return make_server(backend, presence_grace=0.5)


async def test_presence_online_and_offline_after_grace(presence_server):
    url, admin_key = presence_server.url, presence_server.settings.admin_key
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        k = await new_classroom(http, url, admin_key, "Ada")
        host = await Ws(url, k.host_token).open()
        try:

            def ada_presence(online):
                return lambda m: (
                    m["type"] == "presence"
                    and m["data"]["participant_id"] == k.ids["Ada"]
                    and m["data"]["online"] is online
                )

            ada = await Ws(url, k.tokens["Ada"]).open()
            online = await host.wait_for(ada_presence(True))
            assert online["meeting_id"] == k.id and online["data"]["name"] == "Ada"

            # a quick reconnect within the grace period is no flap
            await ada.close()
            ada = await Ws(url, k.tokens["Ada"]).open()
            await host.quiet(0.8)
            assert len(host.events("presence")) == 2, host.events("presence")  # host + Ada

            closed_at = time.monotonic()
            await ada.close()
            offline = await host.wait_for(ada_presence(False), timeout=5)
            waited = time.monotonic() - closed_at
            assert 0.4 <= waited < 3, f"offline after {waited:.2f}s with a 0.5s grace"
            assert offline["seq"] > online["seq"]
        finally:
            await host.close()
