"""Talking to the service: one request description, a sync and an async transport.

The controller's methods are written once, as *plans*: generators that yield ``Call``s
and receive the decoded answers. ``run_sync`` and ``run_async`` drive a plan over httpx,
so the sync ``Classroom`` and the ``AsyncClassroom`` share every line of logic.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from ..errors import BreakoutError, Unavailable, error_from_response

T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """One HTTP request: method, path under the service URL, JSON body, query, auth."""

    method: str
    path: str
    json: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    auth: str | None = None  # "admin" to send the admin key instead of the token


Plan = Generator[Call, Any, T]

TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def _headers(call: Call, token: str | None, admin_key: str | None) -> dict[str, str]:
    secret = admin_key if call.auth == "admin" else token
    if call.auth == "admin" and not admin_key:
        raise BreakoutError("this needs the app's admin key: pass admin_key= when connecting")
    return {"Authorization": f"Bearer {secret}"} if secret else {}


def _decode(response: httpx.Response) -> Any:
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = response.text
    if response.is_success:
        return body
    raise error_from_response(response.status_code, body)


def _unreachable(url: str, exc: Exception) -> Unavailable:
    return Unavailable(f"cannot reach the breakout service at {url}: {exc}")


class SyncTransport:
    """Blocking requests on one keep-alive ``httpx.Client``."""

    def __init__(self, url: str, token: str | None = None, admin_key: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.admin_key = admin_key
        self._client = httpx.Client(base_url=self.url, timeout=TIMEOUT)

    def request(self, call: Call) -> Any:
        try:
            response = self._client.request(
                call.method,
                call.path,
                json=call.json,
                params=call.params or None,
                headers=_headers(call, self.token, self.admin_key),
            )
        except httpx.TransportError as exc:
            raise _unreachable(self.url, exc) from exc
        return _decode(response)

    def run(self, plan: Plan[T]) -> T:
        try:
            call = next(plan)
            while True:
                try:
                    answer = self.request(call)
                except BreakoutError as exc:
                    call = plan.throw(exc)
                else:
                    call = plan.send(answer)
        except StopIteration as stop:
            return stop.value

    def close(self) -> None:
        self._client.close()


class AsyncTransport:
    """The same requests on an ``httpx.AsyncClient``."""

    def __init__(self, url: str, token: str | None = None, admin_key: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.admin_key = admin_key
        self._client = httpx.AsyncClient(base_url=self.url, timeout=TIMEOUT)

    async def request(self, call: Call) -> Any:
        try:
            response = await self._client.request(
                call.method,
                call.path,
                json=call.json,
                params=call.params or None,
                headers=_headers(call, self.token, self.admin_key),
            )
        except httpx.TransportError as exc:
            raise _unreachable(self.url, exc) from exc
        return _decode(response)

    async def run(self, plan: Plan[T]) -> T:
        try:
            call = next(plan)
            while True:
                try:
                    answer = await self.request(call)
                except BreakoutError as exc:
                    call = plan.throw(exc)
                else:
                    call = plan.send(answer)
        except StopIteration as stop:
            return stop.value

    async def close(self) -> None:
        await self._client.aclose()
