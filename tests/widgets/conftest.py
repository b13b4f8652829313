"""Fixtures of the widget tests: a class with six students and two rooms."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import breakout_widgets as bw


@pytest.fixture
def classroom(sqlite_service) -> Iterator[tuple[bw.Classroom, list[bw.Invite]]]:
    host = bw.Classroom.create(
        sqlite_service.url, admin_key=sqlite_service.admin_key, title="Algebra 1", host="Ms. Rivera"
    )
    invites = host.invite_many(["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald"])
    host.breakout.create(["Red", "Blue"])
    try:
        yield host, invites
    finally:
        host.close()
