"""Shared fixtures: real services on 127.0.0.1, on SQLite and on PostgreSQL.

PostgreSQL is never optional: when it cannot be reached the tests that need it fail
with a message saying how to start it (``bash .ci/run`` does).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from breakout_widgets.service.server import BackgroundServer
from breakout_widgets.service.settings import Settings

PG_URL = os.environ.get("BW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def _pg(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(
        PG_URL.replace("postgresql+asyncpg://", "postgresql://"), timeout=10
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the user's real data folder."""
    monkeypatch.setenv("BREAKOUT_WIDGETS_HOME", str(tmp_path / "home"))


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test, dropped afterwards."""
    name = f"bw_test_{secrets.token_hex(6)}"
    try:
        asyncio.run(_pg(f'CREATE SCHEMA "{name}"'))
    except Exception as exc:  # a missing database is a failure, never a skip
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_URL} ({exc!r}); start it or run "
            "`bash .ci/run`, which starts it",
            pytrace=False,
        )
    try:
        yield name
    finally:
        asyncio.run(_pg(f'DROP SCHEMA "{name}" CASCADE'))


@dataclass
class Backend:
    """Where a test's service keeps its data."""

    name: str
    db: str
    schema: str | None
    data_dir: Path

    def settings(self, **kwargs: object) -> Settings:
        return Settings(db=self.db, db_schema=self.schema, data_dir=self.data_dir, **kwargs)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", str(tmp_path / "breakout.db"), None, tmp_path)
    schema = request.getfixturevalue("pg_schema")
    return Backend("postgresql", PG_URL, schema, tmp_path)


@pytest.fixture
def sqlite_backend(tmp_path: Path) -> Backend:
    return Backend("sqlite", str(tmp_path / "breakout.db"), None, tmp_path)


@dataclass
class RunningService:
    url: str
    admin_key: str
    backend: Backend
    server: BackgroundServer


def _running(backend: Backend) -> Iterator[RunningService]:
    server = BackgroundServer(backend.settings(timer_poll=0.5))
    server.start()
    try:
        assert server.settings.admin_key
        yield RunningService(server.url, server.settings.admin_key, backend, server)
    finally:
        server.stop()


@pytest.fixture
def service(backend: Backend) -> Iterator[RunningService]:
    """The real service over HTTP on 127.0.0.1, on SQLite and on PostgreSQL."""
    yield from _running(backend)


@pytest.fixture
def sqlite_service(sqlite_backend: Backend) -> Iterator[RunningService]:
    """The real service over HTTP on SQLite only (for tests of the controller's logic)."""
    yield from _running(sqlite_backend)


@pytest.fixture
def make_server() -> Iterator[Callable[..., BackgroundServer]]:
    """``make_server(backend, **settings)``: a started service, stopped after the test."""
    started: list[BackgroundServer] = []

    def make(backend: Any, **settings: Any) -> BackgroundServer:
        settings.setdefault("timer_poll", 0.5)
        server = BackgroundServer(backend.settings(**settings))
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
