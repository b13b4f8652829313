"""The breakout lifecycle over real HTTP, on SQLite and on PostgreSQL.

draft → start → running (add, delete, move) → close → recreate; the service's own
timer; reproducible shuffles; stale versions; media flags across switches.
"""

from __future__ import annotations

import time

from api_helpers import assert_error, invariants, ok

STUDENTS = ["Ada", "Alan", "Barbara", "Edsger", "Grace", "Linus"]


def test_whole_lifecycle(api):
    k = api.new_class()
    k.invite(*STUDENTS)
    s = k.students
    main = k.id

    state = k.state()
    assert state["status"] == "none" and state["rooms"] == []
    assert {p["name"] for p in state["participants"]} == {"Ms. Rivera", *STUDENTS}
    assert set(k.where(state).values()) == {main}

    # -- draft: create, rename, assign; nobody moves yet ---------------------------------
    state = k.do("POST", "/rooms", count=3)
    assert state["status"] == "draft"
    assert [r["title"] for r in state["rooms"]] == ["Room 1", "Room 2", "Room 3"]
    assert {r["status"] for r in state["rooms"]} == {"draft"}
    rooms = k.room_ids()
    state = k.do("PATCH", f"/rooms/{rooms['Room 1']}", title="Team A")
    assert [r["title"] for r in state["rooms"]] == ["Team A", "Room 2", "Room 3"]
    rooms = k.room_ids()
    plan = {"Ada": "Team A", "Alan": "Team A", "Barbara": "Room 2", "Edsger": "Room 2"}
    plan["Grace"] = "Room 3"
    moves = [{"participant_id": s[n], "room_id": rooms[t]} for n, t in plan.items()]
    state = k.do("POST", "/assign", moves=moves)
    assert {r["title"]: sorted(r["participants"]) for r in state["rooms"]} == {
        "Team A": sorted([s["Ada"], s["Alan"]]),
        "Room 2": sorted([s["Barbara"], s["Edsger"]]),
        "Room 3": [s["Grace"]],
    }
    assert set(k.where(state).values()) == {main}, "nobody moves before the start"
    invariants(state)

    # -- start: the assigned move to their rooms, the rest stay in main ------------------
    state = k.do("POST", "/start")
    assert state["status"] == "running" and state["closes_at"] is None
    assert {r["status"] for r in state["rooms"]} == {"open"}
    where = k.where(state)
    for name, title in plan.items():
        assert where[name] == rooms[title], name
    assert where["Linus"] == main and where["Ms. Rivera"] == main
    me = ok(k.as_("Ada").get("/v1/me"))
    assert me["meeting"]["title"] == "Team A"
    assert me["meeting"]["parent_id"] == main and me["meeting"]["kind"] == "room"
    assert me["class"] == {"id": main, "title": "Algebra 1"}
    invariants(state)

    # -- running: add a room, move people into it, delete a room, move between rooms ----
    state = k.do("POST", "/rooms", titles=["Extra"])
    rooms = k.room_ids()
    assert list(rooms) == ["Team A", "Room 2", "Room 3", "Extra"]
    assert state["rooms"][-1]["status"] == "open"
    assert k.where(state)["Linus"] == main, "a new room pulls nobody in"
    state = k.do(
        "POST", "/assign", moves=[{"participant_id": s["Linus"], "room_id": rooms["Extra"]}]
    )
    assert k.where(state)["Linus"] == rooms["Extra"]

    state = k.do("DELETE", f"/rooms/{rooms['Room 3']}")
    assert [r["title"] for r in state["rooms"]] == ["Team A", "Room 2", "Extra"]
    grace = next(p for p in state["participants"] if p["name"] == "Grace")
    assert grace["meeting_id"] == main and grace["room_id"] is None
    assert ok(k.as_("Grace").get("/v1/me"))["meeting"]["id"] == main

    state = k.do(
        "POST", "/assign", moves=[{"participant_id": s["Ada"], "room_id": rooms["Room 2"]}]
    )
    assert k.where(state)["Ada"] == rooms["Room 2"]
    state = k.do("POST", "/assign", moves=[{"participant_id": s["Alan"], "room_id": None}])
    assert k.where(state)["Alan"] == main, "unassigning while running returns to main"
    state = k.do(
        "POST", "/assign", moves=[{"participant_id": s["Alan"], "room_id": rooms["Team A"]}]
    )
    invariants(state)
    at_close = {r["title"]: sorted(r["participants"]) for r in state["rooms"]}
    assert at_close == {
        "Team A": [s["Alan"]],
        "Room 2": sorted([s["Ada"], s["Barbara"], s["Edsger"]]),
        "Extra": [s["Linus"]],
    }

    # -- close: everyone back in main; the rooms stay as records -------------------------
    state = k.do("POST", "/close")
    assert state["status"] == "closed" and state["rooms"] == [] and state["can_recreate"]
    assert set(k.where(state).values()) == {main}
    assert all(p["room_id"] is None for p in state["participants"])
    invariants(state)
    records = ok(k.host.get(f"{k.base}/rooms"))["rooms"]
    assert [r["title"] for r in records] == ["Team A", "Room 2", "Room 3", "Extra"]
    assert {r["status"] for r in records} == {"closed"}
    assert {r["parent_id"] for r in records} == {main}
    assert {r["breakout_number"] for r in records} == {1}
    for record in records:  # each room stays readable as a meeting of its own
        assert ok(k.host.get(f"/v1/meetings/{record['id']}"))["status"] == "closed"

    # -- recreate: the same rooms and assignment, as a new draft -------------------------
    state = k.do("POST", "/recreate")
    assert state["status"] == "draft"
    assert {r["title"]: sorted(r["participants"]) for r in state["rooms"]} == at_close
    assert not set(k.room_ids().values()) & {r["id"] for r in records}, "new rooms, new ids"
    state = k.do("POST", "/start")
    rooms = k.room_ids()
    where = k.where(state)
    assert where["Alan"] == rooms["Team A"] and where["Linus"] == rooms["Extra"]
    assert where["Ada"] == where["Barbara"] == where["Edsger"] == rooms["Room 2"]
    assert where["Grace"] == main
    k.do("POST", "/close")
    records = ok(k.host.get(f"{k.base}/rooms"))["rooms"]
    assert [r["breakout_number"] for r in records] == [1, 1, 1, 1, 2, 2, 2]


