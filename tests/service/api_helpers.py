"""Helpers for the HTTP tests of the service: plain httpx against a real server.

Imported by the tests as ``from api_helpers import ...`` (``tests/service`` is on the path).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    """The answer is ``status`` with the JSON error shape ``{"error": {"code", "message"}}``."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body
    if code is not None:
        assert error["code"] == code, body
    return error


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


@dataclass
class Klass:
    """A class made through the API: its id, its host and a Bearer client per person."""

    api: Api
    id: str
    title: str
    host: httpx.Client
    host_id: str
    host_token: str
    students: dict[str, str] = field(default_factory=dict)  # name -> participant id
    tokens: dict[str, str] = field(default_factory=dict)  # name -> token

    @property
    def base(self) -> str:
        return f"/v1/meetings/{self.id}"

    def invite(self, *names: str, preset: str | None = None) -> list[dict[str, Any]]:
        entries = [{"name": n} if preset is None else {"name": n, "preset": preset} for n in names]
        body = ok(
            self.api.admin.post(f"{self.base}/participants", json={"participants": entries}), 201
        )
        for item in body["participants"]:
            self.students[item["participant"]["name"]] = item["participant"]["id"]
            self.tokens[item["participant"]["name"]] = item["token"]
        return body["participants"]

    def as_(self, name: str) -> httpx.Client:
        """A client with ``name``'s participant token."""
        return self.api.client(self.tokens[name])

    def state(self) -> dict[str, Any]:
        return ok(self.api.admin.get(f"{self.base}/breakout"))

    def snapshot(self) -> dict[str, Any]:
        """Everything a bad request must leave alone: state, roster and the room records."""
        return {
            "state": self.state(),
            "participants": ok(self.api.admin.get(f"{self.base}/participants")),
            "rooms": ok(self.api.admin.get(f"{self.base}/rooms")),
        }

    def write(
        self, method: str, path: str, client: httpx.Client | None = None, **body: Any
    ) -> httpx.Response:
        """A breakout write (``path`` under ``/breakout``) based on the current version."""
        client = client or self.host
        if "version" not in body:
            body["version"] = self.state()["version"]
        url = f"{self.base}/breakout{path}"
        if method == "DELETE":
            return client.delete(url, params=body)
        return client.request(method, url, json=body)

    def do(self, method: str, path: str, **body: Any) -> dict[str, Any]:
        """A breakout write by the host that must succeed; returns the new state."""
        response = self.write(method, path, **body)
        assert response.status_code in (200, 201), (response.status_code, response.text)
        return response.json()

    def room_ids(self) -> dict[str, str]:
        """Title -> id of the live rooms."""
        return {r["title"]: r["id"] for r in self.state()["rooms"]}

    def where(self, state: dict[str, Any] | None = None) -> dict[str, str]:
        """Name -> the meeting id each participant is in now."""
        state = state or self.state()
        return {p["name"]: p["meeting_id"] for p in state["participants"]}

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5.0
    ) -> dict[str, Any]:
        """Poll the state until ``predicate(state)`` holds; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            if predicate(state):
                return state
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout}s waiting; last state: {state}")
            time.sleep(0.1)


class Api:
    """Clients for one running service; every client is closed at teardown."""

    def __init__(self, url: str, admin_key: str) -> None:
        self.url = url
        self.admin_key = admin_key
        self._clients: list[httpx.Client] = []
        self.admin = self.client(admin_key)
        self.anonymous = self.client(None)

    def client(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        c = httpx.Client(base_url=self.url, headers=headers, timeout=30)
        self._clients.append(c)
        return c

    def new_class(self, title: str = "Algebra 1", host: str = "Ms. Rivera") -> Klass:
        body = ok(self.admin.post("/v1/meetings", json={"title": title, "host": host}), 201)
        token = body["host"]["token"]
        return Klass(
            self,
            body["meeting"]["id"],
            title,
            self.client(token),
            body["host"]["participant"]["id"],
            token,
        )

    def close(self) -> None:
        for c in self._clients:
            c.close()
        self._clients.clear()


def invariants(state: dict[str, Any]) -> None:
    """Each participant is in exactly one meeting that exists, consistent with the rooms."""
    main = state["meeting_id"]
    rooms = {r["id"]: r for r in state["rooms"]}
    listed: dict[str, str] = {}
    for room in state["rooms"]:
        for pid in room["participants"]:
            assert pid not in listed, f"{pid} is listed in two rooms"
            listed[pid] = room["id"]
    for p in state["participants"]:
        assert listed.get(p["id"]) == p["room_id"], p
        if state["status"] == "running":
            assert p["meeting_id"] == main or p["meeting_id"] in rooms, p
        else:
            assert p["meeting_id"] == main, p
