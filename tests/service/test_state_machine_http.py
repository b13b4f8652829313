"""A hypothesis state machine drives the real service over HTTP.

Rules create, rename and delete rooms, assign, move, start and close the breakout, and let
students switch themselves; some send a stale version or an unknown id on purpose. After
every step the service's own answer is checked: each participant is in exactly one
meeting (main or an open room), assignments point at live rooms, and a refused request
(4xx) changed nothing at all.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from breakout_widgets.service.server import BackgroundServer
from breakout_widgets.service.settings import Settings

STUDENTS = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Linus"]
TITLES = ["Team A", "Team B", "Team C", "Team D"]
BOGUS = "m_0000000000000000"
_classes = itertools.count(1)

# Refused requests are checked on every step, but most should be accepted so that
# sequences reach running breakouts: a stale version or a bad input one time in eight.
rarely = st.sampled_from([False] * 7 + [True])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    folder: Path = tmp_path_factory.mktemp("state-machine")
    srv = BackgroundServer(Settings(db=str(folder / "breakout.db"), data_dir=folder))
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


class ServiceMachine(RuleBasedStateMachine):
    """One class per example, on the module's service; ``url``/``admin_key`` set per run."""

    url: str
    admin_key: str
    http: httpx.Client

    def __init__(self) -> None:
        super().__init__()
        admin = {"Authorization": f"Bearer {self.admin_key}"}
        created = self._ok(
            self.http.post(
                "/v1/meetings",
                json={"title": f"Class {next(_classes)}", "host": "Host"},
                headers=admin,
            )
        )
        self.class_id: str = created["meeting"]["id"]
        self.host = {"Authorization": f"Bearer {created['host']['token']}"}
        invited = self._ok(
            self.http.post(
                f"/v1/meetings/{self.class_id}/participants",
                json={"participants": [{"name": n} for n in STUDENTS]},
                headers=admin,
            )
        )["participants"]
        self.students = [
            (i["participant"]["id"], {"Authorization": f"Bearer {i['token']}"}) for i in invited
        ]
        self.people = [p for p, _ in self.students]
        self.state = self._read()
        self.refused = 0

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def _ok(response: httpx.Response) -> Any:
        assert response.is_success, (response.status_code, response.text)
        return response.json()

    @property
    def base(self) -> str:
        return f"/v1/meetings/{self.class_id}/breakout"

    def _read(self) -> dict[str, Any]:
        return self._ok(self.http.get(self.base, headers=self.host))

    def _rooms(self) -> list[dict[str, Any]]:
        return self.state["rooms"]

    def _pick_room(self, index: int, bogus: bool) -> str:
        rooms = self._rooms()
        if bogus or not rooms:
            return BOGUS
        return rooms[index % len(rooms)]["id"]

    def _version(self, stale: bool) -> int:
        return self.state["version"] - 1 if stale else self.state["version"]

    def _send(
        self, method: str, path: str, *, headers: dict[str, str], bumps: bool, **kwargs: Any
    ) -> httpx.Response:
        """Send one request and check what it did to the state, accepted or refused."""
        before = self.state
        response = self.http.request(method, path, headers=headers, **kwargs)
        after = self._read()
        assert response.status_code < 500, (response.status_code, response.text)
        if response.is_success:
            if bumps:
                assert after["version"] == before["version"] + 1
            else:  # a participant moving themselves does not change the assignment
                assert after["version"] == before["version"]
        else:
            error = response.json()["error"]
            assert error["code"] and error["message"]
            assert 400 <= response.status_code < 500
            assert after == before, f"refused {method} {path} ({error}) changed the state"
            self.refused += 1
        self.state = after
        return response

    # -- rules: the host -----------------------------------------------------------------

    @initialize(count=st.integers(0, 3), shuffled=st.booleans(), started=st.booleans())
    def some_rooms(self, count: int, shuffled: bool, started: bool) -> None:
        """Begin with no rooms, a draft, or (often) a running breakout with people placed."""
        if not count:
            return
        for path, body in [
            ("rooms", {"count": count}),
            *([("shuffle", {"seed": 0})] if shuffled else []),
            *([("start", {})] if started else []),
        ]:
            self._send(
                "POST",
                f"{self.base}/{path}",
                headers=self.host,
                bumps=True,
                json={**body, "version": self._version(False)},
            )
            assert self.state["version"] > 0

    @rule(
        titles=st.lists(st.sampled_from(TITLES), min_size=1, max_size=3),
        count=st.integers(1, 3),
        by_count=st.booleans(),
        stale=rarely,
    )
    def create_rooms(self, titles: list[str], count: int, by_count: bool, stale: bool) -> None:
        body: dict[str, Any] = {"count": count} if by_count else {"titles": titles}
        self._send(
            "POST",
            f"{self.base}/rooms",
            headers=self.host,
            bumps=True,
            json={**body, "version": self._version(stale)},
        )

    @rule(index=st.integers(0, 9), title=st.sampled_from([*TITLES, *TITLES, "x" * 101]))
    def rename_room(self, index: int, title: str) -> None:
        self._send(
            "PATCH",
            f"{self.base}/rooms/{self._pick_room(index, False)}",
            headers=self.host,
            bumps=True,
            json={"title": title, "version": self._version(False)},
        )

    @rule(index=st.integers(0, 9), bogus=rarely, stale=rarely)
    def delete_room(self, index: int, bogus: bool, stale: bool) -> None:
        self._send(
            "DELETE",
            f"{self.base}/rooms/{self._pick_room(index, bogus)}",
            headers=self.host,
            bumps=True,
            params={"version": self._version(stale)},
        )

    @rule(
        moves=st.lists(
            st.tuples(st.integers(0, len(STUDENTS) - 1), st.integers(-1, 9)),
            min_size=1,
            max_size=4,
            unique_by=lambda move: move[0],
        ),
        bogus=rarely,
    )
    def assign(self, moves: list[tuple[int, int]], bogus: bool) -> None:
        body = [
            {
                "participant_id": self.people[who],
                "room_id": None if room < 0 else self._pick_room(room, False),
            }
            for who, room in moves
        ]
        if bogus:
            body.append({"participant_id": "p_unknown", "room_id": None})
        self._send(
            "POST",
            f"{self.base}/assign",
            headers=self.host,
            bumps=True,
            json={"moves": body, "version": self._version(False)},
        )

    @rule(who=st.integers(0, len(STUDENTS) - 1), room=st.integers(-1, 9), stale=rarely)
    def move(self, who: int, room: int, stale: bool) -> None:
        target = None if room < 0 else self._pick_room(room, False)
        self._send(
            "POST",
            f"{self.base}/assign",
            headers=self.host,
            bumps=True,
            json={
                "moves": [{"participant_id": self.people[who], "room_id": target}],
                "version": self._version(stale),
            },
        )

    @rule(seed=st.integers(0, 3))
    def shuffle(self, seed: int) -> None:
        self._send(
            "POST",
            f"{self.base}/shuffle",
            headers=self.host,
            bumps=True,
            json={"seed": seed, "version": self._version(False)},
        )

    @precondition(lambda self: self.state["status"] == "draft")
    @rule(stale=rarely)
    def start(self, stale: bool) -> None:
        was = self.state["status"]
        response = self._send(
            "POST",
            f"{self.base}/start",
            headers=self.host,
            bumps=True,
            json={"version": self._version(stale)},
        )
        if response.is_success:
            assert was == "draft"
            assert self.state["status"] == "running"
            where = {p["id"]: p for p in self.state["participants"]}
            for room in self._rooms():
                for pid in room["participants"]:
                    assert where[pid]["meeting_id"] == room["id"]  # everyone went to their room

    @precondition(lambda self: self.state["status"] in ("draft", "running"))
    @rule(stale=rarely)
    def close(self, stale: bool) -> None:
        response = self._send(
            "POST",
            f"{self.base}/close",
            headers=self.host,
            bumps=True,
            json={"version": self._version(stale)},
        )
        if response.is_success:
            assert self.state["rooms"] == []
            assert all(p["meeting_id"] == self.class_id for p in self.state["participants"])
            assert all(p["room_id"] is None for p in self.state["participants"])

    @precondition(lambda self: self.state["status"] in ("none", "closed"))
    @rule()
    def recreate(self) -> None:
        self._send(
            "POST",
            f"{self.base}/recreate",
            headers=self.host,
            bumps=True,
            json={"version": self._version(False)},
        )

    # -- rules: a student --------------------------------------------------------------------

    @rule(
        who=st.integers(0, len(STUDENTS) - 1),
        where=st.one_of(st.sampled_from(["main", "own", BOGUS]), st.integers(0, 9)),
    )
    def switch(self, who: int, where: str | int) -> None:
        pid, headers = self.students[who]
        me = next(p for p in self.state["participants"] if p["id"] == pid)
        if where == "own":  # back to the room they are assigned to, if any
            where = me["room_id"] or "main"
        meeting = self._pick_room(where, False) if isinstance(where, int) else where
        response = self._send(
            "POST", "/v1/me/switch", headers=headers, bumps=False, json={"meeting": meeting}
        )
        rooms = {r["id"]: r for r in self._rooms()}
        if meeting in rooms and self.state["status"] == "running":
            # a participant may enter only the room they are assigned to
            allowed = me["room_id"] == meeting or me["meeting_id"] == meeting
            assert response.is_success == allowed, (response.status_code, response.text)
        if meeting == "main":
            assert response.is_success  # the participant preset may always return to main
        if response.is_success:
            target_id = self.class_id if meeting == "main" else meeting
            assert response.json()["meeting"]["id"] == target_id

    @rule(who=st.integers(0, len(STUDENTS) - 1))
    def student_tries_to_run_the_breakout(self, who: int) -> None:
        _, headers = self.students[who]
        response = self._send(
            "POST",
            f"{self.base}/shuffle",
            headers=headers,
            bumps=True,
            json={"seed": 1, "version": self._version(False)},
        )
        assert response.status_code == 403

    # -- the invariant -------------------------------------------------------------------

    @invariant()
    def everyone_is_in_exactly_one_meeting(self) -> None:
        state = self._read()
        assert state == self.state  # nothing changed behind our back
        rooms = state["rooms"]
        live = {r["id"] for r in rooms}
        open_rooms = {r["id"] for r in rooms if r["status"] == "open"}
        meetings = {self.class_id} | open_rooms
        people = state["participants"]
        ids = [p["id"] for p in people]
        assert len(ids) == len(set(ids)) == len(STUDENTS) + 1
        for p in people:
            assert p["meeting_id"] in meetings, p
            assert p["room_id"] is None or p["room_id"] in live, p
        # each room lists exactly the people assigned to it, and nobody twice
        listed = [pid for r in rooms for pid in r["participants"]]
        assert len(listed) == len(set(listed))
        assert sorted(listed) == sorted(p["id"] for p in people if p["room_id"])
        for r in rooms:
            for pid in r["participants"]:
                assert next(p for p in people if p["id"] == pid)["room_id"] == r["id"]
        titles = [r["title"] for r in rooms]
        assert len(titles) == len(set(titles))
        if state["status"] == "running":
            assert {r["status"] for r in rooms} <= {"open"}
        elif state["status"] == "draft":
            assert {r["status"] for r in rooms} <= {"draft"}
            assert all(p["meeting_id"] == self.class_id for p in people)
        else:
            assert rooms == []
            assert all(p["meeting_id"] == self.class_id for p in people)


def test_service_state_machine(server: BackgroundServer) -> None:
    assert server.settings.admin_key
    with httpx.Client(base_url=server.url, timeout=30) as http:

        class Machine(ServiceMachine):
            pass

        Machine.url = server.url
        Machine.admin_key = server.settings.admin_key
        Machine.http = http
        run_state_machine_as_test(
            Machine,
            settings=settings(
                max_examples=25,
                stateful_step_count=15,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