def test_duration_closes_the_rooms_by_itself(api):
    k = api.new_class()
    k.invite(*STUDENTS)
    k.do("POST", "/rooms", count=2)
    k.do("POST", "/shuffle", seed=1)
    before = time.time()
    state = k.do("POST", "/start", duration=1, warning=0)
    assert state["status"] == "running"
    assert before + 1 <= state["closes_at"] <= time.time() + 1
    assert all(p["meeting_id"] != k.id for p in state["participants"] if p["name"] in STUDENTS)

    state = k.wait_for(lambda st: st["status"] != "running", timeout=5)
    assert time.time() >= before + 1
    assert state["status"] == "closed" and state["can_recreate"]
    assert set(k.where(state).values()) == {k.id}
    assert {r["status"] for r in ok(k.host.get(f"{k.base}/rooms"))["rooms"]} == {"closed"}
    invariants(state)


def test_close_countdown_closes_after_the_delay(api):
    k = api.new_class()
    k.invite(*STUDENTS)
    k.do("POST", "/rooms", count=3)
    k.do("POST", "/shuffle", seed="x")
    k.do("POST", "/start", duration=600)
    before = time.time()
    state = k.do("POST", "/close", countdown=1)
    assert state["status"] == "running", "a countdown does not close at once"
    assert before + 1 <= state["closes_at"] <= time.time() + 1
    assert sum(1 for p in state["participants"] if p["meeting_id"] != k.id) == len(STUDENTS)

    state = k.wait_for(lambda st: st["status"] != "running", timeout=5)
    assert time.time() >= before + 1
    assert set(k.where(state).values()) == {k.id}


def _shuffled(k, seed):
    state = k.do("POST", "/shuffle", seed=seed)
    names = {p["id"]: p["name"] for p in state["participants"]}
    return {r["title"]: sorted(names[pid] for pid in r["participants"]) for r in state["rooms"]}


