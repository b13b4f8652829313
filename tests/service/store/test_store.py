"""The store on SQLite and on PostgreSQL: atomic changes, numbered events, versions, schema."""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from breakout_widgets.errors import Conflict, InvalidInput
from breakout_widgets.service.domain import breakout as ops
from breakout_widgets.service.domain.limits import Limits
from breakout_widgets.service.domain.permissions import BUILTIN_PRESETS
from breakout_widgets.service.domain.state import ClassState, Event
from breakout_widgets.service.store import Store, make_engine
from breakout_widgets.service.store import tables as t
from breakout_widgets.service.store.store import MIGRATIONS

LIMITS = Limits()
CLASS = "m_class"
_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    return f"{prefix}_{next(_ids)}"


def head_revision() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


@pytest.fixture
async def store(backend) -> AsyncIterator[Store]:
    store = Store(make_engine(backend.db, schema=backend.schema))
    try:
        await store.migrate()
        yield store
    finally:
        await store.close()


def invite(*names: str):
    """An operation adding participants, each with a distinct token hash."""

    def operation(state: ClassState) -> tuple[list[Any], list[Event]]:
        people, events = ops.invite(
            state, [(n, BUILTIN_PRESETS["participant"]) for n in names], LIMITS, new_id
        )
        for p in people:
            p.token_hash = f"hash-{p.id}"
        return people, events

    return operation


async def snapshot(store: Store, class_id: str = CLASS) -> dict[str, Any]:
    """Everything a class has in the database: its state and every meeting's events."""
    state = await store.load(class_id)
    meetings = [class_id, *(r["id"] for r in await store.rooms_of_class(class_id))]
    async with store.engine.connect() as conn:
        draft_rooms = (
            await conn.execute(
                select(func.count()).select_from(t.meetings).where(t.meetings.c.kind == "room")
            )
        ).scalar_one()
        breakouts = (await conn.execute(select(func.count()).select_from(t.breakouts))).scalar_one()
    return {
        "state": state.to_json(),
        "last_assignment": state.last_assignment,
        "rooms_in_db": draft_rooms,
        "breakouts_in_db": breakouts,
        "events": {m: [e.to_json() for e in await store.events(m)] for m in meetings},
        "meetings": [await store.meeting(m) for m in meetings],
    }


async def make_class(store: Store, *names: str) -> ClassState:
    await store.create_class(CLASS, "Algebra 1", now=1.0)
    if names:
        await store.mutate(CLASS, invite(*names))
    return await store.load(CLASS)


# -- atomicity -------------------------------------------------------------------------------


async def test_an_operation_that_raises_changes_nothing(store):
    await make_class(store, "Ada", "Grace")
    before = await snapshot(store)

    def half_done(state: ClassState) -> list[Event]:
        rooms, events = ops.create_rooms(state, ["Team A", "Team B"], LIMITS, new_id)
        events += ops.assign(state, {rooms[0].id: list(state.people)})
        state.title = "changed"
        raise InvalidInput("refused after changing the state in memory")

    with pytest.raises(InvalidInput, match="refused after"):
        await store.mutate(CLASS, half_done)
    assert await snapshot(store) == before


async def test_a_write_that_fails_half_way_is_rolled_back(store):
    """Rooms and a breakout are written first, then a participant row breaks a constraint."""
    await make_class(store, "Ada")
    before = await snapshot(store)
    taken = next(iter((await store.load(CLASS)).people.values())).token_hash

    def clashing(state: ClassState) -> list[Event]:
        rooms, events = ops.create_rooms(state, ["Team A"], LIMITS, new_id)
        events += ops.assign(state, {rooms[0].id: list(state.people)})
        people, more = ops.invite(
            state, [("Grace", BUILTIN_PRESETS["participant"])], LIMITS, new_id
        )
        people[0].token_hash = taken  # the unique index refuses this row
        return events + more

    with pytest.raises(Exception) as err:
        await store.mutate(CLASS, clashing)
    assert "unique" in str(err.value).lower()
    assert await snapshot(store) == before
    # and the store is still usable afterwards
    await store.mutate(CLASS, invite("Grace"))
    assert sorted(p.name for p in (await store.load(CLASS)).people.values()) == ["Ada", "Grace"]


# -- events ----------------------------------------------------------------------------------


async def test_events_are_numbered_per_meeting(store):
    await make_class(store)

    def three(state: ClassState) -> list[Event]:
        return [Event(state.id, "note", {"n": n}) for n in range(3)]

    _, _, stored = await store.mutate(CLASS, three)
    assert [(e.meeting_id, e.seq) for e in stored] == [(CLASS, 1), (CLASS, 2), (CLASS, 3)]

    def rooms(state: ClassState) -> tuple[list[Any], list[Event]]:
        return ops.create_rooms(state, ["Team A", "Team B"], LIMITS, new_id)

    _, (room_a, room_b), stored = await store.mutate(CLASS, rooms)
    assert [e.seq for e in stored] == [4]

    def mixed(state: ClassState) -> list[Event]:
        return [
            Event(room_a.id, "note", {"n": 0}),
            Event(state.id, "note", {"n": 4}),
            Event(room_a.id, "note", {"n": 1}),
            Event(room_b.id, "note", {"n": 0}),
        ]

    _, _, stored = await store.mutate(CLASS, mixed)
    assert [(e.meeting_id, e.seq) for e in stored] == [
        (room_a.id, 1),
        (CLASS, 5),
        (room_a.id, 2),
        (room_b.id, 1),
    ]
    assert [e.seq for e in await store.events(CLASS)] == [1, 2, 3, 4, 5]
    assert [e.seq for e in await store.events(room_a.id)] == [1, 2]
    assert [e.seq for e in await store.events(room_b.id)] == [1]
    assert [e.data for e in await store.events(CLASS, after=3)] == [
        {"action": "create_rooms", "rooms": [room_a.id, room_b.id]},
        {"n": 4},
    ]
    assert (await store.meeting(CLASS))["last_seq"] == 5
    assert (await store.meeting(room_a.id))["last_seq"] == 2


