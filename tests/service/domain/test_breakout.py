"""Operations on a class: the breakout lifecycle, refusals that change nothing, switching."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from breakout_widgets.errors import BreakoutError, Conflict, Forbidden, InvalidInput, NotFound
from breakout_widgets.service.domain import breakout as ops
from breakout_widgets.service.domain.limits import Limits
from breakout_widgets.service.domain.permissions import (
    BUILTIN_PRESETS,
    CAN_ALTER,
    CAN_SWITCH_ROOMS,
    CAN_SWITCH_TO_MAIN,
    HOST,
    PARTICIPANT,
    Preset,
)
from breakout_widgets.service.domain.state import (
    CLOSED,
    DRAFT,
    ROOM_CLOSED,
    ROOM_DRAFT,
    ROOM_OPEN,
    RUNNING,
    ClassState,
    Event,
    Person,
    Room,
)

HOST_PRESET = BUILTIN_PRESETS[HOST]
STUDENT = BUILTIN_PRESETS[PARTICIPANT]
ROAMER = Preset("roamer", frozenset({CAN_SWITCH_ROOMS, CAN_SWITCH_TO_MAIN}))
STUCK = Preset("stuck", frozenset())
CO_HOST = Preset("co-host", frozenset({CAN_ALTER}))

NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara"]


# -- helpers -------------------------------------------------------------------------------


def invite(state: ClassState, limits: Limits, new_id, *entries: tuple[str, Preset]):
    people, _ = ops.invite(state, entries, limits, new_id)
    return people


def class_with_rooms(state, limits, new_id, n_rooms: int = 2):
    """A host, five students and ``n_rooms`` draft rooms."""
    (host,) = invite(state, limits, new_id, ("Ms. Rivera", HOST_PRESET))
    students = invite(state, limits, new_id, *[(n, STUDENT) for n in NAMES])
    rooms, _ = ops.create_rooms(state, ops.default_titles(state, n_rooms), limits, new_id)
    return host, students, rooms


def running_class(state, limits, new_id, n_rooms: int = 2):
    """As class_with_rooms, shuffled with seed 7 and started at t=1000 without a timer."""
    host, students, rooms = class_with_rooms(state, limits, new_id, n_rooms)
    ops.shuffle(state, seed=7)
    ops.start(state, now=1000.0, duration=None, warning=None, limits=limits)
    return host, students, rooms


def of_type(events: list[Event], type_: str) -> list[Event]:
    return [e for e in events if e.type == type_]


def moves(events: list[Event]) -> dict[str, tuple[str, str]]:
    """participant id -> (from, to) from the meeting_changed events."""
    found = {}
    for e in of_type(events, "meeting_changed"):
        assert e.data["participant_id"] not in found, "one move per person per operation"
        found[e.data["participant_id"]] = (e.data["from"], e.data["to"])
    return found


def members(state: ClassState, room: Room) -> set[str]:
    return {p.id for p in state.people.values() if p.assigned == room.id}


def assert_refused(
    state: ClassState,
    error: type[BreakoutError],
    operation: Callable[[], Any],
    match: str | None = None,
) -> BreakoutError:
    """The operation raises ``error`` and leaves the whole state exactly as it was."""
    before = copy.deepcopy(state)
    with pytest.raises(error, match=match) as info:
        operation()
    assert state == before
    return info.value


# -- the whole lifecycle ---------------------------------------------------------------------


def test_the_whole_lifecycle(state, limits, new_id):
    # invite
    (host,) = invite(state, limits, new_id, ("Ms. Rivera", HOST_PRESET))
    students, events = ops.invite(state, [(n, STUDENT) for n in NAMES], limits, new_id)
    assert [p.name for p in students] == NAMES
    assert all(p.current == state.id and p.assigned is None for p in students)
    assert [p.order for p in (host, *students)] == [1, 2, 3, 4, 5, 6]
    assert len({p.id for p in state.people.values()}) == 6
    [event] = events
    assert (event.meeting_id, event.type, event.data["action"]) == (
        state.id,
        "state_update",
        "invite",
    )
    assert [p["name"] for p in event.data["participants"]] == NAMES

    # create_rooms: a draft breakout
    rooms, events = ops.create_rooms(state, ops.default_titles(state, 2), limits, new_id)
    a, b = rooms
    assert [r.title for r in rooms] == ["Room 1", "Room 2"]
    assert [r.position for r in rooms] == [0, 1]
    assert state.breakout is not None and state.breakout.status == DRAFT
    assert {r.status for r in rooms} == {ROOM_DRAFT}
    assert state.meeting_ids() == {state.id}  # draft rooms are not meetings yet
    assert events[-1].data == {"action": "create_rooms", "rooms": [a.id, b.id]}

    # shuffle in draft: assignments only, nobody moves
    events = ops.shuffle(state, seed=7)
    assert moves(events) == {}
    assert host.assigned is None
    assert members(state, a) | members(state, b) == {p.id for p in students}
    assert sorted([len(members(state, a)), len(members(state, b))]) == [2, 3]
    assert all(p.current == state.id for p in state.people.values())
    first = {p.id: p.assigned for p in students}
    ops.shuffle(state, seed=7)
    assert {p.id: p.assigned for p in students} == first  # the same seed, the same split

    # start: the rooms open and the assigned people move in
    events = ops.start(state, now=1000.0, duration=600, warning=60, limits=limits)
    assert state.breakout.status == RUNNING
    assert state.breakout.started_at == 1000.0
    assert state.breakout.closes_at == 1600.0
    assert state.breakout.warning == 60.0
    assert {r.status for r in rooms} == {ROOM_OPEN}
    assert state.meeting_ids() == {state.id, a.id, b.id}
    assert all(p.current == p.assigned for p in students)
    assert host.current == state.id
    assert moves(events) == {p.id: (state.id, p.assigned) for p in students}
    joined = of_type(events, "participant_joined")
    assert {(e.meeting_id, e.data["participant_id"]) for e in joined} == {
        (p.current, p.id) for p in students
    }
    assert {e.data["reason"] for e in joined} == {"breakout_started"}
    assert not ops.due_to_close(state, 1599.0)
    assert ops.due_to_close(state, 1600.0)

    # move: a student goes to the other room at once
    ada = students[0]
    source = ada.assigned
    target = b.id if source == a.id else a.id
    events = ops.move(state, ada.id, target)
    assert (ada.assigned, ada.current) == (target, target)
    assert moves(events) == {ada.id: (source, target)}
    [left] = of_type(events, "participant_left")
    [joined] = of_type(events, "participant_joined")
    assert (left.meeting_id, joined.meeting_id) == (source, target)
    assert {e.meeting_id for e in of_type(events, "meeting_changed")} == {state.id}
    assert events[-1].data == {"action": "assign", "assignments": {ada.id: target}}

    # delete_room while running: its people go back to main, unassigned
    doomed = {p.id for p in state.people.values() if p.current == target}
    assert ada.id in doomed
    events = ops.delete_room(state, target)
    gone = a if target == a.id else b
    kept = b if gone is a else a
    assert gone.status == ROOM_CLOSED
    assert gone in state.breakout.rooms  # kept for the record, but no longer live
    assert state.breakout.live_rooms() == [kept]
    assert gone.id not in state.meeting_ids()
    with pytest.raises(NotFound):
        state.room(gone.id)
    for pid in doomed:
        assert (state.people[pid].current, state.people[pid].assigned) == (state.id, None)
    assert moves(events) == {pid: (gone.id, state.id) for pid in doomed}
    assert {e.data["reason"] for e in of_type(events, "meeting_changed")} == {"room_deleted"}
    state.check_invariants()

    # close: everyone back to main, rooms closed, the assignment remembered
    kept_members = [p.id for p in sorted(state.people.values(), key=lambda p: p.order)]
    kept_members = [pid for pid in kept_members if state.people[pid].assigned == kept.id]
    in_rooms = {p.id for p in state.people.values() if p.current != state.id}
    events = ops.close(state, now=1200.0, countdown=None, limits=limits)
    assert state.breakout.status == CLOSED
    assert state.breakout.closed_at == 1200.0
    assert state.active_breakout() is None
    assert {r.status for r in state.breakout.rooms} == {ROOM_CLOSED}
    assert all(p.current == state.id and p.assigned is None for p in state.people.values())
    assert state.last_assignment == {kept.title: kept_members}
    assert state.breakout.snapshot_assignment == state.last_assignment
    assert set(moves(events)) == in_rooms
    assert {e.data["reason"] for e in of_type(events, "meeting_changed")} == {"closed"}
    assert state.meeting_ids() == {state.id}
    assert not ops.due_to_close(state, 10_000.0)
    assert state.to_json()["can_recreate"] is True
    closed = state.breakout

    # recreate: a new draft with the same rooms and people, new ids
    events = ops.recreate(state, limits, new_id)
    new = state.breakout
    assert new is not closed and new.status == DRAFT
    assert (closed.number, new.number) == (1, 2)
    [room] = new.rooms
    assert room.title == kept.title and room.id != kept.id
    assert room.status == ROOM_DRAFT
    assert [p.id for p in state.people.values() if p.assigned == room.id] == kept_members
    assert all(p.current == state.id for p in state.people.values())
    assert [e.data["action"] for e in events] == ["create_rooms", "recreate"]
    state.check_invariants()


def test_to_json_shows_rooms_with_their_participants(state, limits, new_id):
    _host, students, rooms = class_with_rooms(state, limits, new_id)
    ops.assign(state, {rooms[0].id: [students[0].id, students[1].id]})
    body = state.to_json()
    assert body["status"] == DRAFT
    assert [r["participants"] for r in body["rooms"]] == [[students[0].id, students[1].id], []]
    assert [p["name"] for p in body["participants"]] == ["Ms. Rivera", *NAMES]


# -- refused operations change nothing --------------------------------------------------------


def test_invite_refuses_bad_or_duplicate_names(state, limits, new_id):
    invite(state, limits, new_id, ("Ada", STUDENT))
    assert_refused(state, InvalidInput, lambda: ops.invite(state, [], limits, new_id))
    for bad in ["", "   ", "x" * 101, "bell\x07", 42]:
        assert_refused(
            state,
            InvalidInput,
            lambda bad=bad: ops.invite(state, [("Grace", STUDENT), (bad, STUDENT)], limits, new_id),
        )
    # a duplicate anywhere in the batch refuses the whole batch
    assert_refused(
        state,
        Conflict,
        lambda: ops.invite(state, [("Grace", STUDENT), (" Ada ", STUDENT)], limits, new_id),
    )
    assert_refused(
        state,
        Conflict,
        lambda: ops.invite(state, [("Grace", STUDENT), ("Grace", STUDENT)], limits, new_id),
    )


def test_invite_message_tells_the_size_and_the_limit(state, new_id):
    small = Limits(max_participants=3, max_name=10)
    invite(state, small, new_id, ("Ada", STUDENT), ("Grace", STUDENT))
    error = assert_refused(
        state,
        InvalidInput,
        lambda: ops.invite(state, [("Alan", STUDENT), ("Ken", STUDENT)], small, new_id),
    )
    assert "at most 3" in error.message
    invite(state, small, new_id, ("Alan", STUDENT))  # exactly at the limit is fine
    assert_refused(
        state, InvalidInput, lambda: ops.invite(state, [("Ken", STUDENT)], small, new_id)
    )
    error = assert_refused(
        state,
        InvalidInput,
        lambda: ops.invite(state, [("x" * 11, STUDENT)], Limits(max_name=10), new_id),
    )
    assert "11 characters" in error.message and "at most 10" in error.message


def test_create_rooms_refuses_bad_titles_duplicates_and_too_many(state, new_id):
    small = Limits(max_rooms=3, max_name=10)
    ops.create_rooms(state, ["Team A", "Team B"], small, new_id)
    assert_refused(state, InvalidInput, lambda: ops.create_rooms(state, [], small, new_id))
    assert_refused(state, InvalidInput, lambda: ops.create_rooms(state, ["x" * 11], small, new_id))
    assert_refused(state, InvalidInput, lambda: ops.create_rooms(state, ["  "], small, new_id))
    assert_refused(state, Conflict, lambda: ops.create_rooms(state, [" Team A "], small, new_id))
    assert_refused(state, Conflict, lambda: ops.create_rooms(state, ["C", "C"], Limits(), new_id))
    error = assert_refused(
        state, InvalidInput, lambda: ops.create_rooms(state, ["C", "D"], small, new_id)
    )
    assert "at most 3 rooms" in error.message
    ops.create_rooms(state, ["C"], small, new_id)
    assert [r.title for r in state.breakout.rooms] == ["Team A", "Team B", "C"]


def test_create_rooms_without_a_breakout_refuses_without_making_one(state, new_id):
    assert_refused(
        state, InvalidInput, lambda: ops.create_rooms(state, ["x" * 200], Limits(), new_id)
    )
    assert state.breakout is None


def test_a_deleted_rooms_title_can_be_used_again(state, limits, new_id):
    (a,), _ = ops.create_rooms(state, ["Team A"], limits, new_id)
    ops.delete_room(state, a.id)
    (again,), _ = ops.create_rooms(state, ["Team A"], limits, new_id)
    assert again.id != a.id


def test_rename_room(state, limits, new_id):
    _host, _students, (a, b) = class_with_rooms(state, limits, new_id)
    events = ops.rename_room(state, a.id, "  Team A ", limits)
    assert a.title == "Team A"
    assert events[-1].data == {"action": "rename_room", "room_id": a.id, "title": "Team A"}
    ops.rename_room(state, a.id, "Team A", limits)  # its own name is not a conflict
    assert_refused(state, Conflict, lambda: ops.rename_room(state, a.id, b.title, limits))
    assert_refused(state, InvalidInput, lambda: ops.rename_room(state, a.id, "", limits))
    assert_refused(state, NotFound, lambda: ops.rename_room(state, "m999", "X", limits))


def test_unknown_ids_are_not_found(state, limits, new_id):
    _host, students, (a, _b) = class_with_rooms(state, limits, new_id)
    ada = students[0]
    assert_refused(state, NotFound, lambda: ops.move(state, "p999", a.id))
    assert_refused(state, NotFound, lambda: ops.move(state, ada.id, "m999"))
    assert_refused(state, NotFound, lambda: ops.assign(state, {a.id: [ada.id, "p999"]}))
    assert_refused(state, NotFound, lambda: ops.delete_room(state, "m999"))
    assert_refused(state, NotFound, lambda: ops.switch(state, "p999", "main"))
    ops.start(state, now=0.0, duration=None, warning=None, limits=limits)
    assert_refused(state, NotFound, lambda: ops.switch(state, ada.id, "m999"))
    error = assert_refused(state, NotFound, lambda: state.person("p999"))
    assert "p999" in error.message


def test_assign_refuses_a_person_listed_twice(state, limits, new_id):
    _host, students, (a, b) = class_with_rooms(state, limits, new_id)
    ada = students[0]
    assert_refused(state, InvalidInput, lambda: ops.assign(state, {a.id: [ada.id], b.id: [ada.id]}))
    assert_refused(state, InvalidInput, lambda: ops.assign(state, {a.id: [ada.id, ada.id]}))


def test_assign_to_none_unassigns_and_others_stay(state, limits, new_id):
    _host, students, (a, b) = class_with_rooms(state, limits, new_id)
    ada, grace, alan = students[:3]
    ops.assign(state, {a.id: [ada.id, grace.id], b.id: [alan.id]})
    ops.assign(state, {None: [ada.id]})
    assert (ada.assigned, grace.assigned, alan.assigned) == (None, a.id, b.id)


def test_operations_without_a_breakout_are_refused(state, limits, new_id):
    (ada,) = invite(state, limits, new_id, ("Ada", STUDENT))
    assert_refused(state, InvalidInput, lambda: ops.shuffle(state, seed=1))
    assert_refused(state, InvalidInput, lambda: ops.assign(state, {None: [ada.id]}))
    assert_refused(state, InvalidInput, lambda: ops.delete_room(state, "m1"))
    assert_refused(state, InvalidInput, lambda: ops.rename_room(state, "m1", "X", limits))
    assert_refused(state, InvalidInput, lambda: ops.start(state, 0.0, None, None, limits))
    assert_refused(state, InvalidInput, lambda: ops.close(state, 0.0, None, limits))
    assert_refused(state, InvalidInput, lambda: ops.switch(state, ada.id, "m1"))
    assert_refused(state, InvalidInput, lambda: ops.recreate(state, limits, new_id), "no earlier")
    assert ops.switch(state, ada.id, "main") == []  # already there: nothing to do


def test_start_refuses_no_rooms_bad_times_and_a_second_start(state, limits, new_id):
    (a,), _ = ops.create_rooms(state, ["Team A"], limits, new_id)
    ops.delete_room(state, a.id)
    assert state.breakout.status == DRAFT and state.breakout.rooms == []
    assert_refused(
        state, InvalidInput, lambda: ops.start(state, 0.0, None, None, limits), "no rooms"
    )
    assert_refused(state, InvalidInput, lambda: ops.shuffle(state, seed=1), "no rooms")
    ops.create_rooms(state, ["Team B"], limits, new_id)
    for duration, warning in [(0, None), (-5, None), (limits.max_duration + 1, None), (60, -1)]:
        assert_refused(
            state,
            InvalidInput,
            lambda d=duration, w=warning: ops.start(state, 0.0, d, w, limits),
        )
    ops.start(state, 0.0, None, None, limits)
    assert state.breakout.closes_at is None
    assert state.breakout.warning == 60.0
    assert_refused(
        state, InvalidInput, lambda: ops.start(state, 1.0, None, None, limits), "running"
    )


def test_close_refuses_a_bad_countdown(state, limits, new_id):
    running_class(state, limits, new_id)
    assert_refused(state, InvalidInput, lambda: ops.close(state, 0.0, -1, limits))
    assert_refused(
        state, InvalidInput, lambda: ops.close(state, 0.0, limits.max_duration + 1, limits)
    )


def test_recreate_refuses_while_a_breakout_is_active(state, limits, new_id):
    running_class(state, limits, new_id)
    ops.close(state, 2000.0, None, limits)
    ops.recreate(state, limits, new_id)
    assert_refused(
        state, InvalidInput, lambda: ops.recreate(state, limits, new_id), "close or delete"
    )


def test_recreate_skips_people_who_are_gone(state, limits, new_id):
    _host, students, (a, _b) = class_with_rooms(state, limits, new_id)
    ops.assign(state, {a.id: [students[0].id, students[1].id]})
    ops.close(state, 0.0, None, limits)
    del state.people[students[0].id]
    ops.recreate(state, limits, new_id)
    room = state.breakout.rooms[0]
    assert [p.id for p in state.people.values() if p.assigned == room.id] == [students[1].id]


# -- shuffle --------------------------------------------------------------------------------


def test_shuffle_leaves_out_everyone_who_may_run_the_breakout(state, limits, new_id):
    host, students, (a, b) = class_with_rooms(state, limits, new_id)
    (co_host,) = invite(state, limits, new_id, ("Mr. Chen", CO_HOST))
    (roamer,) = invite(state, limits, new_id, ("Roamer", ROAMER))
    ops.shuffle(state, seed="x")
    assert host.assigned is None and co_host.assigned is None
    assert roamer.assigned in (a.id, b.id)
    assert all(p.assigned in (a.id, b.id) for p in students)


def test_shuffle_does_not_depend_on_invitation_order(limits):
    def split(names):
        state = ClassState("main", "T", 1)
        counter = iter(range(1, 1000))
        new_id = lambda prefix: f"{prefix}{next(counter)}"  # noqa: E731
        ops.invite(state, [(n, STUDENT) for n in names], limits, new_id)
        ops.create_rooms(state, ["A", "B", "C"], limits, new_id)
        ops.shuffle(state, seed=42)
        titles = {r.id: r.title for r in state.breakout.rooms}
        return {p.name: titles[p.assigned] for p in state.people.values()}

    names = [f"Student {i:02}" for i in range(12)]
    # same names, other ids and order: the split goes by name, so it is the same
    assert split(names) == split(list(reversed(names)))


def test_shuffle_while_running_moves_people_at_once(state, limits, new_id):
    host, students, (a, _b) = running_class(state, limits, new_id)
    ops.switch(state, host.id, a.id)
    before = {p.id: p.current for p in state.people.values()}
    events = ops.shuffle(state, seed=8)
    assert all(p.current == p.assigned for p in students)
    assert host.current == a.id and host.assigned is None  # the host is left where they are
    changed = {
        pid: (before[pid], p.current) for pid, p in state.people.items() if before[pid] != p.current
    }
    assert moves(events) == changed
    assert events[-1].data == {"action": "shuffle", "seed": 8}


# -- moves while running ----------------------------------------------------------------------


def test_move_to_none_while_running_sends_to_main(state, limits, new_id):
    _host, students, _rooms = running_class(state, limits, new_id)
    ada = students[0]
    room = ada.current
    events = ops.move(state, ada.id, None)
    assert (ada.current, ada.assigned) == (state.id, None)
    assert moves(events) == {ada.id: (room, state.id)}
    [left] = of_type(events, "participant_left")
    assert left.meeting_id == room
    assert of_type(events, "participant_joined") == []


def test_move_to_the_current_room_makes_no_meeting_event(state, limits, new_id):
    _host, students, _rooms = running_class(state, limits, new_id)
    ada = students[0]
    events = ops.move(state, ada.id, ada.assigned)
    assert moves(events) == {}


def test_rooms_added_while_running_open_at_once(state, limits, new_id):
    _host, students, _rooms = running_class(state, limits, new_id)
    (c,), _ = ops.create_rooms(state, ["Room 3"], limits, new_id)
    assert c.status == ROOM_OPEN and c.position == 2
    assert c.id in state.meeting_ids()
    ada = students[0]
    source = ada.current
    events = ops.move(state, ada.id, c.id)
    assert ada.current == c.id
    assert moves(events) == {ada.id: (source, c.id)}


def test_deleting_a_draft_room_removes_it_and_unassigns(state, limits, new_id):
    _host, students, (a, b) = class_with_rooms(state, limits, new_id)
    ops.assign(state, {a.id: [s.id for s in students]})
    events = ops.delete_room(state, a.id)
    assert state.breakout.rooms == [b]
    assert all(p.assigned is None for p in students)
    assert moves(events) == {}


def test_media_flags_survive_switches(state, limits, new_id):
    _host, students, (a, b) = running_class(state, limits, new_id)
    ada = students[0]
    [event] = ops.set_media(ada, mic=True, camera=None)
    assert (event.meeting_id, event.type) == (ada.current, "media_changed")
    assert event.data == {"participant_id": ada.id, "mic": True, "camera": False}
    ops.set_media(ada, mic=None, camera=True)
    ops.switch(state, ada.id, "main")
    ops.move(state, ada.id, b.id if ada.assigned == a.id else a.id)
    ops.close(state, 5000.0, None, limits)
    assert (ada.mic, ada.camera) == (True, True)


# -- close, countdown and the timer ------------------------------------------------------------


def test_close_with_a_countdown_only_sets_closes_at(state, limits, new_id):
    _host, students, _rooms = running_class(state, limits, new_id)
    where = {p.id: p.current for p in students}
    events = ops.close(state, now=1100.0, countdown=60, limits=limits)
    assert state.breakout.status == RUNNING
    assert state.breakout.closes_at == 1160.0
    assert {p.id: p.current for p in students} == where
    assert [e.data for e in events] == [{"action": "close_countdown", "closes_at": 1160.0}]
    assert not ops.due_to_close(state, 1159.9)
    assert ops.due_to_close(state, 1160.0)
    assert ops.due_to_close(state, 1500.0)
    events = ops.close(state, now=1160.0, countdown=None, limits=limits, reason="time_up")
    assert state.breakout.status == CLOSED
    assert {e.data["reason"] for e in of_type(events, "meeting_changed")} == {"time_up"}
    assert not ops.due_to_close(state, 1500.0)


def test_a_countdown_shortens_a_running_timer(state, limits, new_id):
    class_with_rooms(state, limits, new_id)
    ops.start(state, now=0.0, duration=600, warning=30, limits=limits)
    assert state.breakout.warning == 30.0
    assert not ops.due_to_close(state, 100.0)
    ops.close(state, now=50.0, countdown=30, limits=limits)
    assert ops.due_to_close(state, 80.0)


def test_a_draft_is_never_due_to_close(state, limits, new_id):
    class_with_rooms(state, limits, new_id)
    assert not ops.due_to_close(state, 1e12)


def test_closing_a_draft_discards_it(state, limits, new_id):
    _host, students, (a, _b) = class_with_rooms(state, limits, new_id)
    ops.assign(state, {a.id: [students[0].id]})
    events = ops.close(state, now=10.0, countdown=None, limits=limits)
    assert state.active_breakout() is None
    assert moves(events) == {}
    assert state.last_assignment == {"Room 1": [students[0].id], "Room 2": []}


# -- switching ----------------------------------------------------------------------------------


def test_participant_may_return_to_main_and_go_back_to_their_room(state, limits, new_id):
    _host, students, _rooms = running_class(state, limits, new_id)
    ada = students[0]
    room = ada.assigned
    events = ops.switch(state, ada.id, "main")
    assert ada.current == state.id and ada.assigned == room
    assert moves(events) == {ada.id: (room, state.id)}
    assert of_type(events, "meeting_changed")[0].data["reason"] == "switched"
    assert ops.switch(state, ada.id, state.id) == []  # already in main
    events = ops.switch(state, ada.id, room)
    assert ada.current == room
    assert moves(events) == {ada.id: (state.id, room)}
    assert ops.switch(state, ada.id, room) == []


def test_participant_may_not_switch_to_another_room(state, limits, new_id):
    _host, students, (a, b) = running_class(state, limits, new_id)
    ada = students[0]
    other = b.id if ada.assigned == a.id else a.id
    error = assert_refused(state, Forbidden, lambda: ops.switch(state, ada.id, other))
    assert "participant" in error.message
    ops.switch(state, ada.id, "main")
    assert_refused(state, Forbidden, lambda: ops.switch(state, ada.id, other))


def test_unassigned_participant_may_enter_no_room(state, limits, new_id):
    _host, _students, (a, _b) = running_class(state, limits, new_id)
    (late,) = invite(state, limits, new_id, ("Late", STUDENT))
    assert late.current == state.id and late.assigned is None
    assert_refused(state, Forbidden, lambda: ops.switch(state, late.id, a.id))


def test_a_preset_without_return_to_main_stays_in_its_room(state, limits, new_id):
    (stuck,) = invite(state, limits, new_id, ("Stuck", STUCK))
    (a,), _ = ops.create_rooms(state, ["Team A"], limits, new_id)
    ops.move(state, stuck.id, a.id)
    ops.start(state, 0.0, None, None, limits)
    assert stuck.current == a.id
    error = assert_refused(state, Forbidden, lambda: ops.switch(state, stuck.id, "main"))
    assert "main meeting" in error.message
    assert ops.switch(state, stuck.id, a.id) == []


def test_host_may_enter_any_room_and_return(state, limits, new_id):
    host, _students, (a, b) = running_class(state, limits, new_id)
    assert moves(ops.switch(state, host.id, a.id)) == {host.id: (state.id, a.id)}
    assert moves(ops.switch(state, host.id, b.id)) == {host.id: (a.id, b.id)}
    assert host.assigned is None
    assert moves(ops.switch(state, host.id, "main")) == {host.id: (b.id, state.id)}


def test_a_preset_with_can_switch_connected_meetings_may_switch_rooms(state, limits, new_id):
    _host, _students, (a, b) = running_class(state, limits, new_id)
    (roamer,) = invite(state, limits, new_id, ("Roamer", ROAMER))
    ops.switch(state, roamer.id, a.id)
    ops.switch(state, roamer.id, b.id)
    assert roamer.current == b.id and roamer.assigned is None


def test_switching_to_a_room_needs_running_rooms(state, limits, new_id):
    host, _students, (a, _b) = class_with_rooms(state, limits, new_id)
    error = assert_refused(state, InvalidInput, lambda: ops.switch(state, host.id, a.id))
    assert "not running" in error.message


def test_switching_to_a_deleted_room_is_not_found(state, limits, new_id):
    host, _students, (a, _b) = running_class(state, limits, new_id)
    ops.delete_room(state, a.id)
    assert_refused(state, NotFound, lambda: ops.switch(state, host.id, a.id))


def test_switch_events_name_the_person(state, limits, new_id):
    _host, students, _rooms = running_class(state, limits, new_id)
    ada: Person = students[0]
    room = ada.current
    events = ops.switch(state, ada.id, "main")
    # "moving…" first, then "moved", both in the main meeting; then the room hears it
    assert [(e.meeting_id, e.type) for e in events] == [
        (state.id, "changing_meeting"),
        (state.id, "meeting_changed"),
        (room, "participant_left"),
    ]
    expected = {
        "participant_id": ada.id,
        "name": "Ada",
        "from": room,
        "to": state.id,
        "reason": "switched",
    }
    assert all(e.data == expected for e in events)
    events = ops.switch(state, ada.id, room)
    assert [(e.meeting_id, e.type) for e in events] == [
        (state.id, "changing_meeting"),
        (state.id, "meeting_changed"),
        (room, "participant_joined"),
    ]


def test_every_move_is_announced_before_it_is_done(state, limits, new_id):
    _host, students, _rooms = class_with_rooms(state, limits, new_id)
    ops.shuffle(state, seed=3)
    events = ops.start(state, 0.0, None, None, limits)
    changing = [e.data for e in of_type(events, "changing_meeting")]
    changed = [e.data for e in of_type(events, "meeting_changed")]
    assert changing == changed and len(changed) == len(students)
    for data in changed:
        types = [e.type for e in events if e.data == data]
        assert types.index("changing_meeting") < types.index("meeting_changed")


# -- the timer's warning and broadcasts ---------------------------------------------------------


def test_the_warning_goes_out_once_before_closing(state, limits, new_id):
    _host, _students, (a, b) = class_with_rooms(state, limits, new_id)
    assert ops.warn_if_due(state, 1e9) == []  # not running
    ops.start(state, now=0.0, duration=600, warning=60, limits=limits)
    assert ops.warn_if_due(state, 539.0) == []
    events = ops.warn_if_due(state, 540.0)
    assert {e.meeting_id for e in events} == {state.id, a.id, b.id}
    assert {e.type for e in events} == {"timer"}
    assert events[0].data == {"phase": "warning", "closes_at": 600.0, "seconds_left": 60.0}
    assert ops.warn_if_due(state, 550.0) == []  # only once
    # a countdown moves the closing time and arms the warning again
    ops.close(state, now=560.0, countdown=120, limits=limits)
    assert ops.warn_if_due(state, 600.0) == []
    [first, *_rest] = ops.warn_if_due(state, 630.0)
    assert first.data["seconds_left"] == 50.0


def test_without_a_timer_there_is_no_warning(state, limits, new_id):
    running_class(state, limits, new_id)
    assert ops.warn_if_due(state, 1e9) == []


def test_closing_running_rooms_tells_every_room(state, limits, new_id):
    _host, _students, (a, b) = running_class(state, limits, new_id)
    events = ops.close(state, 2000.0, None, limits, reason="time_up")
    timers = of_type(events, "timer")
    assert {e.meeting_id for e in timers} == {state.id, a.id, b.id}
    assert {tuple(sorted(e.data.items())) for e in timers} == {
        (("phase", "closed"), ("reason", "time_up"))
    }


def test_broadcast_reaches_main_and_every_open_room(state, limits, new_id):
    host, _students, (a, b) = running_class(state, limits, new_id)
    ops.delete_room(state, b.id)
    events = ops.broadcast(state, host, "5 minutes left")
    assert [(e.meeting_id, e.type) for e in events] == [
        (state.id, "broadcast"),
        (a.id, "broadcast"),
    ]
    assert events[0].data == {
        "text": "5 minutes left",
        "sender": {"id": host.id, "name": "Ms. Rivera"},
    }
    assert ops.broadcast(state, None, "hi")[0].data["sender"] == {"id": None, "name": "Host"}
