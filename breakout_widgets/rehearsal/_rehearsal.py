"""``students(cls, n)``: a class of simulated students, and the ``Rehearsal`` that holds them."""

from __future__ import annotations

import asyncio
import random
import secrets
import threading
import time
from collections.abc import Sequence
from typing import Any

from ..client._loop import background_loop, submit
from ..client.classroom import Classroom
from ..errors import InvalidInput
from ._script import pick_names
from ._student import Behaviour, SimulatedStudent

MIN_CHAT_GAP = 0.25  # seconds; the service allows 5 messages/s per person on average
# Requests a rehearsal has in flight at once: thirty students arriving or voting in the
# same instant would otherwise crowd the service's database pool.
IN_FLIGHT = 4
WATCH_EVERY = 0.25  # seconds between looks at whether the host closed the class


class Rehearsal:
    """Simulated students in a class. They stop on ``stop()``, at the end of a ``with``
    block, or when the host's controller is closed (``cls.close()``)."""

    def __init__(self, host: Classroom, students: list[SimulatedStudent]) -> None:
        self.host = host
        self.students = students
        self._running = True
        self._lock = threading.Lock()
        self._starting: Any = None
        self._watch: Any = None

    @property
    def running(self) -> bool:
        return self._running

    def _start(self, timeout: float) -> None:
        async def start_all() -> None:
            gate = asyncio.Semaphore(IN_FLIGHT)
            await asyncio.gather(*(s.start(gate) for s in self.students))

        self._starting = submit(start_all())
        self._starting.result(timeout)
        self._watch = submit(self._watch_host())

    async def _watch_host(self) -> None:
        # The service has no "class closed" event: the host closing their controller
        # (Classroom.close(), also at the end of its `with` block) ends the class here.
        while not self.host.closed:
            await asyncio.sleep(WATCH_EVERY)
        # stop() waits for tasks on this loop: it must not run on it.
        threading.Thread(target=self.stop, name="breakout-rehearsal-stop", daemon=True).start()

    def stop(self, timeout: float = 10.0) -> None:
        """The students disconnect (their presence goes offline); they stay invited."""
        with self._lock:
            if not self._running:
                return
            self._running = False
        if _on_loop():
            threading.Thread(target=self._shut, args=(timeout,), daemon=True).start()
        else:
            self._shut(timeout)

    def _shut(self, timeout: float) -> None:
        for future in (self._starting, self._watch):
            if future is not None:
                future.cancel()  # e.g. students still connecting when start timed out

        async def close_all() -> None:
            await asyncio.gather(*(s.close() for s in self.students), return_exceptions=True)

        submit(close_all()).result(timeout)
        for student in self.students:
            student.stream.stop(timeout)
            student.close_classroom()

    def wait_joined(self, timeout: float = 10.0) -> None:
        """Return once every student's live connection is open (else ``TimeoutError``)."""
        _wait(
            lambda: all(s.online for s in self.students),
            timeout,
            lambda: (
                f"{sum(s.online for s in self.students)} of {len(self.students)} "
                f"simulated students connected after {timeout:g} s"
            ),
        )

    def wait_for_votes(
        self, poll: Any, n: int | None = None, timeout: float = 30.0
    ) -> dict[str, int]:
        """Wait until ``poll`` has at least ``n`` votes; return its results.

        ``n`` defaults to the simulated students in the poll's meeting now (votes from
        anyone count towards it).
        """
        if n is None:
            n = sum(1 for s in self.students if s.meeting_id == poll.meeting_id)
        results: dict[str, int] = {}

        def enough() -> bool:
            nonlocal results
            results = poll.results()
            return sum(results.values()) >= n

        _wait(enough, timeout, lambda: f"{sum(results.values())} of {n} votes after {timeout:g} s")
        return results

    def __enter__(self) -> Rehearsal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __len__(self) -> int:
        return len(self.students)

    def __repr__(self) -> str:
        state = "running" if self._running else "stopped"
        return f"<Rehearsal {self.host.title!r}: {len(self.students)} simulated students, {state}>"


def students(
    cls: Classroom,
    n: int = 30,
    *,
    names: Sequence[str] | None = None,
    seed: int | str | None = None,
    chat: bool = True,
    chat_every: tuple[float, float] = (5.0, 30.0),
    vote: bool = True,
    vote_after: tuple[float, float] = (0.5, 3.0),
    help: bool | float = False,
    max_messages: int = 20,
    wait: float | None = 10.0,
) -> Rehearsal:
    """Invite ``n`` simulated students into the host's class ``cls`` and let them take part.

    They join with their own tokens and follow the live events; in a breakout room
    each says hello, then something every ``chat_every`` seconds (at most
    ``max_messages`` in all; ``chat=False``: silent); they vote a random option on each
    poll opened in the meeting they are in (``vote=False``: never), after
    ``vote_after`` seconds; with ``help`` (True or a chance per room visit) some ask for
    help. The same ``seed`` gives the same names, words and votes. ``names`` replaces
    the built-in first names (then ``n`` is ``len(names)``). Waits up to ``wait``
    seconds until all are connected.
    """
    if names is not None:
        names = list(names)
        n = len(names)
    if n < 1:
        raise InvalidInput("a rehearsal needs at least one student")
    low, high = chat_every
    if not MIN_CHAT_GAP <= low <= high:
        raise InvalidInput(
            f"chat_every must be (low, high) with {MIN_CHAT_GAP} <= low <= high seconds"
        )
    if not 0 <= vote_after[0] <= vote_after[1]:
        raise InvalidInput("vote_after must be (low, high) with 0 <= low <= high seconds")
    behaviour = Behaviour(
        chat=chat,
        chat_every=(float(low), float(high)),
        vote=vote,
        vote_after=(float(vote_after[0]), float(vote_after[1])),
        help=0.15 if help is True else float(help),
        max_messages=max_messages,
    )
    base = seed if seed is not None else secrets.randbits(64)
    if names is None:
        taken = {p.name for p in cls.participants}
        names = pick_names(n, random.Random(f"{base}:names"), taken)
    invites = cls.invite_many(names)
    people = [
        SimulatedStudent(invite, cls.url, cls.id, behaviour, f"{base}:{i}")
        for i, invite in enumerate(invites)
    ]
    rehearsal = Rehearsal(cls, people)
    try:
        rehearsal._start(timeout=max(wait or 0.0, 30.0))
        if wait:
            rehearsal.wait_joined(wait)
    except BaseException:
        rehearsal.stop()
        raise
    return rehearsal


def _on_loop() -> bool:
    try:
        return asyncio.get_running_loop() is background_loop()
    except RuntimeError:
        return False


def _wait(done: Any, timeout: float, why: Any) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(why())
        time.sleep(0.05)
