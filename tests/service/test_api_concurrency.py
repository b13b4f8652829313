"""Two hosts writing at once, over real HTTP, on SQLite and on PostgreSQL.

Writes based on the same version race; exactly one wins, the other gets 409 Conflict,
and nobody ends up in two rooms or in none.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from api_helpers import assert_error, invariants, ok

ROUNDS = 10


def _at_once(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """Run the calls in threads released together by a barrier."""
    barrier = threading.Barrier(len(calls), timeout=30)

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _class_with_two_hosts(api, students=12, rooms=3):
    k = api.new_class()
    k.invite("Co-teacher", preset="host")
    k.invite(*(f"s{i:02d}" for i in range(students)))
    k.do("POST", "/rooms", count=rooms)
    k.do("POST", "/shuffle", seed=1)
    return k, k.host, k.as_("Co-teacher")


def _pairs(k, rng):
    """Round after round, two conflicting writes, one per host: (method, path, body) x2."""
    students = [pid for name, pid in k.students.items() if name.startswith("s")]
    while True:
        rooms = list(k.room_ids().values())
        who = rng.choice(students)
        a, b = rng.sample(rooms, 2)
        kind = rng.choice(["move", "shuffle", "rename", "add-delete", "move-shuffle"])
        if kind == "move":  # the same person to two different rooms
            yield (
                ("POST", "/assign", {"moves": [{"participant_id": who, "room_id": a}]}),
                ("POST", "/assign", {"moves": [{"participant_id": who, "room_id": b}]}),
            )
        elif kind == "shuffle":
            yield (
                ("POST", "/shuffle", {"seed": rng.randrange(10**6)}),
                ("POST", "/shuffle", {"seed": rng.randrange(10**6)}),
            )
        elif kind == "rename":
            n = rng.randrange(10**6)
            yield (
                ("PATCH", f"/rooms/{a}", {"title": f"Left {n}"}),
                ("PATCH", f"/rooms/{a}", {"title": f"Right {n}"}),
            )
        elif kind == "add-delete" and len(rooms) > 2:
            yield (
                ("DELETE", f"/rooms/{a}", {}),
                ("POST", "/assign", {"moves": [{"participant_id": who, "room_id": a}]}),
            )
        elif kind == "add-delete":
            yield (
                ("POST", "/rooms", {"count": 1}),
                ("POST", "/rooms", {"titles": ["Extra"]}),
            )
        else:
            yield (
                ("POST", "/assign", {"moves": [{"participant_id": who, "room_id": None}]}),
                ("POST", "/shuffle", {"seed": 5}),
            )


def _race_rounds(k, hosts, rounds, seed):
    rng = random.Random(seed)
    pairs = _pairs(k, rng)
    for _ in range(rounds):
        before = k.state()
        version = before["version"]
        first, second = next(pairs)
        responses = _at_once(
            *(
                (lambda c=c, w=w, v=version: k.write(w[0], w[1], client=c, version=v, **w[2]))
                for c, w in zip(hosts, (first, second), strict=True)
            )
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 409] or statuses == [201, 409], [r.text for r in responses]
        winner = next(r for r in responses if r.status_code != 409)
        loser = next(r for r in responses if r.status_code == 409)
        error = assert_error(loser, 409, "conflict")
        assert error["version"] == version + 1
        after = k.state()
        assert after["version"] == version + 1, "exactly one write per version"
        assert after == winner.json(), "the state is the winner's, untouched by the loser"
        invariants(after)


def test_two_hosts_same_version_draft_and_running(api):
    k, host, co = _class_with_two_hosts(api)
    _race_rounds(k, (host, co), ROUNDS // 2, seed=1)  # in draft
    v = k.state()["version"]
    responses = _at_once(  # both start the rooms: one start, one conflict
        lambda: k.write("POST", "/start", client=host, version=v),
        lambda: k.write("POST", "/start", client=co, version=v, duration=600),
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert k.state()["status"] == "running"
    _race_rounds(k, (co, host), ROUNDS // 2, seed=2)  # while running: people really move
    state = k.state()
    assert state["status"] == "running"
    rooms = {r["id"] for r in state["rooms"]}
    for p in state["participants"]:
        if p["room_id"] is not None:
            assert p["meeting_id"] == p["room_id"], p
        elif p["preset"] == "participant":
            assert p["meeting_id"] == k.id, p
        assert p["meeting_id"] in rooms | {k.id}

    v = state["version"]
    responses = _at_once(  # both close: one close, one conflict
        lambda: k.write("POST", "/close", client=host, version=v),
        lambda: k.write("POST", "/close", client=co, version=v, countdown=30),
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    state = k.state()
    assert state["version"] == v + 1
    if state["status"] == "closed":  # the host's close won
        assert {p["meeting_id"] for p in state["participants"]} == {k.id}
    else:  # the co-teacher's countdown won
        assert state["status"] == "running" and state["closes_at"] > time.time() + 20
    invariants(state)


def test_same_name_invited_twice_at_once(api):
    k = api.new_class()
    admin2 = api.client(api.admin_key)
    for i in range(ROUNDS):
        body = {"participants": [{"name": f"Twin {i}"}]}
        responses = _at_once(
            lambda body=body: api.admin.post(f"{k.base}/participants", json=body),
            lambda body=body: admin2.post(f"{k.base}/participants", json=body),
        )
        assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    names = [p["name"] for p in ok(api.admin.get(f"{k.base}/participants"))["participants"]]
    assert sorted(names) == sorted(["Ms. Rivera", *(f"Twin {i}" for i in range(ROUNDS))])


def test_switches_race_with_host_moves(api):
    """Students switching themselves while two hosts move them: one place each, always."""
    k = api.new_class()
    k.invite("Co-teacher", preset="host")
    roam = {"can_switch_connected_meetings": True, "can_switch_to_parent_meeting": True}
    ok(api.admin.post("/v1/presets", json={"name": "roamer", "permissions": roam}), 201)
    students = [f"r{i}" for i in range(4)]
    k.invite(*students, preset="roamer")
    k.do("POST", "/rooms", count=3)
    k.do("POST", "/start")
    rooms = list(k.room_ids().values())
    co = k.as_("Co-teacher")
    clients = {name: k.as_(name) for name in students}

    def student(name: str, seed: int) -> Callable[[], list[int]]:
        def run() -> list[int]:
            rng = random.Random(seed)
            return [
                clients[name]
                .post("/v1/me/switch", json={"meeting": rng.choice([*rooms, "main"])})
                .status_code
                for _ in range(8)
            ]

        return run

    def host(client: httpx.Client, seed: int) -> Callable[[], list[int]]:
        def run() -> list[int]:
            rng = random.Random(seed)
            codes = []
            for _ in range(6):
                who = k.students[rng.choice(students)]
                move = {"participant_id": who, "room_id": rng.choice([*rooms, None])}
                codes.append(k.write("POST", "/assign", client=client, moves=[move]).status_code)
            return codes

        return run

    calls = [student(n, i) for i, n in enumerate(students)] + [host(k.host, 10), host(co, 11)]
    results = _at_once(*calls)
    for codes in results:
        assert set(codes) <= {200, 409}, codes  # a race is a conflict, never an error
    assert any(200 in codes for codes in results[-2:])
    state = k.state()
    invariants(state)
    for name in students:
        me = ok(clients[name].get("/v1/me"))
        assert me["meeting"]["id"] in {*rooms, k.id}
        assert me["participant"]["meeting_id"] == me["meeting"]["id"]
