"""One simulated student: joins with their token, follows live events, chats and votes.

Everything a student does runs as tasks on the controllers' shared background loop
(``client/_loop.py``): thirty students add no thread. Each kind of choice has its own
seeded random stream, so which option a student picks does not depend on how the
chat timing happened to fall.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from ..client import _activity_plans as plans
from ..client.classroom import AsyncClassroom, Classroom
from ..client.events import EventStream
from ..client.models import Invite
from ..errors import BreakoutError, RateLimited
from ._script import line

log = logging.getLogger("breakout_widgets.rehearsal")

CONNECT_WAIT = 10.0  # seconds a student waits for their live connection before moving on


@dataclass(frozen=True)
class Behaviour:
    """What the students of one rehearsal do, and how fast."""

    chat: bool
    chat_every: tuple[float, float]  # seconds between two messages of one student in a room
    vote: bool
    vote_after: tuple[float, float]  # seconds a student "thinks" before voting
    help: float  # chance of asking for help, per room visit
    max_messages: int  # per student: a forgotten rehearsal stops talking


class SimulatedStudent:
    """A simulated student: ``name``, ``invite``, ``online``, ``meeting_id`` (live),
    what they did (``messages_sent``, ``votes``, ``asked_for_help``), and ``classroom``,
    a sync controller to act as them by hand."""

    def __init__(
        self, invite: Invite, url: str, class_id: str, behaviour: Behaviour, key: str
    ) -> None:
        self.invite = invite
        self.name = invite.name
        self.participant_id = invite.participant_id
        self.messages_sent = 0
        self.votes: dict[str, str] = {}  # poll id -> the option voted for
        self.asked_for_help = 0
        self.stream = EventStream(url, invite.token)
        self._url = url
        self._class_id = class_id
        self._b = behaviour
        self._pace = random.Random(f"{key}:pace")  # delays only
        self._words = random.Random(f"{key}:words")
        self._choices = random.Random(f"{key}:votes")
        self._helping = random.Random(f"{key}:help")
        self._seat: AsyncClassroom | None = None  # their async controller, on the loop
        self._gate = asyncio.Semaphore(1)  # replaced by the rehearsal's in start()
        self._classroom: Classroom | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._in_room: asyncio.Event | None = None
        self._where: str | None = None  # the meeting of the last arrival
        self._greeted: set[str] = set()  # rooms this student said hello in
        self._polls_seen: set[str] = set()

    # -- what a notebook reads -----------------------------------------------------------

    @property
    def online(self) -> bool:
        """Their live connection is open."""
        return self.stream.connected.is_set()

    @property
    def meeting_id(self) -> str | None:
        """The meeting they are in now, as their live connection knows it."""
        return self.stream.meeting_id

    @property
    def classroom(self) -> Classroom:
        """A sync controller of this student (made on first use), e.g. to switch by hand."""
        if self._classroom is None:
            self._classroom = Classroom.join(self._url, self.invite.token)
        return self._classroom

    def __repr__(self) -> str:
        return f"<SimulatedStudent {self.name!r} ({'online' if self.online else 'offline'})>"

    # -- lifecycle (coroutines run on the shared loop) -------------------------------------

    async def start(self, gate: asyncio.Semaphore) -> None:
        """Join over HTTP, open the live connection, then act on what happens.

        ``gate`` bounds the requests and handshakes of the whole rehearsal in flight at
        once, so thirty students arriving together do not swamp the service.
        """
        self._gate = gate
        async with gate:
            self._seat = await AsyncClassroom.join(self._url, self.invite.token)
            self._in_room = asyncio.Event()
            self.stream.on("meeting_changed", self._moved)
            self.stream.on("poll_update", self._poll_update)
            self.stream.start(wait=None)
            await self._connected(CONNECT_WAIT)
        self._spawn(self._live())

    async def close(self) -> None:
        """Stop acting and close the HTTP client (the caller stops ``stream``)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._seat is not None:
            await self._seat.close()

    def close_classroom(self) -> None:
        if self._classroom is not None:
            self._classroom.close()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)  # keep a reference: the loop holds tasks only weakly
        task.add_done_callback(self._tasks.discard)

    # The async controller has no chat or polls of its own yet: run the shared plans on
    # its transport, as the sync controller's Chat and Polls do on theirs.
    @property
    def _core(self) -> Any:
        assert self._seat is not None
        return self._seat._core

    async def _run(self, plan: Any) -> Any:
        assert self._seat is not None
        async with self._gate:
            return await self._seat._t.run(plan)

    async def _connected(self, timeout: float) -> bool:
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.stream.connected.is_set():  # set by the welcome, on this loop
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    async def _live(self) -> None:
        while not await self._connected(CONNECT_WAIT):
            pass  # still connecting (the service may be restarting): keep waiting
        self._arrived(self.stream.meeting_id)
        if self._b.vote:  # polls opened before this student connected
            with contextlib.suppress(BreakoutError):
                for poll in await self._run(plans.list_polls(self._core, None)):
                    self._consider(poll)
        if self._b.chat:
            await self._chatter()

    # -- reacting to events (callbacks run on the loop, so they only schedule) -------------

    def _moved(self, event: dict[str, Any]) -> None:
        data = event["data"]
        if data.get("participant_id") == self.participant_id:
            self._arrived(data.get("to"))

    def _arrived(self, meeting_id: str | None) -> None:
        assert self._in_room is not None
        if meeting_id == self._where:
            return  # the welcome and a move can both report the same arrival
        self._where = meeting_id
        if meeting_id is None or meeting_id == self._class_id:
            self._in_room.clear()
            return
        self._in_room.set()
        if self._b.help and self._helping.random() < self._b.help:
            self._spawn(self._ask_for_help(meeting_id))

    def _poll_update(self, event: dict[str, Any]) -> None:
        data = event["data"]
        if data.get("action") == "created" and self._b.vote:
            self._consider(data["poll"])

    def _consider(self, poll: dict[str, Any]) -> None:
        """Vote once on an open poll of the meeting this student is in."""
        if poll["id"] in self._polls_seen or poll.get("status", "open") != "open":
            return
        if poll["meeting_id"] != self.stream.meeting_id:
            return  # the service lets people vote only where the poll runs
        self._polls_seen.add(poll["id"])
        option = self._choices.choice(poll["options"])
        self._spawn(self._vote(poll["id"], option))

    # -- acting ----------------------------------------------------------------------------

    async def _vote(self, poll_id: str, option: str) -> None:
        await asyncio.sleep(self._pace.uniform(*self._b.vote_after))
        try:
            await self._run(plans.vote(poll_id, option))
        except BreakoutError as exc:  # closed meanwhile, or the student moved
            log.debug("%s could not vote: %s", self.name, exc)
            return
        self.votes[poll_id] = option

    async def _chatter(self) -> None:
        assert self._in_room is not None
        while self.messages_sent < self._b.max_messages:
            await self._in_room.wait()
            room = self.stream.meeting_id
            await asyncio.sleep(self._pace.uniform(*self._b.chat_every))
            if room is None or self.stream.meeting_id != room:
                continue  # moved while thinking
            text = line(self._words, first=room not in self._greeted)
            try:
                await self._run(plans.send_chat(self._core, text, None, None))
            except RateLimited as exc:
                await asyncio.sleep(float(exc.details.get("retry_after", 1.0)))
                continue
            except BreakoutError as exc:  # e.g. the rooms closed under the message
                log.debug("%s could not chat: %s", self.name, exc)
                continue
            self._greeted.add(room)
            self.messages_sent += 1

    async def _ask_for_help(self, room: str) -> None:
        await asyncio.sleep(self._pace.uniform(*self._b.chat_every))
        if self.stream.meeting_id != room:
            return
        try:
            await self._run(plans.ask_for_help(self._core))
        except BreakoutError as exc:  # already waiting for help
            log.debug("%s could not ask for help: %s", self.name, exc)
            return
        self.asked_for_help += 1
