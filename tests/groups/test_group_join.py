"""Joining over HTTP: the answer, names, apps and their maxes, and the shard invariants
(lowest shard with room, never over max, nobody twice, empty shards gone) under
hundreds of joins at the same moment."""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import time

import pytest
from group_helpers import bearer, expect

NAME = "https://example.org/articles/42"


async def test_the_join_answer(api):
    answer = await api.join(NAME, "Ada", icon="https://example.org/favicon.ico")
    group, user = answer["group"], answer["user"]
    assert set(group) == {"guid", "name", "icon", "type", "max", "createdAt", "updatedAt"}
    assert set(user) == {"uid", "name", "avatar", "status", "role", "authToken", "createdAt"}
    assert group["guid"].startswith("g_") and group["name"] == NAME
    assert (group["type"], group["max"], group["icon"]) == (
        "public",
        1000,
        "https://example.org/favicon.ico",
    )
    assert (user["name"], user["status"], user["role"], user["avatar"]) == (
        "Ada",
        "online",
        "default",
        None,
    )
    assert user["uid"].startswith("u_") and user["authToken"].startswith("bwg_")
    assert group["createdAt"] <= group["updatedAt"] <= time.time()
    second = await api.join(NAME, "Grace")
    assert second["group"]["guid"] == group["guid"]
    assert second["user"]["uid"] != user["uid"]
    assert second["user"]["authToken"] != user["authToken"]
    shard = expect(
        await api.http.get(f"/v1/groups/{group['guid']}", headers=bearer(user["authToken"]))
    )
    assert (shard["online"], shard["number"], shard["name"]) == (2, 1, NAME)


async def test_a_user_without_a_name_is_anonymous_and_a_group_without_one_is_refused(api):
    anonymous = expect(
        await api.http.post(
            "/v1/groups/join", json={"group": {"name": NAME}}, headers=bearer(api.admin_key)
        )
    )
    assert anonymous["user"]["name"] == "Anonymous"
    for body in ({}, {"group": {}}, {"group": {"name": " "}}, {"user": {"name": "Ada"}}):
        response = await api.http.post("/v1/groups/join", json=body, headers=bearer(api.admin_key))
        error = expect(response, 422)["error"]
        assert error["code"] == "invalid_input"
        assert "the group needs a name" in error["message"]
        assert "page URL" in error["message"]
    no_key = await api.http.post("/v1/groups/join", json={"group": {"name": NAME}})
    assert expect(no_key, 401)["error"]["code"] == "unauthorized"
    wrong = await api.http.post(
        "/v1/groups/join", json={"group": {"name": NAME}}, headers=bearer("nope")
    )
    assert wrong.status_code == 401
    member_key = await api.http.post(
        "/v1/groups/join",
        json={"group": {"name": NAME}},
        headers=bearer(anonymous["user"]["authToken"]),
    )
    assert expect(member_key, 403)["error"]["code"] == "forbidden"


async def _set_max(api, name: str, value: int, *, app_id: str = "default", key: str = ""):
    from urllib.parse import quote

    return await api.http.put(
        f"/v1/apps/{app_id}/groups/{quote(name, safe='')}",
        json={"max": value},
        headers=bearer(key or api.admin_key),
    )


async def test_sharding_with_max_3(api):
    assert expect(await _set_max(api, NAME, 3)) == {"app_id": "default", "name": NAME, "max": 3}
    members = [await api.join(NAME, f"p{i}") for i in range(7)]
    assert [m["group"]["max"] for m in members] == [3] * 7
    assert await api.layout(NAME) == {
        1: sorted(m["user"]["uid"] for m in members[0:3]),
        2: sorted(m["user"]["uid"] for m in members[3:6]),
        3: [members[6]["user"]["uid"]],
    }
    # A freed place is the next join's, lowest shard first.
    expect(await api.leave(members[4]), 204)
    refill = await api.join(NAME, "refill")
    assert refill["group"]["guid"] == members[3]["group"]["guid"]
    # An emptied shard disappears; its number is the next new shard's.
    for m in members[0:3]:
        expect(await api.leave(m), 204)
    assert [s["number"] for s in await api.shards(NAME)] == [2, 3]
    gone = members[0]["group"]["guid"]
    assert (
        await api.http.get(f"/v1/groups/{gone}", headers=bearer(api.admin_key))
    ).status_code == 404
    first = await api.join(NAME, "x")
    assert first["group"]["guid"] == members[6]["group"]["guid"]  # shard 3 had room
    await api.join(NAME, "y")  # fills shard 3
    renewed = await api.join(NAME, "z")
    assert renewed["group"]["guid"] not in {m["group"]["guid"] for m in members}
    assert [s["number"] for s in await api.shards(NAME)] == [1, 2, 3]
    assert {s["number"]: s["members"] for s in await api.shards(NAME)} == {1: 1, 2: 3, 3: 3}
    # A member who left cannot act any more.
    left = await api.send(members[0], "still here?")
    assert left.status_code == 401


