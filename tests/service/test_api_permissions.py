"""Every permission is checked by the service, over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from api_helpers import assert_error, ok


@pytest.fixture
def klass(api):
    """A class with a host, Ada and Alan, and two rooms: Ada in Room 1, Alan in Room 2."""
    k = api.new_class()
    k.invite("Ada", "Alan")
    k.do("POST", "/rooms", count=2)
    rooms = k.room_ids()
    k.do(
        "POST",
        "/assign",
        moves=[
            {"participant_id": k.students["Ada"], "room_id": rooms["Room 1"]},
            {"participant_id": k.students["Alan"], "room_id": rooms["Room 2"]},
        ],
    )
    return k


def _host_actions(k):
    """Every breakout write a host may do, as (method, path, body)."""
    rooms = k.room_ids()
    # after a close there are no live rooms: aim at the closed record instead
    room = rooms.get("Room 1") or ok(k.api.admin.get(f"{k.base}/rooms"))["rooms"][0]["id"]
    move = {"participant_id": k.students["Alan"], "room_id": room}
    return [
        ("POST", "/rooms", {"count": 1}),
        ("POST", "/rooms", {"titles": ["Mine"]}),
        ("PATCH", f"/rooms/{room}", {"title": "Mine"}),
        ("DELETE", f"/rooms/{room}", {}),
        ("POST", "/shuffle", {"seed": 1}),
        ("POST", "/assign", {"moves": [move]}),
        ("POST", "/assign", {"moves": [{"participant_id": k.students["Ada"], "room_id": None}]}),
        ("POST", "/start", {"duration": 60}),
        ("POST", "/close", {}),
        ("POST", "/close", {"countdown": 5}),
        ("POST", "/recreate", {}),
    ]


def _all_refused(k, client, status, code):
    before = k.snapshot()
    for method, path, body in _host_actions(k):
        response = k.write(method, path, client=client, version=before["state"]["version"], **body)
        assert_error(response, status, code)
    assert k.snapshot() == before


def test_participant_cannot_run_the_breakout(klass):
    k = klass
    ada = k.as_("Ada")
    _all_refused(k, ada, 403, "forbidden")  # in draft
    k.do("POST", "/start")
    _all_refused(k, ada, 403, "forbidden")  # while running
    k.do("POST", "/close")
    _all_refused(k, ada, 403, "forbidden")  # after closing (recreate is possible now)
    assert_error(ada.get(f"{k.base}/rooms"), 403, "forbidden")
    # … and may still read the state of their own class.
    assert ok(ada.get(f"{k.base}/breakout"))["meeting_id"] == k.id

    # A custom preset that may switch rooms but not alter them cannot run the breakout.
    preset = {"name": "helper", "permissions": {"can_switch_connected_meetings": True}}
    ok(k.api.admin.post("/v1/presets", json=preset), 201)
    k.invite("Helper", preset="helper")
    _all_refused(k, k.as_("Helper"), 403, "forbidden")


def test_admin_key_is_needed_to_invite_and_make_presets(klass):
    k = klass
    for client in (k.as_("Ada"), k.host):  # even the host's token is not the admin key
        before = k.snapshot()
        invite = {"participants": [{"name": "Mallory"}]}
        assert_error(client.post(f"{k.base}/participants", json=invite), 403, "forbidden")
        assert_error(
            client.post(
                f"{k.base}/participants", json={"participants": [{"name": "M", "preset": "host"}]}
            ),
            403,
            "forbidden",
        )
        presets_before = ok(k.api.admin.get("/v1/presets"))
        flags = {"can_alter_connected_meetings": True}
        response = client.post("/v1/presets", json={"name": "root", "permissions": flags})
        assert_error(response, 403, "forbidden")
        assert_error(client.get("/v1/presets"), 403, "forbidden")
        assert_error(client.post("/v1/meetings", json={"title": "Mine"}), 403, "forbidden")
        assert ok(k.api.admin.get("/v1/presets")) == presets_before
        assert k.snapshot() == before


def test_participant_may_return_to_main_but_not_enter_other_rooms(klass):
    k = klass
    rooms = k.room_ids()
    ada = k.as_("Ada")
    # Before the start there is nowhere to go.
    error = assert_error(ada.post("/v1/me/switch", json={"meeting": rooms["Room 1"]}), 422)
    assert "not running" in error["message"]

    k.do("POST", "/start")
    assert ok(ada.get("/v1/me"))["meeting"]["id"] == rooms["Room 1"]
    me = ok(ada.post("/v1/me/switch", json={"meeting": "main"}))
    assert me["meeting"]["id"] == k.id and me["meeting"]["kind"] == "main"
    me = ok(ada.post("/v1/me/switch", json={"meeting": rooms["Room 1"]}))
    assert me["meeting"]["id"] == rooms["Room 1"], "one's own room is always allowed"

    before = k.snapshot()
    error = assert_error(ada.post("/v1/me/switch", json={"meeting": rooms["Room 2"]}), 403)
    assert "participant" in error["message"]
    assert k.snapshot() == before
    assert ok(ada.get("/v1/me"))["meeting"]["id"] == rooms["Room 1"]
    ok(ada.post("/v1/me/switch", json={"meeting": "main"}))
    before = k.snapshot()
    assert_error(ada.post("/v1/me/switch", json={"meeting": rooms["Room 2"]}), 403, "forbidden")
    assert k.snapshot() == before
    assert ok(ada.get("/v1/me"))["meeting"]["id"] == k.id

    # An unassigned participant may enter no room at all.
    k.invite("Linus")
    linus = k.as_("Linus")
    assert_error(linus.post("/v1/me/switch", json={"meeting": rooms["Room 1"]}), 403, "forbidden")
    me = ok(linus.get("/v1/me"))
    assert me["meeting"]["id"] == k.id
    assert me["permissions"]["can_switch_connected_meetings"] is False
    assert me["permissions"]["can_switch_to_parent_meeting"] is True


def test_custom_presets_decide_switching(klass):
    k = klass
    admin = k.api.admin
    roamer = {
        "name": "roamer",
        "permissions": {
            "can_switch_connected_meetings": True,
            "can_switch_to_parent_meeting": True,
        },
    }
    saved = ok(admin.post("/v1/presets", json=roamer), 201)
    assert saved["permissions"]["can_switch_connected_meetings"] is True
    assert saved["permissions"]["can_alter_connected_meetings"] is False
    stay = {"name": "stay", "permissions": {"can_switch_to_parent_meeting": False}}
    ok(admin.post("/v1/presets", json=stay), 201)
    names = {p["name"] for p in ok(admin.get("/v1/presets"))["presets"]}
    assert {"host", "participant", "roamer", "stay"} <= names

    k.invite("Rita", preset="roamer")
    k.invite("Stan", preset="stay")
    rooms = k.room_ids()
    k.do(
        "POST",
        "/assign",
        moves=[
            {"participant_id": k.students["Rita"], "room_id": rooms["Room 1"]},
            {"participant_id": k.students["Stan"], "room_id": rooms["Room 1"]},
        ],
    )
    k.do("POST", "/start")

    rita = k.as_("Rita")
    for target in (rooms["Room 2"], "main", rooms["Room 1"], rooms["Room 2"]):
        me = ok(rita.post("/v1/me/switch", json={"meeting": target}))
        assert me["meeting"]["id"] == (k.id if target == "main" else target)

    stan = k.as_("Stan")
    before = k.snapshot()
    assert_error(stan.post("/v1/me/switch", json={"meeting": "main"}), 403, "forbidden")
    assert_error(stan.post("/v1/me/switch", json={"meeting": rooms["Room 2"]}), 403, "forbidden")
    assert ok(stan.get("/v1/me"))["meeting"]["id"] == rooms["Room 1"]
    assert k.snapshot() == before

    # Redefining a preset takes effect for the people who have it.
    roamer["permissions"]["can_switch_connected_meetings"] = False
    ok(admin.post("/v1/presets", json=roamer), 201)
    ok(rita.post("/v1/me/switch", json={"meeting": "main"}))
    assert_error(rita.post("/v1/me/switch", json={"meeting": rooms["Room 2"]}), 403, "forbidden")
    ok(rita.post("/v1/me/switch", json={"meeting": rooms["Room 1"]}))  # her own room


def test_host_enters_any_room(klass):
    k = klass
    k.do("POST", "/start")
    rooms = k.room_ids()
    for target in (rooms["Room 1"], rooms["Room 2"], "main", rooms["Room 2"]):
        me = ok(k.host.post("/v1/me/switch", json={"meeting": target}))
        assert me["meeting"]["id"] == (k.id if target == "main" else target)
    state = k.state()
    assert k.where(state)["Ms. Rivera"] == rooms["Room 2"]
    assert k.where(state)["Alan"] == rooms["Room 2"]
    host = next(p for p in state["participants"] if p["name"] == "Ms. Rivera")
    assert host["room_id"] is None, "visiting a room is not an assignment"


def test_token_of_another_class_is_refused(klass, api):
    k = klass
    other = api.new_class(title="Biology", host="Mr. Darwin")
    other.invite("Charles")
    other.do("POST", "/rooms", count=1)
    other.do("POST", "/start")
    k.do("POST", "/start")
    rooms = k.room_ids()
    before = k.snapshot()
    for client in (other.host, other.as_("Charles")):
        assert_error(client.get(f"{k.base}/breakout"), 403, "forbidden")
        assert_error(client.get(f"{k.base}/participants"), 403, "forbidden")
        assert_error(client.get(f"{k.base}/rooms"), 403, "forbidden")
        assert_error(client.get(k.base), 403, "forbidden")
        assert_error(client.get(f"/v1/meetings/{rooms['Room 1']}"), 403, "forbidden")
    for method, path, body in _host_actions(k):
        response = k.write(
            method, path, client=other.host, version=before["state"]["version"], **body
        )
        assert_error(response, 403, "forbidden")
    # A room of another class is not a room of one's own class.
    response = other.host.post("/v1/me/switch", json={"meeting": rooms["Room 1"]})
    assert_error(response, 404, "not_found")
    assert k.snapshot() == before
    assert ok(other.host.get("/v1/me"))["meeting"]["id"] == other.id


BAD_AUTH = [
    {},
    {"Authorization": "Bearer not-a-token"},
    {"Authorization": "Bearer"},
    {"Authorization": "Basic YWRtaW46YWRtaW4="},
    {"Authorization": "bw_whatever"},
]


def test_no_or_unknown_token_gets_401(klass, api):
    k = klass
    before = k.snapshot()
    version = before["state"]["version"]
    c = api.anonymous
    for headers in BAD_AUTH:
        h = {"headers": headers}
        requests = [
            c.get("/v1/me", **h),
            c.get(f"{k.base}/breakout", **h),
            c.get(f"{k.base}/participants", **h),
            c.get("/v1/presets", **h),
            c.post("/v1/meetings", json={"title": "X"}, **h),
            c.post(f"{k.base}/participants", json={"participants": [{"name": "X"}]}, **h),
            c.post(f"{k.base}/breakout/rooms", json={"version": version, "count": 1}, **h),
            c.post(f"{k.base}/breakout/start", json={"version": version}, **h),
            c.post("/v1/me/switch", json={"meeting": "main"}, **h),
            c.patch("/v1/me/media", json={"mic": True}, **h),
        ]
        for response in requests:
            assert_error(response, 401, "unauthorized")
            assert response.headers["www-authenticate"] == "Bearer"
    # The admin key is valid but no participant: /me is forbidden, not unauthorized.
    assert_error(k.api.admin.get("/v1/me"), 403, "forbidden")
    assert_error(k.api.admin.post("/v1/me/switch", json={"meeting": "main"}), 403, "forbidden")
    assert k.snapshot() == before
