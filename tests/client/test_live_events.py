"""The controller's live connection: events arrive while the caller is busy, in order,
once, across dropped connections; chat, polls, broadcast, help and records."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

import breakout_widgets as bw
from breakout_widgets.service.server import BackgroundServer


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


@pytest.fixture
def fast_chat_service(backend):
    """A service whose chat rate limit does not slow a 100-message test down."""
    server = BackgroundServer(backend.settings(timer_poll=0.5, chat_rate=1000, chat_burst=1000))
    server.start()
    try:
        yield SimpleNamespace(url=server.url, admin_key=server.settings.admin_key)
    finally:
        server.stop()


def _lesson(service):
    host = bw.Classroom.create(
        service.url, admin_key=service.admin_key, title="Algebra 1", host="Ms. Rivera"
    )
    ada_inv, grace_inv, alan_inv = host.invite_many(["Ada", "Grace", "Alan"])
    host.breakout.create(["Red", "Blue"])
    host.breakout.assign({"Red": ["Ada", "Grace"], "Blue": ["Alan"]})
    ada = bw.Classroom.join(service.url, ada_inv.token)
    grace = bw.Classroom.join(service.url, grace_inv.token)
    alan = bw.Classroom.join(service.url, alan_inv.token)
    return host, ada, grace, alan


@pytest.fixture
def lesson(service):
    people = _lesson(service)
    yield people
    for c in people:
        c.close()


@pytest.fixture
def fast_lesson(fast_chat_service):
    people = _lesson(fast_chat_service)
    yield people
    for c in people:
        c.close()


def test_chat_arrives_live_while_the_main_thread_is_busy(lesson):
    host, ada, grace, alan = lesson
    host.breakout.start()
    got: list[str] = []
    ada.on("chat_message", lambda e: got.append(e["data"]["text"]))
    ada.connect()
    # Presence shows on the board's roster: Ada is connected, Grace is not (yet).
    online = {p.name: p.online for r in host.breakout.rooms for p in r.participants}
    assert online == {"Ada": True, "Grace": False, "Alan": False}
    blue: list[str] = []
    alan.on("chat_message", lambda e: blue.append(e["data"]["text"]))
    alan.connect()

    def other_student() -> None:
        for i in range(5):
            grace.chat.send(f"msg {i}")

    sender = threading.Thread(target=other_student)
    sender.start()
    time.sleep(1.0)  # a long-running "cell": the main thread does nothing for the events
    sender.join()
    wait_for(lambda: len(got) == 5)
    assert got == [f"msg {i}" for i in range(5)]
    assert blue == []  # room isolation: Blue never sees Red's chat
    history = ada.chat.history()
    assert [m.text for m in history] == got
    assert history[0]["sender"]["name"] == "Grace"


def test_resume_after_a_dropped_connection_loses_and_doubles_nothing(fast_lesson):
    host, ada, grace, _alan = fast_lesson
    host.breakout.start()
    got: list[int] = []
    ada.on("chat_message", lambda e: got.append(int(e["data"]["text"])))
    ada.connect()
    for i in range(100):
        grace.chat.send(str(i))
        if i in (20, 60):
            ada.events.drop()  # the connection breaks mid-stream; it comes back by itself
    wait_for(lambda: len(got) >= 100, timeout=20)
    time.sleep(0.3)
    assert got == list(range(100))
    assert ada.events.connections >= 2


def test_meeting_follows_moves_and_timer_events_arrive(lesson):
    host, ada, _grace, _alan = lesson
    moves: list[str] = []
    timer: list[str] = []
    ada.on(
        "meeting_changed",
        lambda e: (
            moves.append(e["data"]["to"]) if e["data"]["participant_id"] == ada.me.id else None
        ),
    )
    ada.on("timer", lambda e: timer.append(e["data"]["phase"]))
    ada.connect()
    host.breakout.start(duration=1.5, warning=1)
    wait_for(lambda: timer == ["warning", "closed"], timeout=15)
    wait_for(lambda: len(moves) == 2)
    assert ada.meeting.title == "Algebra 1"
    assert ada.events.meeting_id == host.id


def test_broadcast_reaches_every_room_once_per_person(lesson):
    host, ada, _grace, alan = lesson
    host.breakout.start()
    seen: dict[str, list[str]] = {"ada": [], "alan": []}
    ada.on("broadcast", lambda e: seen["ada"].append(e["data"]["text"]))
    alan.on("broadcast", lambda e: seen["alan"].append(e["data"]["text"]))
    ada.connect()
    alan.connect()
    host.breakout.broadcast("5 minutes left")
    wait_for(lambda: seen["ada"] and seen["alan"])
    time.sleep(0.3)
    assert seen == {"ada": ["5 minutes left"], "alan": ["5 minutes left"]}


def test_polls_help_and_transcript(lesson):
    host, ada, grace, _alan = lesson
    host.breakout.start()
    updates: list[dict] = []
    ada.on("poll_update", lambda e: updates.append(e["data"]))
    ada.connect()
    with pytest.raises(bw.Forbidden):  # the participant preset may vote, not create
        grace.polls.create("Mine?", ["A", "B"])
    poll = host.polls.create("Which is faster?", ["A", "B"], meeting="Red")
    ada_poll = ada.polls.list()[-1]
    assert ada_poll.vote("A") == {"A": 1, "B": 0}
    assert ada_poll.vote("B") == {"A": 0, "B": 1}  # a vote may change until the close
    grace.polls.list()[-1].vote("B")
    assert poll.results() == {"A": 0, "B": 2}
    assert poll.close() == {"A": 0, "B": 2}
    with pytest.raises(bw.BreakoutError, match="closed"):
        ada_poll.vote("A")
    wait_for(lambda: [u["action"] for u in updates][-1:] == ["closed"])

    request = ada.ask_for_help()
    queue = host.help_queue
    assert [(r.name, r.room) for r in queue] == [("Ada", "Red")]
    assert queue[0].since == pytest.approx(request.since)
    host.resolve_help(queue[0])
    assert host.help_queue == []

    ada.chat.send("the answer is B")
    host.breakout.close()
    record = host.transcript("Red")  # a closed room stays readable
    types = [e["type"] for e in record.to_json()]
    assert {"participant_joined", "poll_update", "chat_message", "participant_left"} <= set(types)
    frame = record.to_dataframe()
    assert list(frame.columns) == ["time", "seq", "type", "who", "text", "data"]
    assert frame[frame.type == "chat_message"].text.tolist() == ["the answer is B"]
    assert frame.seq.is_monotonic_increasing


def test_a_student_cannot_read_another_rooms_chat(lesson):
    host, ada, _grace, alan = lesson
    host.breakout.start()
    alan.chat.send("blue only")
    with pytest.raises(bw.Forbidden):
        ada.chat.history("Blue")
    assert [m.text for m in host.chat.history("Blue")] == ["blue only"]


def test_chat_send_is_idempotent_with_a_client_id(lesson):
    _host, ada, _grace, _alan = lesson
    first = ada.chat.send("hello", client_id="retry-1")
    again = ada.chat.send("hello", client_id="retry-1")
    assert first.id == again.id and first.seq == again.seq
    assert [m.text for m in ada.chat.history()] == ["hello"]
    with pytest.raises(bw.InvalidInput):
        ada.chat.send("x" * 4001)
    assert len(ada.chat.history()) == 1


def test_the_participant_list_says_who_is_online(sqlite_service):
    host = bw.Classroom.create(
        sqlite_service.url, admin_key=sqlite_service.admin_key, title="Presence", host="Host"
    )
    ada_invite, _grace = host.invite_many(["Ada", "Grace"])
    ada = bw.Classroom.join(sqlite_service.url, ada_invite.token).connect()
    try:
        wait_for(lambda: {p.name for p in host.participants if p.online} == {"Ada"})
    finally:
        ada.close()
        host.close()
    assert host.closed and ada.closed
