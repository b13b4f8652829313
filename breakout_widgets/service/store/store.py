"""The store: loads a class, lets a domain operation change it, writes back the difference.

Every change of a class runs in one transaction that first locks the class's main
meeting row (``FOR UPDATE`` on PostgreSQL; one writer at a time on SQLite), so two hosts
editing at once are serialised and a stale ``version`` is refused before anything moves.
The events an operation returns are numbered per meeting and stored in the same
transaction: a change and its record are written together or not at all.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ...errors import Conflict, NotFound
from ..domain.permissions import BUILTIN_PRESETS, Preset
from ..domain.state import (
    CLOSED,
    Breakout,
    ClassState,
    Event,
    Person,
    Room,
)
from . import tables as t

T = TypeVar("T")
Operation = Callable[[ClassState], T]

MIGRATIONS = Path(__file__).with_name("migrations")


@dataclass(frozen=True)
class StoredEvent:
    """An event as stored: numbered within its meeting."""

    meeting_id: str
    seq: int
    type: str
    data: dict[str, Any]
    created_at: float
    class_id: str = ""  # the class it belongs to (for class-wide subscribers)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "meeting_id": self.meeting_id,
            "seq": self.seq,
            "data": self.data,
            "time": self.created_at,
        }


@dataclass(frozen=True)
class Credential:
    """Who a participant token belongs to."""

    participant_id: str
    class_id: str
    name: str
    preset: str


class Store:
    """All reads and writes of the service go through here."""

    def __init__(self, engine: AsyncEngine, schema: str | None = None) -> None:
        self.engine = engine
        self.schema = schema  # PostgreSQL: made at migrate if missing
        self.is_sqlite = engine.dialect.name == "sqlite"
        # SQLite takes one writer at a time; queueing here avoids "database is locked".
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    # -- schema -------------------------------------------------------------------------

    async def migrate(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` (an older database keeps its data)."""

        def upgrade(sync_conn: Any) -> None:
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, revision)

        async with self.engine.begin() as conn:
            if not self.is_sqlite:  # several service processes may start at once
                await conn.execute(text("SELECT pg_advisory_xact_lock(727274)"))
                if self.schema:  # --db-schema names a schema that may not exist yet
                    quoted = self.schema.replace('"', '""')
                    await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{quoted}"'))
            await conn.run_sync(upgrade)
        if revision == "head":
            await self._seed_presets()

    async def schema_revision(self) -> str | None:
        async with self.engine.connect() as conn:
            try:
                row = (await conn.execute(text("SELECT version_num FROM alembic_version"))).first()
            except Exception:
                return None
            return row[0] if row else None

    async def _seed_presets(self) -> None:
        async with self.engine.begin() as conn:
            have = set((await conn.execute(select(t.presets.c.name))).scalars())
            for preset in BUILTIN_PRESETS.values():
                if preset.name not in have:
                    await conn.execute(
                        insert(t.presets).values(
                            name=preset.name,
                            permissions=sorted(preset.permissions),
                            created_at=time.time(),
                        )
                    )

    async def close(self) -> None:
        await self.engine.dispose()

    # -- presets ------------------------------------------------------------------------

    async def presets(self) -> dict[str, Preset]:
        async with self.engine.connect() as conn:
            return await self._presets(conn)

    async def _presets(self, conn: AsyncConnection) -> dict[str, Preset]:
        rows = (await conn.execute(select(t.presets))).all()
        return {
            r.name: Preset(r.name, frozenset(r.permissions), builtin=r.name in BUILTIN_PRESETS)
            for r in rows
        }

    async def save_preset(self, preset: Preset) -> Preset:
        """Create or replace a custom preset."""
        async with self._writing() as conn:
            exists = (
                await conn.execute(select(t.presets.c.name).where(t.presets.c.name == preset.name))
            ).first()
            values = {"permissions": sorted(preset.permissions)}
            if exists:
                await conn.execute(
                    update(t.presets).where(t.presets.c.name == preset.name).values(**values)
                )
            else:
                await conn.execute(
                    insert(t.presets).values(name=preset.name, created_at=time.time(), **values)
                )
        return preset

    # -- classes ------------------------------------------------------------------------

    async def create_class(self, class_id: str, title: str, now: float) -> None:
        async with self._writing() as conn:
            await conn.execute(
                insert(t.meetings).values(
                    id=class_id,
                    class_id=class_id,
                    parent_id=None,
                    breakout_id=None,
                    kind="main",
                    title=title,
                    status="open",
                    position=0,
                    version=0,
                    last_seq=0,
                    created_at=now,
                )
            )

    async def load(self, class_id: str) -> ClassState:
        """The class as it is now (read only)."""
        async with self.engine.connect() as conn:
            return await self._load(conn, class_id, lock=False)

    async def mutate(
        self,
        class_id: str,
        operation: Operation[T],
        *,
        expected_version: int | None = None,
        bump: bool = True,
        now: float | None = None,
    ) -> tuple[ClassState, T, list[StoredEvent]]:
        """Run ``operation`` on the class and persist its effect atomically.

        ``operation(state)`` returns either a list of events or ``(result, events)``.
        With ``expected_version`` a stale caller gets Conflict and nothing changes;
        ``bump`` raises the state version (assignment and roster changes do, a
        participant's own switch does not).
        """
        now = time.time() if now is None else now
        async with self._writing() as conn:
            state = await self._load(conn, class_id, lock=True)
            if expected_version is not None and expected_version != state.version:
                raise Conflict(
                    f"the breakout changed since version {expected_version} (now "
                    f"{state.version}); reload and try again",
                    version=state.version,
                )
            before = _Snapshot(state)
            outcome = operation(state)
            if isinstance(outcome, tuple):
                result, events = outcome
            else:
                result, events = outcome, outcome
            if bump and (events or before.changed(state)):
                state.version += 1
            stored = await self._write(conn, before, state, list(events), now)
            stored = [replace(e, class_id=class_id) for e in stored]
            return state, result, stored

    @asynccontextmanager
    async def locked(self, class_id: str) -> AsyncIterator[AsyncConnection]:
        """A write transaction holding the class's lock (for chat, polls, help)."""
        async with self._writing() as conn:
            row = (
                await conn.execute(
                    select(t.meetings.c.id)
                    .where(t.meetings.c.id == class_id, t.meetings.c.kind == "main")
                    .with_for_update()
                )
            ).first()
            if row is None:
                raise NotFound(f"no class (main meeting) with id '{class_id}'")
            yield conn

    async def append_events(
        self, conn: AsyncConnection, class_id: str, events: list[Event], now: float
    ) -> list[StoredEvent]:
        """Number and store events inside a transaction from ``locked``."""
        stored = await self._append_events(conn, events, now)
        return [replace(e, class_id=class_id) for e in stored]

    async def _load(self, conn: AsyncConnection, class_id: str, *, lock: bool) -> ClassState:
        query = select(t.meetings).where(t.meetings.c.id == class_id, t.meetings.c.kind == "main")
        if lock:
            query = query.with_for_update()
        main = (await conn.execute(query)).first()
        if main is None:
            raise NotFound(f"no class (main meeting) with id '{class_id}'")
        presets = await self._presets(conn)
        state = ClassState(id=main.id, title=main.title, version=main.version)
        rows = (
            await conn.execute(
                select(t.breakouts)
                .where(t.breakouts.c.class_id == class_id)
                .order_by(t.breakouts.c.number.desc())
                .limit(2)
            )
        ).all()
        if rows:
            latest = rows[0]
            state.breakout = Breakout(
                id=latest.id,
                number=latest.number,
                status=latest.status,
                started_at=latest.started_at,
                closes_at=latest.closes_at,
                warning=latest.warning,
                closed_at=latest.closed_at,
                snapshot_assignment=latest.assignment,
                warned=latest.warned,
            )
            room_rows = (
                await conn.execute(
                    select(t.meetings)
                    .where(t.meetings.c.breakout_id == latest.id)
                    .order_by(t.meetings.c.position)
                )
            ).all()
            state.breakout.rooms = [Room(r.id, r.title, r.position, r.status) for r in room_rows]
            closed = [r for r in rows if r.status == CLOSED]
            state.last_assignment = closed[0].assignment if closed else None
        for r in (
            await conn.execute(select(t.participants).where(t.participants.c.class_id == class_id))
        ).all():
            state.people[r.id] = Person(
                id=r.id,
                name=r.name,
                preset=presets[r.preset],
                current=r.meeting_id,
                assigned=r.room_id,
                mic=r.mic,
                camera=r.camera,
                order=r.position,
                token_hash=r.token_hash,
            )
        return state

    async def _write(
        self,
        conn: AsyncConnection,
        before: _Snapshot,
        state: ClassState,
        events: list[Event],
        now: float,
    ) -> list[StoredEvent]:
        b = state.breakout
        if b is not None:
            if b.id not in before.breakouts:
                await conn.execute(
                    insert(t.breakouts).values(
                        id=b.id,
                        class_id=state.id,
                        number=b.number,
                        created_at=now,
                        **_breakout_values(b),
                    )
                )
            elif before.breakouts[b.id] != _breakout_key(b):
                await conn.execute(
                    update(t.breakouts)
                    .where(t.breakouts.c.id == b.id)
                    .values(**_breakout_values(b))
                )
            kept = {r.id for r in b.rooms}
            for room in b.rooms:
                if room.id not in before.rooms:
                    await conn.execute(
                        insert(t.meetings).values(
                            id=room.id,
                            class_id=state.id,
                            parent_id=state.id,
                            breakout_id=b.id,
                            kind="room",
                            title=room.title,
                            status=room.status,
                            position=room.position,
                            version=0,
                            last_seq=0,
                            created_at=now,
                        )
                    )
                elif before.rooms[room.id] != room.snapshot():
                    await conn.execute(
                        update(t.meetings)
                        .where(t.meetings.c.id == room.id)
                        .values(title=room.title, status=room.status, position=room.position)
                    )
            gone = [
                rid for rid, bid in before.room_breakout.items() if bid == b.id and rid not in kept
            ]
            if gone:  # draft rooms deleted before they ever opened: nothing refers to them
                await conn.execute(t.meetings.delete().where(t.meetings.c.id.in_(gone)))
        new_people = []
        for p in state.people.values():
            old = before.people.get(p.id)
            if old is None:
                new_people.append(
                    {
                        "id": p.id,
                        "class_id": state.id,
                        "name": p.name,
                        "preset": p.preset.name,
                        "token_hash": p.token_hash,
                        "meeting_id": p.current,
                        "room_id": p.assigned,
                        "mic": p.mic,
                        "camera": p.camera,
                        "position": p.order,
                        "created_at": now,
                    }
                )
            elif old != p.snapshot():
                await conn.execute(
                    update(t.participants)
                    .where(t.participants.c.id == p.id)
                    .values(
                        name=p.name,
                        preset=p.preset.name,
                        meeting_id=p.current,
                        room_id=p.assigned,
                        mic=p.mic,
                        camera=p.camera,
                    )
                )
        if new_people:
            await conn.execute(insert(t.participants), new_people)
        if state.version != before.version:
            await conn.execute(
                update(t.meetings).where(t.meetings.c.id == state.id).values(version=state.version)
            )
        return await self._append_events(conn, events, now)

    async def _append_events(
        self, conn: AsyncConnection, events: list[Event], now: float
    ) -> list[StoredEvent]:
        if not events:
            return []
        ids = sorted({e.meeting_id for e in events})
        last = dict(
            (
                await conn.execute(
                    select(t.meetings.c.id, t.meetings.c.last_seq).where(t.meetings.c.id.in_(ids))
                )
            ).all()
        )
        stored = []
        for e in events:
            last[e.meeting_id] += 1
            stored.append(StoredEvent(e.meeting_id, last[e.meeting_id], e.type, e.data, now))
        await conn.execute(
            insert(t.events),
            [
                {
                    "meeting_id": s.meeting_id,
                    "seq": s.seq,
                    "type": s.type,
                    "data": s.data,
                    "created_at": s.created_at,
                }
                for s in stored
            ],
        )
        for meeting_id in ids:
            await conn.execute(
                update(t.meetings)
                .where(t.meetings.c.id == meeting_id)
                .values(last_seq=last[meeting_id])
            )
        return stored

    # -- participants and meetings ----------------------------------------------------------

    async def credential(self, token_hash: str) -> Credential | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        t.participants.c.id,
                        t.participants.c.class_id,
                        t.participants.c.name,
                        t.participants.c.preset,
                    ).where(t.participants.c.token_hash == token_hash)
                )
            ).first()
        return Credential(row.id, row.class_id, row.name, row.preset) if row else None

    async def meeting(self, meeting_id: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(t.meetings).where(t.meetings.c.id == meeting_id))
            ).first()
        if row is None:
            raise NotFound(f"no meeting with id '{meeting_id}'")
        return _meeting_json(row)

    async def rooms_of_class(self, class_id: str) -> list[dict[str, Any]]:
        """Every room the class ever had, open or closed, oldest breakout first."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(t.meetings, t.breakouts.c.number)
                    .join(t.breakouts, t.breakouts.c.id == t.meetings.c.breakout_id)
                    .where(t.meetings.c.class_id == class_id, t.meetings.c.kind == "room")
                    .order_by(t.breakouts.c.number, t.meetings.c.position)
                )
            ).all()
        return [{**_meeting_json(r), "breakout_number": r.number} for r in rows]

    async def events(self, meeting_id: str, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """A meeting's events with ``seq > after``, oldest first."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(t.events)
                    .where(t.events.c.meeting_id == meeting_id, t.events.c.seq > after)
                    .order_by(t.events.c.seq)
                    .limit(limit)
                )
            ).all()
        return [StoredEvent(r.meeting_id, r.seq, r.type, r.data, r.created_at) for r in rows]

    async def deadlines(self) -> list[tuple[str, float]]:
        """``(class_id, next due time)`` of every running breakout with a deadline: the
        warning time until the warning went out, then the closing time."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        t.breakouts.c.class_id,
                        t.breakouts.c.closes_at,
                        t.breakouts.c.warning,
                        t.breakouts.c.warned,
                    )
                    .where(t.breakouts.c.status == "running", t.breakouts.c.closes_at.is_not(None))
                    .order_by(t.breakouts.c.closes_at)
                )
            ).all()
        return [(r.class_id, r.closes_at if r.warned else r.closes_at - r.warning) for r in rows]

    async def count_classes(self) -> int:
        async with self.engine.connect() as conn:
            return (
                await conn.execute(
                    select(func.count()).select_from(t.meetings).where(t.meetings.c.kind == "main")
                )
            ).scalar_one()

    # -- transactions -------------------------------------------------------------------

    def _writing(self) -> _WriteTransaction:
        return _WriteTransaction(self)


class _WriteTransaction:
    """``async with store._writing() as conn``: one write transaction, queued on SQLite."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._ctx: Any = None

    async def __aenter__(self) -> AsyncConnection:
        if self.store._write_lock is not None:
            await self.store._write_lock.acquire()
        try:
            self._ctx = self.store.engine.begin()
            return await self._ctx.__aenter__()
        except BaseException:
            if self.store._write_lock is not None:
                self.store._write_lock.release()
            raise

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await self._ctx.__aexit__(*exc)
        finally:
            if self.store._write_lock is not None:
                self.store._write_lock.release()