async def test_an_operation_without_events_writes_none_and_keeps_the_version(store):
    state = await make_class(store)
    _, _, stored = await store.mutate(CLASS, lambda s: [])
    assert stored == []
    assert (await store.load(CLASS)).version == state.version
    assert await store.events(CLASS) == []


# -- versions --------------------------------------------------------------------------------


async def test_a_stale_version_is_refused(store):
    state = await make_class(store, "Ada")
    before = await snapshot(store)
    called = []

    def operation(s: ClassState) -> list[Event]:
        called.append(True)
        return ops.create_rooms(s, ["Team A"], LIMITS, new_id)[1]

    for stale in (state.version - 1, state.version + 1):
        with pytest.raises(Conflict, match=f"changed since version {stale}") as err:
            await store.mutate(CLASS, operation, expected_version=stale)
        assert err.value.details["version"] == state.version
    assert called == []
    assert await snapshot(store) == before

    new_state, _, _ = await store.mutate(CLASS, operation, expected_version=state.version)
    assert new_state.version == state.version + 1
    assert (await store.load(CLASS)).version == state.version + 1


async def test_concurrent_writers_on_one_version_only_one_wins(store):
    state = await make_class(store, "Ada", "Grace")

    def add_room(title: str):
        return lambda s: ops.create_rooms(s, [title], LIMITS, new_id)[1]

    results = await asyncio.gather(
        *(
            store.mutate(CLASS, add_room(f"Room {i}"), expected_version=state.version)
            for i in range(10)
        ),
        return_exceptions=True,
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1, results
    assert len(lost) == 9
    assert all(isinstance(r, Conflict) for r in lost), lost
    after = await store.load(CLASS)
    assert after.version == state.version + 1
    assert after.breakout is not None
    assert len(after.breakout.rooms) == 1
    assert [e.seq for e in await store.events(CLASS)] == [1, 2]  # invite, create_rooms


async def test_concurrent_writers_without_a_version_are_serialised(store):
    await make_class(store)
    results = await asyncio.gather(
        *(store.mutate(CLASS, invite(f"student{i:02d}")) for i in range(10))
    )
    assert len(results) == 10
    state = await store.load(CLASS)
    assert len(state.people) == 10
    assert state.version == 10
    assert [e.seq for e in await store.events(CLASS)] == list(range(1, 11))


# -- schema and migrations ---------------------------------------------------------------------


async def test_upgrading_an_old_database_keeps_its_data(backend):
    store = Store(make_engine(backend.db, schema=backend.schema))
    try:
        assert await store.schema_revision() is None
        await store.migrate("0001")
        assert await store.schema_revision() == "0001"
        await store.create_class(CLASS, "Algebra 1", now=1.0)
        await store.migrate()  # to head
        assert await store.schema_revision() == head_revision()
        state = await store.load(CLASS)
        assert state.title == "Algebra 1"
        assert set(await store.presets()) >= {"host", "participant"}
        await store.mutate(CLASS, invite("Ada"))
        assert [p.name for p in (await store.load(CLASS)).people.values()] == ["Ada"]
    finally:
        await store.close()


async def test_migrating_twice_is_harmless(backend):
    store = Store(make_engine(backend.db, schema=backend.schema))
    try:
        await store.migrate()
        await make_class(store, "Ada")
        before = await snapshot(store)
        presets = await store.presets()
        await store.migrate()
        await store.migrate("head")
        assert await store.schema_revision() == head_revision()
        assert await snapshot(store) == before
        assert await store.presets() == presets
        async with store.engine.connect() as conn:
            count = (await conn.execute(select(func.count()).select_from(t.presets))).scalar_one()
        assert count == len(presets)
    finally:
        await store.close()


async def test_a_second_store_on_the_same_database_sees_the_data(backend):
    first = Store(make_engine(backend.db, schema=backend.schema))
    second = Store(make_engine(backend.db, schema=backend.schema))
    try:
        await first.migrate()
        await second.migrate()
        await make_class(first, "Ada")
        state = await second.load(CLASS)
        assert [p.name for p in state.people.values()] == ["Ada"]
        assert await second.count_classes() == 1
    finally:
        await first.close()
        await second.close()


@pytest.mark.postgres
async def test_a_missing_postgresql_schema_is_made_at_migrate() -> None:
    import asyncpg

    pg_url = os.environ.get("BW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"bw_test_new_{secrets.token_hex(4)}"
    store = Store(make_engine(pg_url, schema=name), name)
    try:
        await store.migrate()
        assert await store.schema_revision() is not None
    finally:
        await store.engine.dispose()
        conn = await asyncpg.connect(pg_url)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        finally:
            await conn.close()
