"""``bw.rehearsal.students``: simulated students join, vote and chat against a real
service, deterministically with a seed, and leave on ``stop()`` or when the host's
controller closes.

The service runs in a child process here, so the thread count of this process is the
students' alone, and with a short presence grace so "offline" shows within a second.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

import breakout_widgets as bw
from breakout_widgets.rehearsal._script import FIRST_NAMES, GREETINGS, LINES, pick_names

SERVE = """
import sys
from pathlib import Path
from breakout_widgets.service.server import serve_forever
from breakout_widgets.service.settings import Settings
folder = Path(sys.argv[1])
settings = Settings(db=str(folder / "breakout.db"), data_dir=folder, presence_grace=0.2).resolve()
serve_forever(settings, "127.0.0.1", 0, log_level="warning",
              on_ready=lambda url: print(url, settings.admin_key, flush=True))
"""


@dataclass
class ChildService:
    url: str
    admin_key: str


@pytest.fixture(scope="module")
def child_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildService]:
    folder = tmp_path_factory.mktemp("rehearsal-service")
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        url, key = proc.stdout.readline().split()
        yield ChildService(url, key)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()


@pytest.fixture
def cls(child_service: ChildService) -> Iterator[bw.Classroom]:
    host = bw.Classroom.create(
        child_service.url, admin_key=child_service.admin_key, title="Algebra 1", host="Ms. Rivera"
    )
    yield host
    host.close()


def wait_for(predicate, timeout: float = 10.0, what: str = "it"):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return value


def online(cls: bw.Classroom) -> dict[str, bool]:
    """Who the service counts as online, by name (hosts left out)."""
    people = cls.breakout.refresh()["participants"]
    return {p["name"]: p["online"] for p in people if p["preset"] != "host"}


def test_thirty_students_join_vote_and_leave(cls):
    threads = threading.active_count()
    r = bw.rehearsal.students(cls, 30, seed=7, chat=False, vote_after=(0.0, 0.3))
    try:
        assert all(s.online for s in r.students)
        names = [s.name for s in r.students]
        assert len(set(names)) == 30 and set(names) <= set(FIRST_NAMES)
        assert wait_for(lambda: all(online(cls).values()), what="30 online") is True
        assert len(online(cls)) == 30
        assert repr(r) == "<Rehearsal 'Algebra 1': 30 simulated students, running>"

        poll = cls.polls.create("Which is faster?", ["A", "B", "C"])
        results = r.wait_for_votes(poll, timeout=15)
        assert sum(results.values()) == 30
        wait_for(lambda: sum(len(s.votes) for s in r.students) == 30, 5, "30 answers seen")
        # Thirty students, no thread each: only the shared event loop may be new.
        assert threading.active_count() - threads <= 1
    finally:
        r.stop()
    assert not r.running
    assert repr(r) == "<Rehearsal 'Algebra 1': 30 simulated students, stopped>"
    wait_for(lambda: not any(online(cls).values()), 5, "everyone offline")
    assert len(online(cls)) == 30  # they stay invited: the board shows them offline
    r.stop()  # twice is harmless


def test_the_same_seed_gives_the_same_class(child_service):
    outcomes = []
    for _ in range(2):
        with (
            bw.Classroom.create(
                child_service.url, admin_key=child_service.admin_key, title="Algebra 1"
            ) as host,
            bw.rehearsal.students(host, 8, seed="lesson-1", chat=False, vote_after=(0, 0)) as r,
        ):
            poll = host.polls.create("Which?", ["A", "B", "C"])
            results = r.wait_for_votes(poll, timeout=10)
            outcomes.append(([s.name for s in r.students], results))
    assert outcomes[0] == outcomes[1]


def test_students_chat_in_their_rooms_with_few_messages(cls):
    with bw.rehearsal.students(
        cls, 12, seed=3, chat_every=(0.25, 0.5), max_messages=2, vote=False
    ) as r:
        cls.breakout.create(3)
        cls.breakout.shuffle(seed=1)
        cls.breakout.start()
        rooms = {room.title: set(room.names) for room in cls.breakout.rooms}

        def chats() -> dict[str, list[bw.Message]] | None:
            found = {title: cls.chat.history(title) for title in rooms}
            return found if all(len(m) >= len(rooms[t]) for t, m in found.items()) else None

        history = wait_for(chats, 15, "a message from everyone in every room")
        for title, messages in history.items():
            assert {m.sender_name for m in messages} == rooms[title]  # only the room's people
            for m in messages:
                assert m.text in GREETINGS + LINES
        first_words = {title: messages[0].text for title, messages in history.items()}
        assert all(text in GREETINGS for text in first_words.values())  # hello first
        assert cls.chat.history("main") == []  # nobody chatted in the main meeting
        wait_for(lambda: all(s.messages_sent == 2 for s in r.students), 10, "the cap")
        time.sleep(0.6)  # longer than chat_every: a student past the cap would speak again
        assert sum(len(m) for m in (cls.chat.history(t) for t in rooms)) == 24


def test_they_ask_for_help_when_told(cls):
    with bw.rehearsal.students(cls, 3, seed=1, chat_every=(0.25, 0.3), help=1.0) as r:
        cls.breakout.create(["Red"])
        cls.breakout.shuffle()
        cls.breakout.start()
        queue = wait_for(lambda: len(cls.help_queue) == 3 and cls.help_queue, 10, "3 asks")
        assert {h.name for h in queue} == {s.name for s in r.students}
        assert {h.room for h in queue} == {"Red"}


def test_closing_the_hosts_controller_ends_the_rehearsal(child_service):
    host = bw.Classroom.create(
        child_service.url, admin_key=child_service.admin_key, title="Algebra 1"
    )
    r = bw.rehearsal.students(host, 5, seed=2, chat=False)
    watcher = bw.Classroom.create(
        child_service.url, admin_key=child_service.admin_key, title="Other"
    )
    try:
        host.close()
        wait_for(lambda: not r.running, 5, "the rehearsal to stop")
        wait_for(lambda: not any(s.online for s in r.students), 5, "the students to disconnect")
    finally:
        watcher.close()
        r.stop()


def test_a_student_can_be_driven_by_hand_and_names_do_not_clash(cls):
    cls.invite_many(["Ada", "Grace"])
    with bw.rehearsal.students(cls, names=["Ana", "Ben"], chat=False) as r:
        assert [s.name for s in r.students] == ["Ana", "Ben"]
        ana = r.students[0]
        assert ana.classroom.meeting.title == "Algebra 1"
        assert repr(ana) == "<SimulatedStudent 'Ana' (online)>"
    names = pick_names(len(FIRST_NAMES) + 2, __import__("random").Random(1), taken=["Ada"])
    assert len(set(names)) == len(names) and "Ada" not in names
    assert names[-3:] == ["Aarav 2", "Abena 2", "Ada 2"]


def test_bad_pacing_is_refused_before_anyone_is_invited(cls):
    with pytest.raises(bw.InvalidInput, match="chat_every"):
        bw.rehearsal.students(cls, 3, chat_every=(0.01, 0.1))
    assert len(cls.participants) == 1  # only the host
