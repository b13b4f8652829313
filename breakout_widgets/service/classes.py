"""The application layer: what the routes ask for, in terms of the domain and the store.

Routes parse and authorise; this module picks the domain operation, runs it through the
store, and wakes the timer when a deadline changes. It knows nothing of HTTP.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from ..errors import Forbidden, InvalidInput, NotFound
from .domain import breakout as ops
from .domain.limits import Limits
from .domain.permissions import CAN_ALTER, PARTICIPANT, Preset
from .domain.state import ClassState, Person
from .store import Store
from .store.store import Credential, StoredEvent


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def new_token() -> str:
    return "bw_" + secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _nobody(participant_ids: list[str]) -> set[str]:
    return set()


class Classes:
    """Commands and queries on classes, shared by every route."""

    def __init__(
        self, store: Store, limits: Limits, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.limits = limits
        self.clock = clock
        self.deadline_changed: Callable[[], None] = lambda: None  # set by the timer
        self.published: Callable[[list[StoredEvent]], None] = lambda events: None
        self.online: Callable[[list[str]], Awaitable[set[str]]] = _nobody  # hub or Redis

    # -- classes and people ---------------------------------------------------------------

    async def create_class(self, title: str, host: str | None) -> dict[str, Any]:
        title = self.limits.name(title, "class title")
        if host is not None:  # checked first: a refused host must leave no class behind
            self.limits.name(host, "participant name")
        class_id = new_id("m")
        await self.store.create_class(class_id, title, self.clock())
        body: dict[str, Any] = {"meeting": await self.store.meeting(class_id)}
        if host is not None:
            body["host"] = (await self.invite(class_id, [(host, "host")]))[0]
        return body

    async def preset(self, name: str, conn: AsyncConnection | None = None) -> Preset:
        """The preset ``name``; pass the caller's open connection so a request never
        holds two pooled connections at once (a burst of such requests starved the pool)."""
        presets = await (self.store._presets(conn) if conn is not None else self.store.presets())
        if name not in presets:
            raise NotFound(f"no preset named '{name}'; known: {', '.join(sorted(presets))}")
        return presets[name]

    async def invite(
        self, class_id: str, entries: list[tuple[str, str | None]]
    ) -> list[dict[str, Any]]:
        """Add participants; each answer holds the token, which is never shown again."""
        if len(entries) > self.limits.max_batch:
            raise InvalidInput(f"at most {self.limits.max_batch} participants per request")
        presets = await self.store.presets()
        resolved = []
        for name, preset_name in entries:
            preset_name = preset_name or PARTICIPANT
            if preset_name not in presets:
                raise NotFound(f"no preset named '{preset_name}'")
            resolved.append((name, presets[preset_name]))
        tokens: dict[str, str] = {}

        def operation(state: ClassState) -> tuple[list[Person], list[Any]]:
            people, events = ops.invite(state, resolved, self.limits, new_id)
            for p in people:
                tokens[p.id] = new_token()
                p.token_hash = hash_token(tokens[p.id])
            return people, events

        _state, people, _events = await self._mutate(class_id, operation)
        return [{"participant": p.to_json(), "token": tokens[p.id]} for p in people]

    async def state(self, class_id: str) -> ClassState:
        return await self.store.load(class_id)

    async def state_json(self, state: ClassState) -> dict[str, Any]:
        """The breakout state as the API answers it, with each participant's presence."""
        body = state.to_json(include_people=False)
        body["participants"] = await self.people_json(state)
        return body

    async def people_json(self, state: ClassState) -> list[dict[str, Any]]:
        """Everyone in invite order, each with ``online`` (a live connection anywhere)."""
        people = [p.to_json() for p in sorted(state.people.values(), key=lambda p: p.order)]
        online = await self.online([p["id"] for p in people])
        for p in people:
            p["online"] = p["id"] in online
        return people

    # -- breakout -------------------------------------------------------------------------

    async def breakout(self, class_id: str, action: str, version: int, **args: Any) -> ClassState:
        """Run one host action on the breakout, refused if ``version`` is stale."""
        now = self.clock()
        lim = self.limits
        actions: dict[str, Callable[[ClassState], Any]] = {
            "create_rooms": lambda s: ops.create_rooms(
                s, args["titles"] or ops.default_titles(s, args["count"]), lim, new_id
            )[1],
            "rename_room": lambda s: ops.rename_room(s, args["room_id"], args["title"], lim),
            "delete_room": lambda s: ops.delete_room(s, args["room_id"]),
            "shuffle": lambda s: ops.shuffle(s, args["seed"]),
            "assign": lambda s: ops.assign(s, args["mapping"]),
            "start": lambda s: ops.start(s, now, args["duration"], args["warning"], lim),
            "close": lambda s: ops.close(s, now, args["countdown"], lim),
            "recreate": lambda s: ops.recreate(s, lim, new_id),
        }
        state, _, _ = await self._mutate(
            class_id, actions[action], expected_version=version, now=now
        )
        if action in ("start", "close"):
            self.deadline_changed()
        return state

    async def on_deadline(self, class_id: str) -> bool:
        """The timer's call: send the warning when due, close the rooms when time is up."""
        now = self.clock()
        # The warning does not bump the version: a host editing then must not conflict.
        await self._mutate(class_id, lambda s: ops.warn_if_due(s, now), bump=False, now=now)

        def closing(state: ClassState) -> list[Any]:
            if not ops.due_to_close(state, now):
                return []
            return ops.close(state, now, None, self.limits, reason="time_up")

        _state, events, _ = await self._mutate(class_id, closing, now=now)
        return bool(events)

    # -- participants acting on themselves -------------------------------------------------

    async def switch(self, who: Credential, target: str) -> ClassState:
        state, _, _ = await self._mutate(
            who.class_id, lambda s: ops.switch(s, who.participant_id, target), bump=False
        )
        return state

    async def set_media(self, who: Credential, mic: bool | None, camera: bool | None) -> ClassState:
        state, _, _ = await self._mutate(
            who.class_id,
            lambda s: ops.set_media(s.person(who.participant_id), mic, camera),
            bump=False,
        )
        return state

    # -- access ---------------------------------------------------------------------------

    async def require_host(self, who: Credential | None, class_id: str) -> None:
        """The admin key, or a participant of this class whose preset may run breakouts."""
        if who is None:
            return
        self.require_member(who, class_id)
        (await self.preset(who.preset)).require(CAN_ALTER, "change the breakout rooms")

    @staticmethod
    def require_member(who: Credential | None, class_id: str) -> None:
        if who is not None and who.class_id != class_id:
            raise Forbidden("this token belongs to another class")

    # -- plumbing -------------------------------------------------------------------------

    async def _mutate(
        self, class_id: str, operation: Callable[[ClassState], Any], **kwargs: Any
    ) -> tuple[ClassState, Any, list[StoredEvent]]:
        state, result, events = await self.store.mutate(class_id, operation, **kwargs)
        if events:
            self.published(events)
        return state, result, events
