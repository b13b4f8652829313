"""Bad input gets a 4xx with the JSON error shape and changes nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from api_helpers import assert_error, ok

from breakout_widgets.service.store import Store, make_engine

LONG = "x" * 101
JSON = {"content-type": "application/json"}


@pytest.fixture
def klass(api):
    """A class with three students and a draft of three rooms, Ada assigned to Room 1."""
    k = api.new_class()
    k.invite("Ada", "Alan", "Grace")
    k.do("POST", "/rooms", count=3)
    room = k.room_ids()["Room 1"]
    k.do("POST", "/assign", moves=[{"participant_id": k.students["Ada"], "room_id": room}])
    return k


def _refused(k, response, status=422, code=None, before=None):
    """``response`` is an error of the right shape and the class is as it was."""
    error = assert_error(response, status, code)
    if before is not None:
        assert k.snapshot() == before
    return error


def _count_classes(backend) -> int:
    async def count() -> int:
        store = Store(make_engine(backend.db, schema=backend.schema))
        try:
            return await store.count_classes()
        finally:
            await store.close()

    return asyncio.run(count())


def test_oversized_and_bad_names(klass, backend):
    k = klass
    admin = k.api.admin
    before = k.snapshot()
    version = before["state"]["version"]
    classes = _count_classes(backend)
    room = k.room_ids()["Room 1"]
    base = f"{k.base}/breakout"

    for title, host in ((LONG, "Host"), ("Fine", LONG), ("  ", "Host"), ("a\x00b", "Host")):
        _refused(k, admin.post("/v1/meetings", json={"title": title, "host": host}), 422)
    assert _count_classes(backend) == classes, "a refused class leaves no class behind"
    assert ok(admin.post("/v1/meetings", json={"title": "x" * 100}), 201)["meeting"]["title"]
    assert _count_classes(backend) == classes + 1, "100 characters are fine"

    for names in ([LONG], ["Fine", LONG], [""], ["tab\tname"]):
        body = {"participants": [{"name": n} for n in names]}
        error = _refused(k, admin.post(f"{k.base}/participants", json=body), 422, before=before)
        assert error["code"] == "invalid_input"
    body = {"participants": [{"name": "New"}, {"name": "Ada"}]}
    _refused(k, admin.post(f"{k.base}/participants", json=body), 409, "conflict", before)
    body = {"participants": [{"name": "Twin"}, {"name": "Twin"}]}
    _refused(k, admin.post(f"{k.base}/participants", json=body), 409, "conflict", before)

    for titles in ([LONG], ["Fine", LONG], [" "], ["Room 2"], ["Same", "Same"]):
        response = k.host.post(f"{base}/rooms", json={"version": version, "titles": titles})
        status = 409 if titles in (["Room 2"], ["Same", "Same"]) else 422
        _refused(k, response, status, before=before)
    for title in (LONG, "", "Room 2"):
        response = k.host.patch(f"{base}/rooms/{room}", json={"version": version, "title": title})
        _refused(k, response, 409 if title == "Room 2" else 422, before=before)

    for name in (LONG, ""):
        response = admin.post("/v1/presets", json={"name": name, "permissions": {}})
        _refused(k, response, 422)
    response = admin.post("/v1/presets", json={"name": "p", "permissions": {"fly": True}})
    _refused(k, response, 422)
    response = admin.post("/v1/presets", json={"name": "host", "permissions": {}})
    _refused(k, response, 422)
    assert {p["name"] for p in ok(admin.get("/v1/presets"))["presets"]} == {"host", "participant"}


def test_text_that_is_not_unicode(klass):
    """A lone surrogate (``"\\ud800"``) is valid JSON but no text: 422, not a crash."""
    k = klass
    before = k.snapshot()
    v = before["state"]["version"]
    base = f"{k.base}/breakout"
    room = k.room_ids()["Room 1"]
    bad = [
        (k.api.admin, "POST", "/v1/meetings", b'{"title": "A\\ud800"}'),
        (k.api.admin, "POST", f"{k.base}/participants", b'{"participants": [{"name": "\\udfff"}]}'),
        (k.api.admin, "POST", "/v1/presets", b'{"name": "\\ud800", "permissions": {}}'),
        (k.api.admin, "POST", "/v1/presets", b'{"name": "p", "permissions": {"\\ud800": true}}'),
        (k.host, "POST", f"{base}/rooms", b'{"version": %d, "titles": ["\\ud800"]}' % v),
        (k.host, "PATCH", f"{base}/rooms/{room}", b'{"version": %d, "title": "\\ud800"}' % v),
        (k.host, "POST", f"{base}/shuffle", b'{"version": %d, "seed": "\\ud800"}' % v),
        (k.as_("Ada"), "POST", "/v1/me/switch", b'{"meeting": "\\ud800"}'),
    ]
    for client, method, path, raw in bad:
        response = client.request(method, path, content=raw, headers=JSON)
        _refused(k, response, 422, "invalid_input")
    assert k.snapshot() == before


def test_too_many_rooms_or_people(klass):
    k = klass
    before = k.snapshot()
    version = before["state"]["version"]
    base = f"{k.base}/breakout"
    for body in (
        {"count": 101},
        {"count": 98},  # 3 exist: 101 in all
        {"titles": [f"T{i}" for i in range(101)]},
        {"titles": [f"T{i}" for i in range(98)]},
        {"count": 0},
        {"titles": []},
        {"count": 1, "titles": ["Both"]},
        {},
    ):
        response = k.host.post(f"{base}/rooms", json={"version": version, **body})
        error = _refused(k, response, 422, "invalid_input", before)
        if body.get("count", 0) > 1 or len(body.get("titles", ())) > 1:
            assert "100" in error["message"]
    body = {"participants": [{"name": f"s{i}"} for i in range(5001)]}
    _refused(k, k.api.admin.post(f"{k.base}/participants", json=body), 422, before=before)
    state = k.do("POST", "/rooms", count=97)
    assert len(state["rooms"]) == 100, "exactly the limit is fine"


def test_unknown_ids(klass, api):
    k = klass
    admin = api.admin
    before = k.snapshot()
    version = before["state"]["version"]
    base = f"{k.base}/breakout"
    room = k.room_ids()["Room 1"]
    ada = k.students["Ada"]
    nobody = "p_0000000000000000"
    nowhere = "m_0000000000000000"

    def refuse(response):
        _refused(k, response, 404, "not_found", before)

    refuse(k.host.patch(f"{base}/rooms/{nowhere}", json={"version": version, "title": "X"}))
    refuse(k.host.delete(f"{base}/rooms/{nowhere}", params={"version": version}))
    refuse(k.host.delete(f"{base}/rooms/{k.id}", params={"version": version}))  # main ≠ a room
    for moves in (
        [{"participant_id": nobody, "room_id": room}],
        [{"participant_id": ada, "room_id": nowhere}],
        [{"participant_id": ada, "room_id": None}, {"participant_id": nobody, "room_id": None}],
        [{"participant_id": ada, "room_id": room}, {"participant_id": nobody, "room_id": room}],
    ):
        refuse(k.host.post(f"{base}/assign", json={"version": version, "moves": moves}))
    body = {"participants": [{"name": "Newbie", "preset": "no-such-preset"}]}
    refuse(admin.post(f"{k.base}/participants", json=body))

    # An unknown class, with the admin key (a participant token would be refused first).
    gone = f"/v1/meetings/{nowhere}"
    refuse(admin.get(f"{gone}/breakout"))
    refuse(admin.get(f"{gone}/participants"))
    refuse(admin.get(f"{gone}/rooms"))
    refuse(admin.get(gone))
    refuse(admin.post(f"{gone}/participants", json={"participants": [{"name": "X"}]}))
    refuse(admin.post(f"{gone}/breakout/rooms", json={"version": 0, "count": 1}))
    refuse(admin.post(f"{gone}/breakout/start", json={"version": 0}))

    # Switching into an unknown room while the rooms run.
    k.do("POST", "/start")
    before = k.snapshot()
    refuse(k.as_("Ada").post("/v1/me/switch", json={"meeting": nowhere}))
    refuse(k.host.post("/v1/me/switch", json={"meeting": nowhere}))

    # An unknown path is a 404 of the same shape.
    _refused(k, admin.get("/v1/no-such-thing"), 404, "not_found")
    _refused(k, admin.put(f"{base}/start", json={}), 405)


def test_malformed_json_wrong_types_and_extra_fields(klass):
    k = klass
    host = k.host
    before = k.snapshot()
    v = before["state"]["version"]
    base = f"{k.base}/breakout"
    room = k.room_ids()["Room 1"]
    ada = k.students["Ada"]

    for path in ("/rooms", "/shuffle", "/assign", "/start", "/close", "/recreate"):
        for raw in (b"{bad", b"", b"[]", b"null", b'"text"', b'{"version": 1,}'):
            response = host.post(f"{base}{path}", content=raw, headers=JSON)
            _refused(k, response, 422, "invalid_input")
    _refused(k, host.patch(f"{base}/rooms/{room}", content=b"{bad", headers=JSON), 422)
    _refused(k, k.api.admin.post("/v1/meetings", content=b"{bad", headers=JSON), 422)
    _refused(k, k.api.admin.post(f"{k.base}/participants", content=b"{bad", headers=JSON), 422)
    _refused(k, k.as_("Ada").post("/v1/me/switch", content=b"{bad", headers=JSON), 422)
    _refused(k, k.as_("Ada").patch("/v1/me/media", content=b"{bad", headers=JSON), 422)
    assert k.snapshot() == before

    wrong = [
        ("POST", "/rooms", {"version": v, "count": "three"}),
        ("POST", "/rooms", {"version": v, "count": 1.5}),
        ("POST", "/rooms", {"version": "latest", "count": 1}),
        ("POST", "/rooms", {"version": None, "count": 1}),
        ("POST", "/rooms", {"count": 1}),  # no version
        ("POST", "/rooms", {"version": v, "titles": "Room A"}),
        ("POST", "/rooms", {"version": v, "titles": [1, 2]}),
        ("POST", "/rooms", {"version": v, "titles": [None]}),
        ("PATCH", f"/rooms/{room}", {"version": v, "title": 5}),
        ("PATCH", f"/rooms/{room}", {"version": v}),
        ("POST", "/shuffle", {"version": v, "seed": [1]}),
        ("POST", "/shuffle", {"version": v, "seed": 1.5}),
        ("POST", "/assign", {"version": v, "moves": "all"}),
        ("POST", "/assign", {"version": v, "moves": [{"room_id": room}]}),
        ("POST", "/assign", {"version": v, "moves": [{"participant_id": 7, "room_id": room}]}),
        ("POST", "/assign", {"version": v, "moves": [{"participant_id": ada, "room_id": 7}]}),
        ("POST", "/assign", {"version": v, "moves": [ada]}),
        ("POST", "/start", {"version": v, "duration": "long"}),
        ("POST", "/start", {"version": v, "duration": -5}),
        ("POST", "/start", {"version": v, "duration": 0}),
        ("POST", "/start", {"version": v, "duration": 10**9}),
        ("POST", "/start", {"version": v, "warning": -1}),
        ("POST", "/start", {"version": v, "duration": True}),
        # and extra fields
        ("POST", "/rooms", {"version": v, "count": 1, "colour": "red"}),
        ("PATCH", f"/rooms/{room}", {"version": v, "title": "X", "position": 9}),
        ("POST", "/shuffle", {"version": v, "seed": 1, "rooms": 2}),
        ("POST", "/assign", {"version": v, "moves": [], "force": True}),
        ("POST", "/assign", {"version": v, "moves": [{"participant_id": ada, "x": 1}]}),
        ("POST", "/start", {"version": v, "duration": 60, "auto": True}),
    ]
    for method, path, body in wrong:
        response = host.request(method, f"{base}{path}", json=body)
        error = _refused(k, response, 422, "invalid_input")
        assert error["message"], (method, path, body)
    for params in ({"version": "abc"}, {}, {"version": "1.5"}):
        response = host.delete(f"{base}/rooms/{room}", params=params)
        _refused(k, response, 422, "invalid_input")
    # NaN and infinity are not JSON, and never a duration.
    for raw in (b'{"version": %d, "duration": NaN}', b'{"version": %d, "duration": Infinity}'):
        response = host.post(f"{base}/start", content=raw % v, headers=JSON)
        _refused(k, response, 422, "invalid_input")
    assert k.snapshot() == before

    admin = k.api.admin
    other = [
        ("/v1/meetings", {"title": 5}),
        ("/v1/meetings", {"title": "T", "host": ["H"]}),
        ("/v1/meetings", {"title": "T", "teacher": "H"}),
        ("/v1/meetings", {}),
        (f"{k.base}/participants", {"participants": "Ada"}),
        (f"{k.base}/participants", {"participants": []}),
        (f"{k.base}/participants", {"participants": [{"name": "N", "email": "n@x"}]}),
        (f"{k.base}/participants", {"participants": [{"name": 5}]}),
        ("/v1/presets", {"name": "p", "permissions": {"chat.send": "yes please"}}),
        ("/v1/presets", {"name": "p", "permissions": []}),
        ("/v1/presets", {"name": "p", "permissions": {}, "builtin": True}),
    ]
    for path, body in other:
        _refused(k, admin.post(path, json=body), 422, "invalid_input")
    ada_client = k.as_("Ada")
    for body in ({"meeting": 5}, {}, {"meeting": "main", "force": True}):
        _refused(k, ada_client.post("/v1/me/switch", json=body), 422, "invalid_input")
    for body in ({"mic": "maybe"}, {"mic": True, "speaker": True}, {"camera": [True]}):
        _refused(k, ada_client.patch("/v1/me/media", json=body), 422, "invalid_input")
    assert k.snapshot() == before
    assert {p["name"] for p in ok(admin.get("/v1/presets"))["presets"]} == {"host", "participant"}


def test_body_over_two_megabytes_gets_413(klass):
    k = klass
    before = k.snapshot()
    v = before["state"]["version"]
    big = {"version": v, "titles": ["x" * 1000] * 2200}  # ~2.2 MB of valid JSON
    response = k.host.post(f"{k.base}/breakout/rooms", json=big)
    _refused(k, response, 413, before=before)
    names = {"participants": [{"name": f"student {i:07d}" + " " * 80} for i in range(25_000)]}
    response = k.api.admin.post(f"{k.base}/participants", json=names)
    _refused(k, response, 413, before=before)
    raw = b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    _refused(k, k.api.admin.post("/v1/meetings", content=raw, headers=JSON), 413)

    # The same without a Content-Length (chunked): the limit still holds.
    def chunks():
        yield b'{"version": %d, "titles": [' % v
        for i in range(2200):
            yield (b"," if i else b"") + b'"' + b"y" * 1000 + b'"'
        yield b"]}"

    response = k.host.post(f"{k.base}/breakout/rooms", content=chunks(), headers=JSON)
    assert "content-length" not in response.request.headers
    _refused(k, response, 413, before=before)

    # A body just under the limit is read and judged on its content.
    fits = {"version": v, "titles": ["x" * 1000] * 2000}
    _refused(k, k.host.post(f"{k.base}/breakout/rooms", json=fits), 422, before=before)