async def test_max_per_app_and_per_name_and_apps_never_mix(api):
    made = await api.http.post(
        "/v1/apps", json={"name": "bench", "max": 2}, headers=bearer(api.admin_key)
    )
    app = expect(made, 201)
    assert set(app) == {"app_id", "app_key", "name", "max"} and app["max"] == 2
    key = app["app_key"]
    # only the admin key makes apps
    refused = await api.http.post("/v1/apps", json={"name": "x"}, headers=bearer(key))
    assert refused.status_code == 403
    in_app = [await api.join(NAME, f"a{i}", key=key) for i in range(3)]
    in_default = [await api.join(NAME, f"d{i}") for i in range(3)]
    assert [m["group"]["max"] for m in in_app] == [2, 2, 2]
    assert [m["group"]["max"] for m in in_default] == [1000] * 3
    app_guids = {m["group"]["guid"] for m in in_app}
    default_guids = {m["group"]["guid"] for m in in_default}
    assert len(app_guids) == 2 and len(default_guids) == 1 and not app_guids & default_guids
    assert [s["members"] for s in await api.shards(NAME, key=key)] == [2, 1]
    assert [s["members"] for s in await api.shards(NAME)] == [3]
    # One app does not see another's shards.
    other = in_default[0]["group"]["guid"]
    assert (await api.http.get(f"/v1/groups/{other}", headers=bearer(key))).status_code == 404
    assert (
        await api.http.get(f"/v1/groups/{other}/members", headers=bearer(key))
    ).status_code == 404
    # Per name: the app's own key may set it; another app's key may not.
    assert expect(await _set_max(api, "small", 1, app_id=app["app_id"], key=key))["max"] == 1
    assert (await _set_max(api, "small", 5, app_id="default", key=key)).status_code == 403
    assert (await _set_max(api, "small", 0, app_id=app["app_id"], key=key)).status_code == 422
    assert (await _set_max(api, "small", 5, app_id="app_nope")).status_code == 404
    small = [await api.join("small", f"s{i}", key=key) for i in range(2)]
    assert [m["group"]["max"] for m in small] == [1, 1]
    assert small[0]["group"]["guid"] != small[1]["group"]["guid"]
    assert [m["group"]["max"] for m in [await api.join("small", "t")]] == [1000]  # default app


@pytest.mark.parametrize("max_size", [7])
async def test_300_joins_at_the_same_moment(api, max_size):
    expect(await _set_max(api, NAME, max_size))
    total = 300
    start = time.perf_counter()
    answers = await asyncio.gather(*(api.join(NAME, f"p{i}") for i in range(total)))
    elapsed = time.perf_counter() - start
    print(f"\n{total} concurrent joins in {elapsed:.2f} s: {total / elapsed:.0f} joins/s")
    layout = await api.layout(NAME)
    _check_full_lowest_first(layout, total, max_size)
    by_uid = {a["user"]["uid"]: a["group"]["guid"] for a in answers}
    shard_of = {uid: n for n, uids in layout.items() for uid in uids}
    assert set(by_uid) == set(shard_of)  # every join seated, nobody else
    guid_of = {s["number"]: s["guid"] for s in await api.shards(NAME)}
    assert all(guid_of[shard_of[uid]] == guid for uid, guid in by_uid.items())
    # Leaves and joins at the same moment: the freed places are taken, lowest first.
    leaving = random.Random(7).sample(answers, 50)
    results = await asyncio.gather(
        *(api.leave(m) for m in leaving), *(api.join(NAME, f"q{i}") for i in range(50))
    )
    assert [r.status_code for r in results[:50]] == [204] * 50
    late = await asyncio.gather(*(api.join(NAME, f"r{i}") for i in range(20)))
    layout = await api.layout(NAME)
    everyone = [uid for uids in layout.values() for uid in uids]
    assert len(everyone) == len(set(everyone)) == total + 20
    assert all(len(uids) <= max_size for uids in layout.values())
    assert not {m["user"]["uid"] for m in leaving} & set(everyone)
    # Whatever the interleaving, the 20 joins after it all found the lowest places free
    # then; with the shards refilled, the layout is again full from shard 1 up.
    assert {a["user"]["uid"] for a in late} <= set(everyone)
    assert max(layout) <= math.ceil((total + 50) / max_size)
    # Once it is quiet, each join takes the lowest shard with room.
    for i in range(max_size + 1):
        with_room = [n for n, uids in layout.items() if len(uids) < max_size]
        new_number = next(n for n in itertools.count(1) if n not in layout)
        expected = min(with_room) if with_room else new_number
        uid = (await api.join(NAME, f"s{i}"))["user"]["uid"]
        layout = await api.layout(NAME)
        assert uid in layout[expected]


def _check_full_lowest_first(layout: dict[int, list[str]], total: int, max_size: int) -> None:
    shards = math.ceil(total / max_size)
    assert sorted(layout) == list(range(1, shards + 1))
    assert all(len(layout[n]) == max_size for n in range(1, shards))
    assert len(layout[shards]) == total - (shards - 1) * max_size
    everyone = [uid for uids in layout.values() for uid in uids]
    assert len(everyone) == len(set(everyone)) == total
