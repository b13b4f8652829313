"""Random sequences of class operations keep every participant in exactly one meeting.

A refused operation (any BreakoutError) must leave the state exactly as it was; an
accepted one must report every move it made as one ``meeting_changed`` event.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from breakout_widgets.errors import BreakoutError
from breakout_widgets.service.domain import breakout as ops
from breakout_widgets.service.domain.limits import Limits
from breakout_widgets.service.domain.permissions import (
    BUILTIN_PRESETS,
    CAN_ALTER,
    CAN_SWITCH_ROOMS,
    CAN_SWITCH_TO_MAIN,
    Preset,
)
from breakout_widgets.service.domain.state import (
    CLOSED,
    DRAFT,
    ROOM_CLOSED,
    ROOM_OPEN,
    RUNNING,
    ClassState,
    Event,
)

LIMITS = Limits(max_name=12, max_rooms=4, max_participants=9, max_duration=1000)

PRESETS = [
    BUILTIN_PRESETS["host"],
    BUILTIN_PRESETS["participant"],
    Preset("roamer", frozenset({CAN_SWITCH_ROOMS, CAN_SWITCH_TO_MAIN})),
    Preset("stuck", frozenset()),
    Preset("co-host", frozenset({CAN_ALTER})),
]
VALID_NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Linus", "Margaret", "Radia"]
# Names that clash once trimmed, and names past the limits.
BAD_NAMES = ["Ada ", "", "   ", "x" * 13, "bell\x07"]
VALID_TITLES = ["Room 1", "Room 2", "Team A", "Team B", "Team C"]
BAD_TITLES = [" Team A ", "", "y" * 13]
BOGUS = "zz-unknown"


def mostly(valid: st.SearchStrategy, invalid: st.SearchStrategy) -> st.SearchStrategy:
    """Nine draws in ten from ``valid``, so that sequences get far enough to matter."""
    return st.integers(0, 9).flatmap(lambda n: invalid if n == 0 else valid)


names = st.lists(
    st.tuples(
        mostly(st.sampled_from(VALID_NAMES), st.sampled_from(BAD_NAMES)), st.sampled_from(PRESETS)
    ),
    max_size=3,
)
titles = st.lists(mostly(st.sampled_from(VALID_TITLES), st.sampled_from(BAD_TITLES)), max_size=2)
seconds = mostly(
    st.one_of(st.none(), st.sampled_from([1, 30, 60, 600])), st.sampled_from([-1, 0, 1001])
)
seeds = st.one_of(st.none(), st.integers(0, 5), st.sampled_from(["a", "b"]))
ALL_TITLES = VALID_TITLES + BAD_TITLES


class ClassMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        counter = itertools.count(1)
        self.new_id = lambda prefix: f"{prefix}{next(counter)}"
        self.state = ClassState(id="main", title="Class", version=1)
        self.now = 0.0

    # -- choosing ids from the state ------------------------------------------------------

    def person_ids(self) -> list[str]:
        return [*self.state.people, BOGUS]

    def room_ids(self) -> list[str]:
        """Every room id ever made in this breakout (closed ones too), and an unknown one."""
        b = self.state.breakout
        return [*(r.id for r in b.rooms), BOGUS] if b else [BOGUS]

    def draw_person(self, data: st.DataObject) -> str:
        return data.draw(self.persons(), label="person")

    def draw_room(self, data: st.DataObject) -> str:
        return data.draw(self.rooms(), label="room")

    def persons(self) -> st.SearchStrategy[str]:
        known = list(self.state.people)
        return mostly(st.sampled_from(known), st.just(BOGUS)) if known else st.just(BOGUS)

    def rooms(self) -> st.SearchStrategy[str]:
        """Mostly live rooms; sometimes a closed one or an unknown id."""
        b = self.state.breakout
        live = [r.id for r in b.live_rooms()] if b else []
        other = st.sampled_from(self.room_ids())
        return mostly(st.sampled_from(live), other) if live else other

    # -- running one operation ------------------------------------------------------------

    def attempt(self, operation: Any) -> list[Event] | None:
        """Run it; a refusal changes nothing, a success reports exactly the moves made."""
        before = copy.deepcopy(self.state)
        try:
            result = operation()
        except BreakoutError:
            assert self.state == before, "a refused operation changed the state"
            return None
        events: list[Event] = result[1] if isinstance(result, tuple) else result
        for e in events:
            assert isinstance(e, Event)
        self.check_moves(before, events)
        return events

    def check_moves(self, before: ClassState, events: list[Event]) -> None:
        changed = {
            pid: (before.people[pid].current, p.current)
            for pid, p in self.state.people.items()
            if pid in before.people and before.people[pid].current != p.current
        }
        reported: dict[str, tuple[str, str]] = {}
        announced = [e.data for e in events if e.type == "changing_meeting"]
        done = [e.data for e in events if e.type == "meeting_changed"]
        assert announced == done, "every move is announced (changing_meeting) and done"
        for e in events:
            if e.type == "changing_meeting":
                assert e.meeting_id == self.state.id
            elif e.type == "meeting_changed":
                assert e.meeting_id == self.state.id
                pid = e.data["participant_id"]
                assert pid not in reported, "two meeting_changed events for one person"
                assert e.data["from"] != e.data["to"]
                reported[pid] = (e.data["from"], e.data["to"])
            elif e.type == "participant_joined":
                assert e.meeting_id == e.data["to"] != self.state.id
            elif e.type == "participant_left":
                assert e.meeting_id == e.data["from"] != self.state.id
        assert reported == changed
        for pid, p in self.state.people.items():
            if pid in before.people:  # media flags never change outside set_media
                old = before.people[pid]
                assert (p.mic, p.camera) == (old.mic, old.camera)

    # -- a class to start from, so that short runs reach the running rooms ----------------

    @initialize(
        people=st.lists(st.sampled_from(VALID_NAMES), min_size=2, max_size=7, unique=True),
        presets=st.lists(st.sampled_from(PRESETS), min_size=7, max_size=7),
        n_rooms=st.integers(0, 3),
        started=st.booleans(),
    )
    def a_class(self, people, presets, n_rooms, started):
        entries = list(zip(people, presets, strict=False))
        assert self.attempt(lambda: ops.invite(self.state, entries, LIMITS, self.new_id))
        if n_rooms:
            wanted = ops.default_titles(self.state, n_rooms)
            assert self.attempt(lambda: ops.create_rooms(self.state, wanted, LIMITS, self.new_id))
            if started:
                assert self.attempt(lambda: ops.shuffle(self.state, seed=0))
                assert self.attempt(lambda: ops.start(self.state, self.now, 600, 60, LIMITS))

    # -- rules ----------------------------------------------------------------------------

    @rule(entries=names)
    def invite(self, entries):
        self.attempt(lambda: ops.invite(self.state, entries, LIMITS, self.new_id))

    @rule(titles=titles, default=st.integers(0, 2))
    def create_rooms(self, titles, default):
        wanted = titles or ops.default_titles(self.state, default)
        self.attempt(lambda: ops.create_rooms(self.state, wanted, LIMITS, self.new_id))

    @rule(data=st.data(), title=st.sampled_from(ALL_TITLES))
    def rename_room(self, data, title):
        room = self.draw_room(data)
        self.attempt(lambda: ops.rename_room(self.state, room, title, LIMITS))

    @rule(data=st.data())
    def assign(self, data):
        targets = data.draw(
            st.lists(st.one_of(st.none(), self.rooms()), max_size=3, unique=True),
            label="targets",
        )
        people = st.lists(self.persons(), max_size=3)
        mapping = {target: data.draw(people, label="people") for target in targets}
        self.attempt(lambda: ops.assign(self.state, mapping))

    @rule(data=st.data())
    def move(self, data):
        person = self.draw_person(data)
        room = data.draw(st.one_of(st.none(), self.rooms()), label="to")
        self.attempt(lambda: ops.move(self.state, person, room))

    @rule(seed=seeds)
    def shuffle(self, seed):
        events = self.attempt(lambda: ops.shuffle(self.state, seed))
        if events is not None:
            b = self.state.active_breakout()
            for p in self.state.people.values():
                if p.preset.allows(CAN_ALTER):
                    continue
                assert p.assigned is not None
                if b.status == RUNNING:
                    assert p.current == p.assigned

    @rule(duration=seconds, warning=seconds)
    def start(self, duration, warning):
        events = self.attempt(lambda: ops.start(self.state, self.now, duration, warning, LIMITS))
        if events is not None:
            assert self.state.breakout.status == RUNNING
            for p in self.state.people.values():
                assert p.current == (p.assigned or self.state.id)

    @rule(data=st.data())
    def delete_room(self, data):
        room = self.draw_room(data)
        events = self.attempt(lambda: ops.delete_room(self.state, room))
        if events is not None:
            for p in self.state.people.values():
                assert room not in (p.current, p.assigned)

    @rule(data=st.data())
    def switch(self, data):
        person = self.draw_person(data)
        target = data.draw(
            st.one_of(st.sampled_from(["main", self.state.id]), self.rooms(), self.rooms()),
            label="target",
        )
        events = self.attempt(lambda: ops.switch(self.state, person, target))
        if events is not None:
            p = self.state.people[person]
            assert p.current == (self.state.id if target == "main" else target)

    @rule(countdown=seconds)
    def close(self, countdown):
        self.attempt(lambda: ops.close(self.state, self.now, countdown, LIMITS))

    @rule()
    def recreate(self):
        last = copy.deepcopy(self.state.last_assignment)
        events = self.attempt(lambda: ops.recreate(self.state, LIMITS, self.new_id))
        if events is not None:
            b = self.state.breakout
            assert b.status == DRAFT
            assert {r.title: self.members(r.id) for r in b.rooms} == last

    @rule(data=st.data(), mic=st.none() | st.booleans(), camera=st.none() | st.booleans())
    def set_media(self, data, mic, camera):
        person = self.state.people.get(self.draw_person(data))
        if person is not None:
            ops.set_media(person, mic, camera)

    @rule(data=st.data())
    def broadcast(self, data):
        sender = self.state.people.get(self.draw_person(data))
        events = self.attempt(lambda: ops.broadcast(self.state, sender, "hello"))
        assert {e.meeting_id for e in events} == self.state.meeting_ids()

    @rule(dt=st.sampled_from([1.0, 30.0, 300.0]))
    def tick(self, dt):
        """Time passes; the service's timer closes the rooms when they are due."""
        self.now += dt
        b = self.state.active_breakout()
        warnings = self.attempt(lambda: ops.warn_if_due(self.state, self.now))
        if warnings:
            assert {e.type for e in warnings} == {"timer"}
            assert {e.meeting_id for e in warnings} == self.state.meeting_ids()
            assert b.warned
            assert ops.warn_if_due(self.state, self.now) == []
        if ops.due_to_close(self.state, self.now):
            self.attempt(lambda: ops.close(self.state, self.now, None, LIMITS, reason="time_up"))
            assert self.state.breakout.status == CLOSED

    # -- invariants -----------------------------------------------------------------------

    def members(self, room_id: str) -> list[str]:
        return [p.id for p in self.state.people.values() if p.assigned == room_id]

    @invariant()
    def each_person_is_in_exactly_one_existing_meeting(self):
        s = self.state
        s.check_invariants()
        b = s.active_breakout()
        open_rooms = {r.id for r in b.rooms if r.status == ROOM_OPEN} if b else set()
        live = {r.id for r in b.live_rooms()} if b else set()
        for p in s.people.values():
            assert p.current == s.id or p.current in open_rooms
            assert p.assigned is None or p.assigned in live
            if b is None:
                assert (p.current, p.assigned) == (s.id, None)
            elif b.status == DRAFT:
                assert p.current == s.id
        assert len({p.name for p in s.people.values()}) == len(s.people)
        assert len(s.people) <= LIMITS.max_participants

    @invariant()
    def rooms_match_the_breakout_status(self):
        s = self.state
        if s.breakout is None:
            return
        b = s.breakout
        statuses = {r.status for r in b.live_rooms()}
        expected = {DRAFT: {"draft"}, RUNNING: {ROOM_OPEN}, CLOSED: set()}[b.status]
        assert statuses <= expected
        if b.status == CLOSED:
            assert {r.status for r in b.rooms} <= {ROOM_CLOSED}
        titles = [r.title for r in b.live_rooms()]
        assert len(titles) == len(set(titles)) <= LIMITS.max_rooms
        ids = [r.id for r in b.rooms]
        assert len(ids) == len(set(ids))
        assert s.meeting_ids() == {s.id} | {r.id for r in b.rooms if r.status == ROOM_OPEN}


ClassMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=30, deadline=None)
TestClassMachine = ClassMachine.TestCase
