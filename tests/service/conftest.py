"""Fixtures for the HTTP tests of the service (helpers live in ``api_helpers``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from api_helpers import Api


@pytest.fixture
def make_api() -> Iterator[Callable[[str, str], Api]]:
    """``make_api(url, admin_key)``: an Api whose clients are closed after the test."""
    made: list[Api] = []

    def make(url: str, admin_key: str) -> Api:
        made.append(Api(url, admin_key))
        return made[-1]

    yield make
    for api in made:
        api.close()


@pytest.fixture
def api(service: Any, make_api: Callable[[str, str], Api]) -> Api:
    """Clients for the ``service`` fixture (SQLite and PostgreSQL)."""
    return make_api(service.url, service.admin_key)
