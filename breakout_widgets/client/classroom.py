"""The controller a notebook holds: ``Classroom`` (sync) and ``AsyncClassroom``.

Both run the same plans (see ``_http``); only the driving differs. A host's controller
(``Classroom.create``) also holds the admin key, so it can invite; a student's
(``Classroom.join``) holds only their token.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from ..errors import InvalidInput, NotFound
from . import _activity_plans as plans
from ._http import AsyncTransport, Call, Plan, SyncTransport
from ._roster import names_from
from .activities import Chat, Polls
from .events import EventStream
from .models import HelpRequest, Invite, Meeting, Participant, Room, Transcript


class _Core:
    """Plans shared by the sync and async controllers; state they remember between calls."""

    def __init__(self, url: str, token: str, admin_key: str | None, me: dict[str, Any]) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.admin_key = admin_key
        self._me = me
        self.id: str = me["class"]["id"]
        self.title: str = me["class"]["title"]
        self._version: int | None = None  # the breakout state version this controller saw
        self._names: dict[str, str] = {}  # participant name -> id
        self._rooms: dict[str, str] = {}  # room title -> id (live rooms)

    # -- plans: classes and people ----------------------------------------------------------

    @staticmethod
    def _plan_create(title: str, host: str) -> Plan[dict[str, Any]]:
        created = yield Call("POST", "/v1/meetings", {"title": title, "host": host}, auth="admin")
        return created

    def _plan_invite(self, names: list[str], preset: str) -> Plan[list[Invite]]:
        if not names:
            raise InvalidInput("give at least one name")
        answer = yield Call(
            "POST",
            f"/v1/meetings/{self.id}/participants",
            {"participants": [{"name": n, "preset": preset} for n in names]},
            auth="admin",
        )
        invites = []
        for item in answer["participants"]:
            p = item["participant"]
            self._names[p["name"]] = p["id"]
            invites.append(Invite(p["name"], p["id"], item["token"], p["preset"]))
        self._version = None  # the roster is part of the versioned state
        return invites

    def _plan_participants(self) -> Plan[list[Participant]]:
        answer = yield Call("GET", f"/v1/meetings/{self.id}/participants")
        people = [Participant.from_json(p) for p in answer["participants"]]
        self._names = {p.name: p.id for p in people}
        return people

    def _plan_me(self) -> Plan[dict[str, Any]]:
        self._me = yield Call("GET", "/v1/me")
        return self._me

    def _plan_meeting(self) -> Plan[Meeting]:
        me = yield from self._plan_me()
        return Meeting.from_json(me["meeting"])

    def _plan_switch(self, target: str) -> Plan[Meeting]:
        if target not in ("main", self.id):
            target = yield from self._room_id(target)
        self._me = yield Call("POST", "/v1/me/switch", {"meeting": target})
        return Meeting.from_json(self._me["meeting"])

    def _plan_media(self, mic: bool | None, camera: bool | None) -> Plan[Participant]:
        answer = yield Call("PATCH", "/v1/me/media", {"mic": mic, "camera": camera})
        return Participant.from_json(answer)

    # -- plans: the breakout --------------------------------------------------------------

    def _remember(self, state: dict[str, Any]) -> dict[str, Any]:
        self._version = state["version"]
        self._rooms = {r["title"]: r["id"] for r in state["rooms"]}
        if "participants" in state:
            self._names = {p["name"]: p["id"] for p in state["participants"]}
        return state

    def _plan_state(self) -> Plan[dict[str, Any]]:
        state = yield Call("GET", f"/v1/meetings/{self.id}/breakout")
        return self._remember(state)

    def _plan_rooms(self) -> Plan[list[Room]]:
        state = yield from self._plan_state()
        return _rooms(state)

    def _version_now(self) -> Plan[int]:
        if self._version is None:
            yield from self._plan_state()
        assert self._version is not None
        return self._version

    def _write(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> Plan[list[Room]]:
        version = yield from self._version_now()
        if method == "DELETE":
            call = Call(method, path, params={"version": version})
        else:
            call = Call(method, path, {**(body or {}), "version": version})
        state = yield call
        return _rooms(self._remember(state))

    def _room_id(self, room: str | None) -> Plan[str | None]:
        """A room title or id to its id; ``None`` stays ``None`` (unassigned)."""
        if room is None or room in self._rooms.values():
            return room
        if room not in self._rooms:
            yield from self._plan_state()
        if room in self._rooms:
            return self._rooms[room]
        if room in self._rooms.values():
            return room
        raise NotFound(f"no room '{room}'; rooms: {', '.join(self._rooms) or 'none'}")

    def _person_id(self, who: str) -> Plan[str]:
        if who in self._names.values():
            return who
        if who not in self._names:
            yield from self._plan_participants()
        if who in self._names:
            return self._names[who]
        if who in self._names.values():
            return who
        raise NotFound(f"no participant named '{who}' in this class")

    def _base(self) -> str:
        return f"/v1/meetings/{self.id}/breakout"

    def _plan_create_rooms(self, rooms: int | list[str]) -> Plan[list[Room]]:
        if isinstance(rooms, int):
            body: dict[str, Any] = {"count": rooms}
        elif isinstance(rooms, str):
            body = {"titles": [rooms]}
        else:
            body = {"titles": list(rooms)}
        return (yield from self._write("POST", f"{self._base()}/rooms", body))

    def _plan_rename(self, room: str, title: str) -> Plan[list[Room]]:
        room_id = yield from self._room_id(room)
        return (
            yield from self._write("PATCH", f"{self._base()}/rooms/{room_id}", {"title": title})
        )

    def _plan_delete(self, room: str) -> Plan[list[Room]]:
        room_id = yield from self._room_id(room)
        return (yield from self._write("DELETE", f"{self._base()}/rooms/{room_id}"))

    def _plan_shuffle(self, seed: int | str | None) -> Plan[list[Room]]:
        return (yield from self._write("POST", f"{self._base()}/shuffle", {"seed": seed}))

    def _plan_assign(self, mapping: dict[str | None, list[str]]) -> Plan[list[Room]]:
        moves = []
        for room, people in mapping.items():
            room_id = yield from self._room_id(room)
            if isinstance(people, str):
                people = [people]
            for who in people:
                pid = yield from self._person_id(who)
                moves.append({"participant_id": pid, "room_id": room_id})
        return (yield from self._write("POST", f"{self._base()}/assign", {"moves": moves}))

    def _plan_start(self, duration: float | None, warning: float | None) -> Plan[list[Room]]:
        return (
            yield from self._write(
                "POST", f"{self._base()}/start", {"duration": duration, "warning": warning}
            )
        )

    def _plan_close(self, countdown: float | None) -> Plan[list[Room]]:
        return (yield from self._write("POST", f"{self._base()}/close", {"countdown": countdown}))

    def _plan_recreate(self) -> Plan[list[Room]]:
        return (yield from self._write("POST", f"{self._base()}/recreate"))

    def _plan_history(self) -> Plan[list[dict[str, Any]]]:
        answer = yield Call("GET", f"/v1/meetings/{self.id}/rooms")
        return answer["rooms"]

    def __repr__(self) -> str:
        who = self._me.get("participant", {}).get("name", "?")
        return f"<{type(self).__name__} {self.title!r} as {who!r}>"


def _rooms(state: dict[str, Any]) -> list[Room]:
    by_id = {p["id"]: Participant.from_json(p) for p in state.get("participants", [])}
    return [
        Room(
            r["id"],
            r["title"],
            r["status"],
            [by_id[pid] for pid in r["participants"] if pid in by_id],
        )
        for r in state["rooms"]
    ]


class Breakout:
    """``cls.breakout``: create, assign, start and close the breakout rooms (sync).

    Rooms are named by title (or id), people by name (or id). Every write sends the
    state version this controller last saw; if another host changed the rooms since,
    the service answers ``bw.Conflict`` and nothing changes: look again
    (``rooms`` or ``refresh()``) and retry.
    """

    def __init__(self, core: _Core, transport: SyncTransport) -> None:
        self._core = core
        self._t = transport

    @property
    def rooms(self) -> list[Room]:
        """The live rooms (draft or open) with the people assigned to each."""
        return self._t.run(self._core._plan_rooms())

    def refresh(self) -> dict[str, Any]:
        """Read the breakout state again (rooms, version, timer, everyone's place)."""
        return self._t.run(self._core._plan_state())

    @property
    def status(self) -> str:
        """``"none"``, ``"draft"``, ``"running"`` or ``"closed"``."""
        return self.refresh()["status"]

    @property
    def version(self) -> int | None:
        return self._core._version

    def create(self, rooms: int | list[str]) -> list[Room]:
        """Add rooms: ``create(4)`` (Room 1…4) or ``create(["Team A", "Team B"])``."""
        return self._t.run(self._core._plan_create_rooms(rooms))

    def add(self, title: str) -> list[Room]:
        """Add one room, also while the rooms run."""
        return self._t.run(self._core._plan_create_rooms([title]))

    def rename(self, room: str, title: str) -> list[Room]:
        return self._t.run(self._core._plan_rename(room, title))

    def delete(self, room: str) -> list[Room]:
        """Remove a room; while running, its people return to the main meeting."""
        return self._t.run(self._core._plan_delete(room))

    def shuffle(self, seed: int | str | None = None) -> list[Room]:
        """Split everyone but the hosts evenly; the same seed gives the same rooms."""
        return self._t.run(self._core._plan_shuffle(seed))

    def assign(self, mapping: dict[str | None, list[str]]) -> list[Room]:
        """``assign({"Team A": ["Ada", "Grace"]})``; the key ``None`` unassigns."""
        return self._t.run(self._core._plan_assign(mapping))

    def move(self, who: str, room: str | None) -> list[Room]:
        """Move one person to a room (while running they go there at once)."""
        return self._t.run(self._core._plan_assign({room: [who]}))

    def unassign(self, who: str) -> list[Room]:
        return self._t.run(self._core._plan_assign({None: [who]}))

    def start(self, duration: float | None = None, warning: float | None = None) -> list[Room]:
        """Open the rooms; with ``duration`` (s) the service closes them when time is up."""
        return self._t.run(self._core._plan_start(duration, warning))

    def close(self, countdown: float | None = None) -> list[Room]:
        """Everyone back to the main meeting, now or after ``countdown`` seconds."""
        return self._t.run(self._core._plan_close(countdown))

    def recreate(self) -> list[Room]:
        """A new draft with the rooms and assignment of the last closed breakout."""
        return self._t.run(self._core._plan_recreate())

    def history(self) -> list[dict[str, Any]]:
        """Every room the class ever had, closed ones included."""
        return self._t.run(self._core._plan_history())

    def broadcast(self, text: str) -> dict[str, Any]:
        """Send ``text`` to the main meeting and every open room at once."""
        return self._t.run(plans.broadcast(self._core, text))


class Classroom:
    """A class seen from one participant: the host's control panel or a student's seat."""

    def __init__(self, core: _Core, transport: SyncTransport) -> None:
        self._core = core
        self._t = transport
        self.breakout = Breakout(core, transport)
        self.chat = Chat(core, transport)
        self.polls = Polls(core, transport, owner=self)
        self._stream: EventStream | None = None

    @classmethod
    def create(cls, url: str, *, admin_key: str, title: str, host: str = "Host") -> Classroom:
        """Create a class (its main meeting) with ``host`` as its host participant."""
        admin = SyncTransport(url, admin_key=admin_key)
        try:
            created = admin.run(_Core._plan_create(title, host))
        finally:
            admin.close()
        return cls.join(url, created["host"]["token"], admin_key=admin_key)

    @classmethod
    def join(cls, url: str, token: str, *, admin_key: str | None = None) -> Classroom:
        """The controller of the participant whose token this is."""
        transport = SyncTransport(url, token=token, admin_key=admin_key)
        try:
            me = transport.request(Call("GET", "/v1/me"))
        except BaseException:
            transport.close()
            raise
        return cls(_Core(url, token, admin_key, me), transport)

    @property
    def id(self) -> str:
        return self._core.id

    @property
    def title(self) -> str:
        return self._core.title

    @property
    def url(self) -> str:
        return self._core.url

    @property
    def token(self) -> str:
        return self._core.token

    @property
    def me(self) -> Participant:
        """This controller's participant, as last read."""
        return Participant.from_json(self._core._me["participant"])

    @property
    def meeting(self) -> Meeting:
        """The meeting this participant is in now (main meeting title = class title)."""
        return self._t.run(self._core._plan_meeting())

    @property
    def participants(self) -> list[Participant]:
        return self._t.run(self._core._plan_participants())

    def invite(self, name: str, preset: str = "participant") -> Invite:
        """Add one participant (needs the admin key); the Invite holds their token."""
        return self._t.run(self._core._plan_invite([name], preset))[0]

    def invite_many(self, names: Any, preset: str = "participant") -> list[Invite]:
        """Add many at once (all or none): names, a CSV path or a DataFrame with ``name``."""
        return self._t.run(self._core._plan_invite(names_from(names), preset))

    def switch(self, target: str) -> Meeting:
        """Go to ``"main"`` or a room (title or id), as this participant's preset allows."""
        return self._t.run(self._core._plan_switch(target))

    def set_media(self, *, mic: bool | None = None, camera: bool | None = None) -> Participant:
        return self._t.run(self._core._plan_media(mic, camera))

    # -- live events ------------------------------------------------------------------------

    @property
    def events(self) -> EventStream:
        """The live connection (opened on first use; it reconnects and resumes by itself)."""
        if self._stream is None:
            self._stream = EventStream(self.url, self.token, on_reload=self._reload)
            self._stream.on("state_update", self._core_saw_state)
            self._stream.start()
        return self._stream

    def connect(self, wait: float = 10.0) -> Classroom:
        """Open the live connection now (``on`` does it too)."""
        self.events.connected.wait(wait)
        return self

    def on(self, event_type: str, callback: Callable[[dict[str, Any]], Any]) -> None:
        """Call ``callback(event)`` for each event of this type (``"*"``: every event).

        Types: meeting_changed, changing_meeting, state_update, chat_message, poll_update,
        broadcast, timer, presence, help_requested (and reload). The event has ``type``,
        ``meeting_id``, ``seq`` and ``data``. Callbacks run on a background thread, also
        while a notebook cell is busy: keep them short.
        """
        self.events.on(event_type, callback)

    def off(self, event_type: str, callback: Callable[[dict[str, Any]], Any] | None = None) -> None:
        """Stop calling ``callback`` (or every callback of this type)."""
        if self._stream is not None:
            self._stream.off(event_type, callback)

    def _core_saw_state(self, event: dict[str, Any]) -> None:
        self._core._version = None  # someone changed the rooms: read the version again

    def _reload(self, meeting_id: str) -> None:
        """The service could not replay a large gap: read the state afresh."""
        with contextlib.suppress(Exception):
            self.breakout.refresh()

    # -- talking to everyone ------------------------------------------------------------------

    def ask_for_help(self) -> HelpRequest:
        """Put yourself in the host's help queue (once until it is resolved)."""
        return self._t.run(plans.ask_for_help(self._core))

    @property
    def help_queue(self) -> list[HelpRequest]:
        """Open help requests: who, from which room, since when (hosts)."""
        return self._t.run(plans.help_queue(self._core))

    def resolve_help(self, request: HelpRequest | str) -> HelpRequest:
        request_id = request.id if isinstance(request, HelpRequest) else request
        return self._t.run(plans.resolve_help(self._core, request_id))

    def transcript(self, meeting: str | None = None) -> Transcript:
        """A meeting's record ("main", a room title, closed rooms too; default: where you
        are): ``.to_json()`` and ``.to_dataframe()``."""
        return self._t.run(plans.transcript(self._core, meeting))

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called (or the ``with`` block ended)."""
        return self._t._client.is_closed

    def close(self) -> None:
        """Disconnect: the live connection and the HTTP client."""
        if self._stream is not None:
            self._stream.stop()
            self._stream = None
        self._t.close()

    def __enter__(self) -> Classroom:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Classroom {self.title!r} as {self.me.name!r}>"


class AsyncBreakout:
    """The async twin of ``Breakout``: the same methods, awaited."""

    def __init__(self, core: _Core, transport: AsyncTransport) -> None:
        self._core = core
        self._t = transport

    async def rooms(self) -> list[Room]:
        return await self._t.run(self._core._plan_rooms())

    async def refresh(self) -> dict[str, Any]:
        return await self._t.run(self._core._plan_state())

    async def create(self, rooms: int | list[str]) -> list[Room]:
        return await self._t.run(self._core._plan_create_rooms(rooms))

    async def add(self, title: str) -> list[Room]:
        return await self._t.run(self._core._plan_create_rooms([title]))

    async def rename(self, room: str, title: str) -> list[Room]:
        return await self._t.run(self._core._plan_rename(room, title))

    async def delete(self, room: str) -> list[Room]:
        return await self._t.run(self._core._plan_delete(room))

    async def shuffle(self, seed: int | str | None = None) -> list[Room]:
        return await self._t.run(self._core._plan_shuffle(seed))

    async def assign(self, mapping: dict[str | None, list[str]]) -> list[Room]:
        return await self._t.run(self._core._plan_assign(mapping))

    async def move(self, who: str, room: str | None) -> list[Room]:
        return await self._t.run(self._core._plan_assign({room: [who]}))

    async def unassign(self, who: str) -> list[Room]:
        return await self._t.run(self._core._plan_assign({None: [who]}))

    async def start(
        self, duration: float | None = None, warning: float | None = None
    ) -> list[Room]:
        return await self._t.run(self._core._plan_start(duration, warning))

    async def close(self, countdown: float | None = None) -> list[Room]:
        return await self._t.run(self._core._plan_close(countdown))

    async def recreate(self) -> list[Room]:
        return await self._t.run(self._core._plan_recreate())

    async def history(self) -> list[dict[str, Any]]:
        return await self._t.run(self._core._plan_history())


class AsyncClassroom:
    """The async twin of ``Classroom`` for bots and services."""

    def __init__(self, core: _Core, transport: AsyncTransport) -> None:
        self._core = core
        self._t = transport
        self.breakout = AsyncBreakout(core, transport)

    @classmethod
    async def create(
        cls, url: str, *, admin_key: str, title: str, host: str = "Host"
    ) -> AsyncClassroom:
        admin = AsyncTransport(url, admin_key=admin_key)
        try:
            created = await admin.run(_Core._plan_create(title, host))
        finally:
            await admin.close()
        return await cls.join(url, created["host"]["token"], admin_key=admin_key)

    @classmethod
    async def join(cls, url: str, token: str, *, admin_key: str | None = None) -> AsyncClassroom:
        transport = AsyncTransport(url, token=token, admin_key=admin_key)
        try:
            me = await transport.request(Call("GET", "/v1/me"))
        except BaseException:
            await transport.close()
            raise
        return cls(_Core(url, token, admin_key, me), transport)

    @property
    def id(self) -> str:
        return self._core.id

    @property
    def title(self) -> str:
        return self._core.title

    @property
    def url(self) -> str:
        return self._core.url

    @property
    def token(self) -> str:
        return self._core.token

    @property
    def me(self) -> Participant:
        """This controller's participant, as last read."""
        return Participant.from_json(self._core._me["participant"])

    async def meeting(self) -> Meeting:
        return await self._t.run(self._core._plan_meeting())

    async def participants(self) -> list[Participant]:
        return await self._t.run(self._core._plan_participants())

    async def invite(self, name: str, preset: str = "participant") -> Invite:
        return (await self._t.run(self._core._plan_invite([name], preset)))[0]

    async def invite_many(self, names: Any, preset: str = "participant") -> list[Invite]:
        return await self._t.run(self._core._plan_invite(names_from(names), preset))

    async def switch(self, target: str) -> Meeting:
        return await self._t.run(self._core._plan_switch(target))

    async def set_media(
        self, *, mic: bool | None = None, camera: bool | None = None
    ) -> Participant:
        return await self._t.run(self._core._plan_media(mic, camera))

    async def close(self) -> None:
        await self._t.close()

    async def __aenter__(self) -> AsyncClassroom:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
