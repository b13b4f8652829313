"""Fixtures for the realtime tests: an httpx client and services with custom settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest


@pytest.fixture
async def http(service: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client for the ``service`` fixture (SQLite and PostgreSQL)."""
    async with httpx.AsyncClient(base_url=service.url, timeout=30) as client:
        yield client
