"""Fixtures for the realtime tests: an httpx client and services with custom settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from breakout_widgets.service.server import BackgroundServer


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


@pytest.fixture
async def http(service: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client for the ``service`` fixture (SQLite and PostgreSQL)."""
    async with httpx.AsyncClient(base_url=service.url, timeout=30) as client:
        yield client
