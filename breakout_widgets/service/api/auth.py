"""Who is calling: the app's admin key or a participant token, both as a Bearer token."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Request

from ...errors import Forbidden, Unauthorized
from ..classes import hash_token
from ..store.store import Credential


@dataclass(frozen=True)
class Caller:
    """``admin`` is True for the admin key; otherwise ``who`` is the participant."""

    admin: bool
    who: Credential | None = None

    @property
    def participant(self) -> Credential:
        if self.who is None:
            raise Forbidden("this needs a participant token, not the admin key")
        return self.who


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <admin key or participant token>'")
    return token.strip()


async def caller(request: Request) -> Caller:
    """FastAPI dependency: the admin or the participant behind the Bearer token."""
    token = _bearer(request)
    if hmac.compare_digest(token.encode(), request.app.state.admin_key.encode()):
        return Caller(admin=True)
    who = await request.app.state.classes.store.credential(hash_token(token))
    if who is None:
        raise Unauthorized("unknown token")
    return Caller(admin=False, who=who)


async def admin(request: Request) -> Caller:
    """FastAPI dependency: only the admin key passes."""
    c = await caller(request)
    if not c.admin:
        raise Forbidden("this needs the app's admin key")
    return c