def test_shuffle_is_even_and_reproducible(api):
    names = [f"student{i:02d}" for i in range(11)]
    k = api.new_class()
    k.invite(*reversed(names))  # invitation order does not matter, names do
    k.do("POST", "/rooms", count=3)

    first = _shuffled(k, 7)
    sizes = sorted(len(v) for v in first.values())
    assert sizes == [3, 4, 4], "sizes differ by at most one; no empty room"
    assert sorted(n for v in first.values() for n in v) == names, "everyone but the host"
    other = _shuffled(k, 8)
    assert _shuffled(k, 7) == first, "the same seed gives the same rooms"
    assert other != first
    assert _shuffled(k, "seven") == _shuffled(k, "seven")

    # The same class set up again (new ids, same names) splits the same way.
    twin = api.new_class()
    twin.invite(*names)
    twin.do("POST", "/rooms", count=3)
    assert _shuffled(twin, 7) == first

    # While running, a shuffle moves people at once and keeps sizes even.
    k.do("POST", "/rooms", count=1)
    k.do("POST", "/start")
    state = k.do("POST", "/shuffle", seed=3)
    assert sorted(len(r["participants"]) for r in state["rooms"]) == [2, 3, 3, 3]
    for room in state["rooms"]:
        assert {k.where(state)[n] for n in _names(state, room)} <= {room["id"]}
    invariants(state)


def _names(state, room):
    names = {p["id"]: p["name"] for p in state["participants"]}
    return [names[pid] for pid in room["participants"]]


def test_stale_version_gets_409_and_changes_nothing(api):
    k = api.new_class()
    k.invite(*STUDENTS)
    stale = k.state()["version"]
    k.do("POST", "/rooms", count=2)
    rooms = k.room_ids()
    k.do("POST", "/shuffle", seed=1)
    current = k.state()["version"]
    assert current == stale + 2

    def attempts():
        room = next(iter(k.room_ids().values()))
        move = {"participant_id": k.students["Ada"], "room_id": room}
        return [
            ("POST", "/rooms", {"count": 1}),
            ("PATCH", f"/rooms/{room}", {"title": "Renamed"}),
            ("DELETE", f"/rooms/{room}", {}),
            ("POST", "/shuffle", {"seed": 99}),
            ("POST", "/assign", {"moves": [move]}),
            ("POST", "/start", {"duration": 60}),
            ("POST", "/close", {}),
            ("POST", "/recreate", {}),
        ]

    for phase in ("draft", "running"):
        before = k.snapshot()
        for method, path, body in attempts():
            for version in (stale, current + 1):  # behind and ahead are both refused
                response = k.write(method, path, version=version, **body)
                error = assert_error(response, 409, "conflict")
                assert str(current) in error["message"]
                assert error["version"] == current == before["state"]["version"]
        assert k.snapshot() == before, phase
        if phase == "draft":
            k.do("POST", "/start")
            current = k.state()["version"]
    assert set(rooms.values()) == set(k.room_ids().values())

    # The fresh version still works.
    state = k.do("POST", "/close")
    assert state["version"] == current + 1


def test_media_flags_survive_switches(api):
    k = api.new_class()
    k.invite("Ada", "Alan")
    ada = k.as_("Ada")
    assert ok(ada.get("/v1/me"))["participant"]["mic"] is False
    me = ok(ada.patch("/v1/me/media", json={"mic": True, "camera": True}))
    assert (me["mic"], me["camera"]) == (True, True)
    me = ok(ada.patch("/v1/me/media", json={"camera": False}))
    assert (me["mic"], me["camera"]) == (True, False), "an absent flag is kept"

    k.do("POST", "/rooms", count=2)
    rooms = k.room_ids()
    k.do(
        "POST", "/assign", moves=[{"participant_id": k.students["Ada"], "room_id": rooms["Room 1"]}]
    )
    k.do("POST", "/start")

    def flags():
        p = ok(ada.get("/v1/me"))["participant"]
        return p["meeting_id"], p["mic"], p["camera"]

    assert flags() == (rooms["Room 1"], True, False), "moved by the start"
    ok(ada.post("/v1/me/switch", json={"meeting": "main"}))
    assert flags() == (k.id, True, False), "switched to main"
    ok(ada.patch("/v1/me/media", json={"mic": False, "camera": True}))
    ok(ada.post("/v1/me/switch", json={"meeting": rooms["Room 1"]}))
    assert flags() == (rooms["Room 1"], False, True), "switched back into the room"
    k.do(
        "POST", "/assign", moves=[{"participant_id": k.students["Ada"], "room_id": rooms["Room 2"]}]
    )
    assert flags() == (rooms["Room 2"], False, True), "moved by the host"
    k.do("POST", "/close")
    assert flags() == (k.id, False, True), "sent back by the close"
    alan = next(p for p in k.state()["participants"] if p["name"] == "Alan")
    assert (alan["mic"], alan["camera"]) == (False, False), "only Ada's flags changed"