class _Snapshot:
    """What a class looked like before an operation, to write back only the difference."""

    def __init__(self, state: ClassState) -> None:
        self.version = state.version
        self.people = {p.id: p.snapshot() for p in state.people.values()}
        b = state.breakout
        self.breakouts = {b.id: _breakout_key(b)} if b else {}
        self.rooms = {r.id: r.snapshot() for r in b.rooms} if b else {}
        self.room_breakout = {r.id: b.id for r in b.rooms} if b else {}

    def changed(self, state: ClassState) -> bool:
        other = _Snapshot(state)
        return (self.people, self.breakouts, self.rooms) != (
            other.people,
            other.breakouts,
            other.rooms,
        )


def _breakout_key(b: Breakout) -> tuple[Any, ...]:
    return (*b.snapshot(), repr(b.snapshot_assignment))


def _breakout_values(b: Breakout) -> dict[str, Any]:
    return {
        "status": b.status,
        "started_at": b.started_at,
        "closes_at": b.closes_at,
        "warning": b.warning,
        "closed_at": b.closed_at,
        "assignment": b.snapshot_assignment,
        "warned": b.warned,
    }


def _meeting_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "class_id": row.class_id,
        "parent_id": row.parent_id,
        "kind": row.kind,
        "title": row.title,
        "status": row.status,
        "position": row.position,
        "last_seq": row.last_seq,
    }
