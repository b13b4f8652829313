"""Fixtures of the breakout-group tests: real services on 127.0.0.1 with short timings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from group_helpers import GRACE, GroupsApi

from breakout_widgets.service.server import BackgroundServer


@pytest.fixture
def make_server(make_server: Callable[..., BackgroundServer]) -> Callable[..., BackgroundServer]:
    """The shared ``make_server`` with the groups' defaults: 30 s grace, no chat limit."""

    def make(backend: Any, **settings: Any) -> BackgroundServer:
        settings.setdefault("group_grace", 30.0)
        settings.setdefault("chat_rate", 1000.0)
        settings.setdefault("chat_burst", 1000.0)
        return make_server(backend, **settings)

    return make


@pytest.fixture
def group_server(sqlite_backend: Any, make_server: Callable[..., BackgroundServer]):
    """The service on SQLite (grace period 30 s, as by default)."""
    return make_server(sqlite_backend)


@pytest.fixture
def short_grace(sqlite_backend: Any, make_server: Callable[..., BackgroundServer]):
    """The service on SQLite with a short grace period (``GRACE``)."""
    return make_server(sqlite_backend, group_grace=GRACE)


@pytest.fixture
async def api(group_server: BackgroundServer) -> AsyncIterator[GroupsApi]:
    async with httpx.AsyncClient(base_url=group_server.url, timeout=30) as http:
        yield GroupsApi(group_server.url, group_server.settings.admin_key or "", http)


@pytest.fixture
async def short_api(short_grace: BackgroundServer) -> AsyncIterator[GroupsApi]:
    async with httpx.AsyncClient(base_url=short_grace.url, timeout=30) as http:
        yield GroupsApi(short_grace.url, short_grace.settings.admin_key or "", http)
