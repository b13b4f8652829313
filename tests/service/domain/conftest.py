"""Fixtures for the domain core: a fresh class, small ids and the default limits."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from breakout_widgets.service.domain.limits import Limits
from breakout_widgets.service.domain.state import ClassState


@pytest.fixture
def new_id() -> Callable[[str], str]:
    """Ids like ``p1``, ``m2``, ``b3``: one counter for every prefix, so all are unique."""
    counter = itertools.count(1)
    return lambda prefix: f"{prefix}{next(counter)}"


@pytest.fixture
def limits() -> Limits:
    return Limits()


@pytest.fixture
def state() -> ClassState:
    return ClassState(id="main-1", title="Algebra 1", version=1)
