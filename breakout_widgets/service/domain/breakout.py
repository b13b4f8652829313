"""Operations on a class: invite, rooms, assignment, the breakout lifecycle and switching.

Each operation checks its input against the state and the limits *before* it changes
anything, so a refused operation leaves the state as it was. It returns the events it
caused; the store persists state and events in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ...errors import Conflict, Forbidden, InvalidInput
from .assignment import even_split
from .limits import Limits
from .permissions import CAN_ALTER, CAN_SWITCH_ROOMS, CAN_SWITCH_TO_MAIN, Preset
from .state import (
    CLOSED,
    DRAFT,
    ROOM_CLOSED,
    ROOM_DRAFT,
    ROOM_OPEN,
    RUNNING,
    Breakout,
    ClassState,
    Event,
    Person,
    Room,
)

IdFactory = Callable[[str], str]  # prefix -> new unique id


def _state_event(state: ClassState, action: str, **data: object) -> Event:
    return Event(state.id, "state_update", {"action": action, **data})


def _place(state: ClassState, person: Person, meeting_id: str, reason: str) -> list[Event]:
    """Move a person to a meeting and record it in the class and in both meetings."""
    if person.current == meeting_id:
        return []
    old = person.current
    person.current = meeting_id
    data = {
        "participant_id": person.id,
        "name": person.name,
        "from": old,
        "to": meeting_id,
        "reason": reason,
    }
    # changing_meeting lets a view show "moving…"; meeting_changed says it is done.
    events = [Event(state.id, "changing_meeting", data), Event(state.id, "meeting_changed", data)]
    if old != state.id:
        events.append(Event(old, "participant_left", data))
    if meeting_id != state.id:
        events.append(Event(meeting_id, "participant_joined", data))
    return events


# -- people ------------------------------------------------------------------------------


def invite(
    state: ClassState,
    entries: Iterable[tuple[str, Preset]],
    limits: Limits,
    new_id: IdFactory,
) -> tuple[list[Person], list[Event]]:
    """Add participants (all or none). Names are unique in a class."""
    entries = list(entries)
    if not entries:
        raise InvalidInput("give at least one participant")
    if len(state.people) + len(entries) > limits.max_participants:
        raise InvalidInput(
            f"a class holds at most {limits.max_participants} participants "
            f"({len(state.people)} already, {len(entries)} more asked)"
        )
    taken = {p.name for p in state.people.values()}
    names = []
    for raw, _preset in entries:
        name = limits.name(raw, "participant name")
        if name in taken:
            raise Conflict(f"a participant named '{name}' is already in this class")
        taken.add(name)
        names.append(name)
    order = max((p.order for p in state.people.values()), default=0)
    added = []
    for name, (_raw, preset) in zip(names, entries, strict=True):
        order += 1
        person = Person(new_id("p"), name, preset, current=state.id, order=order)
        state.people[person.id] = person
        added.append(person)
    event = _state_event(state, "invite", participants=[p.to_json() for p in added])
    return added, [event]


def set_media(person: Person, mic: bool | None, camera: bool | None) -> list[Event]:
    """Turn a participant's mic or camera flag on or off; both survive switches."""
    if mic is not None:
        person.mic = mic
    if camera is not None:
        person.camera = camera
    return [
        Event(
            person.current,
            "media_changed",
            {"participant_id": person.id, "mic": person.mic, "camera": person.camera},
        )
    ]


# -- rooms -------------------------------------------------------------------------------


def _check_titles(
    state: ClassState, titles: list[str], limits: Limits, keep: Room | None = None
) -> list[str]:
    b = state.active_breakout()
    taken = {r.title for r in b.live_rooms() if r is not keep} if b else set()
    clean = []
    for raw in titles:
        title = limits.name(raw, "room title")
        if title in taken:
            raise Conflict(f"a room named '{title}' already exists")
        taken.add(title)
        clean.append(title)
    return clean


def create_rooms(
    state: ClassState, titles: list[str], limits: Limits, new_id: IdFactory
) -> tuple[list[Room], list[Event]]:
    """Add rooms: to the draft, to the running breakout, or as a new draft breakout."""
    if not titles:
        raise InvalidInput("give at least one room")
    b = state.active_breakout()
    existing = len(b.live_rooms()) if b else 0
    if existing + len(titles) > limits.max_rooms:
        raise InvalidInput(
            f"a breakout holds at most {limits.max_rooms} rooms ({existing} exist, "
            f"{len(titles)} more asked)"
        )
    clean = _check_titles(state, titles, limits)
    if b is None:
        number = state.breakout.number + 1 if state.breakout else 1
        b = state.breakout = Breakout(new_id("b"), number)
    position = max((r.position for r in b.rooms), default=-1)
    added = []
    for title in clean:
        position += 1
        room = Room(new_id("m"), title, position, ROOM_OPEN if b.status == RUNNING else ROOM_DRAFT)
        b.rooms.append(room)
        added.append(room)
    return added, [_state_event(state, "create_rooms", rooms=[r.id for r in added])]


def default_titles(state: ClassState, count: int) -> list[str]:
    """``Room 1``, ``Room 2``… continuing after the rooms that exist."""
    b = state.active_breakout()
    taken = {r.title for r in b.live_rooms()} if b else set()
    titles, n = [], 1
    while len(titles) < count:
        title = f"Room {n}"
        if title not in taken:
            titles.append(title)
        n += 1
    return titles


def rename_room(state: ClassState, room_id: str, title: str, limits: Limits) -> list[Event]:
    state.require_breakout()
    room = state.room(room_id)
    (room.title,) = _check_titles(state, [title], limits, keep=room)
    return [_state_event(state, "rename_room", room_id=room.id, title=room.title)]


def delete_room(state: ClassState, room_id: str) -> list[Event]:
    """Remove a room; its people lose their assignment and, while running, go to main."""
    b = state.require_breakout()
    room = state.room(room_id)
    events: list[Event] = []
    for p in state.people.values():
        if p.assigned == room.id:
            p.assigned = None
        if p.current == room.id:
            events += _place(state, p, state.id, "room_deleted")
    if b.status == DRAFT:
        b.rooms.remove(room)
    else:
        room.status = ROOM_CLOSED
    events.append(_state_event(state, "delete_room", room_id=room.id))
    return events


# -- assignment ----------------------------------------------------------------------------


def _eligible(state: ClassState) -> list[Person]:
    """Who a shuffle places: everyone whose preset cannot run the breakout, by name."""
    people = [p for p in state.people.values() if not p.preset.allows(CAN_ALTER)]
    return sorted(people, key=lambda p: (p.name, p.id))


def _assign(state: ClassState, person: Person, room_id: str | None) -> list[Event]:
    person.assigned = room_id
    b = state.active_breakout()
    if b and b.status == RUNNING:
        return _place(state, person, room_id or state.id, "moved")
    return []


def shuffle(state: ClassState, seed: int | str | None) -> list[Event]:
    """Split the class evenly over the rooms; while running, people move at once."""
    b = state.require_breakout()
    rooms = [r.id for r in b.live_rooms()]
    if not rooms:
        raise InvalidInput("there are no rooms to shuffle into")
    split = even_split([p.id for p in _eligible(state)], rooms, seed)
    events: list[Event] = []
    for pid, room_id in split.items():
        events += _assign(state, state.people[pid], room_id)
    return [*events, _state_event(state, "shuffle", seed=seed)]


def assign(state: ClassState, mapping: Mapping[str | None, Iterable[str]]) -> list[Event]:
    """Put the listed people into the given rooms (``None`` = unassigned); others stay."""
    state.require_breakout()
    plan: dict[str, str | None] = {}
    for room_id, people in mapping.items():
        if room_id is not None:
            state.room(room_id)
        for pid in people:
            state.person(pid)
            if pid in plan:
                raise InvalidInput(f"participant '{pid}' is listed for two rooms")
            plan[pid] = room_id
    events: list[Event] = []
    for pid, room_id in plan.items():
        events += _assign(state, state.people[pid], room_id)
    return [*events, _state_event(state, "assign", assignments=plan)]


def move(state: ClassState, person_id: str, room_id: str | None) -> list[Event]:
    """Assign one person to a room (or unassign with ``None``)."""
    return assign(state, {room_id: [person_id]})


# -- lifecycle -----------------------------------------------------------------------------


def start(
    state: ClassState, now: float, duration: float | None, warning: float | None, limits: Limits
) -> list[Event]:
    """Open the rooms; everyone assigned moves to their room, the rest stay in main."""
    b = state.require_breakout(DRAFT)
    if not b.live_rooms():
        raise InvalidInput("there are no rooms to start")
    duration = limits.seconds(duration, "duration")
    warning = limits.seconds(warning, "warning")
    if duration is not None and duration <= 0:
        raise InvalidInput("duration must be more than 0 seconds")
    b.status = RUNNING
    b.started_at = now
    b.closes_at = now + duration if duration else None
    b.warning = 60.0 if warning is None else warning
    events: list[Event] = []
    for room in b.rooms:
        room.status = ROOM_OPEN
    for p in state.people.values():
        if p.assigned:
            events += _place(state, p, p.assigned, "breakout_started")
    return [*events, _state_event(state, "start", closes_at=b.closes_at, warning=b.warning)]


def close(
    state: ClassState, now: float, countdown: float | None, limits: Limits, reason: str = "closed"
) -> list[Event]:
    """Close the rooms now, or set them to close after ``countdown`` seconds."""
    b = state.require_breakout()
    countdown = limits.seconds(countdown, "countdown")
    if countdown and b.status == RUNNING:
        b.closes_at = now + countdown
        b.warned = False
        return [_state_event(state, "close_countdown", closes_at=b.closes_at)]
    events: list[Event] = []
    if b.status == RUNNING:
        events += _to_all_rooms(state, "timer", {"phase": "closed", "reason": reason})
    snapshot: dict[str, list[str]] = {r.title: [] for r in b.live_rooms()}
    titles = {r.id: r.title for r in b.live_rooms()}
    for p in sorted(state.people.values(), key=lambda p: p.order):
        if p.assigned in titles:
            snapshot[titles[p.assigned]].append(p.id)
        p.assigned = None
        if p.current != state.id:
            events += _place(state, p, state.id, reason)
    for room in b.rooms:
        room.status = ROOM_CLOSED
    b.status = CLOSED
    b.closed_at = now
    b.snapshot_assignment = snapshot
    if snapshot:  # a breakout whose rooms were all deleted leaves nothing to recreate
        state.last_assignment = snapshot
    return [*events, _state_event(state, "close", reason=reason, breakout_id=b.id)]


def recreate(state: ClassState, limits: Limits, new_id: IdFactory) -> list[Event]:
    """A new draft breakout with the rooms and assignment of the last closed one."""
    if state.active_breakout():
        raise InvalidInput("close or delete the current breakout rooms before recreating")
    if not state.last_assignment:
        raise InvalidInput("there is no earlier breakout to recreate")
    rooms, events = create_rooms(state, list(state.last_assignment), limits, new_id)
    for room in rooms:
        for pid in state.last_assignment[room.title]:
            if pid in state.people:
                state.people[pid].assigned = room.id
    return [*events, _state_event(state, "recreate")]


def _to_all_rooms(state: ClassState, type_: str, data: dict[str, object]) -> list[Event]:
    """One event in the main meeting and one in each open room."""
    return [
        Event(m, type_, data)
        for m in [
            state.id,
            *(
                r.id
                for r in (state.breakout.rooms if state.breakout else [])
                if r.status == ROOM_OPEN
            ),
        ]
    ]


def warn_if_due(state: ClassState, now: float) -> list[Event]:
    """The timer's warning, once, ``warning`` seconds before the rooms close."""
    b = state.active_breakout()
    if not b or b.status != RUNNING or b.closes_at is None or b.warned:
        return []
    if now < b.closes_at - b.warning:
        return []
    b.warned = True
    left = max(0.0, b.closes_at - now)
    return _to_all_rooms(
        state,
        "timer",
        {"phase": "warning", "closes_at": b.closes_at, "seconds_left": round(left, 1)},
    )


def broadcast(state: ClassState, sender: Person | None, text: str) -> list[Event]:
    """A message from the host to the main meeting and every open room at once."""
    data = {
        "text": text,
        "sender": {"id": sender.id, "name": sender.name}
        if sender
        else {"id": None, "name": "Host"},
    }
    return _to_all_rooms(state, "broadcast", data)


def due_to_close(state: ClassState, now: float) -> bool:
    b = state.active_breakout()
    return bool(b and b.status == RUNNING and b.closes_at is not None and b.closes_at <= now)


# -- switching -----------------------------------------------------------------------------


def switch(state: ClassState, person_id: str, target: str) -> list[Event]:
    """A participant moves themselves to ``"main"`` or to a room id, as their preset allows.

    Anyone may go to the room they are assigned to while rooms run; ``main`` needs
    ``can_switch_to_parent_meeting``; any other room needs
    ``can_switch_connected_meetings``, and the host (``can_alter_connected_meetings``)
    may enter every room.
    """
    person = state.person(person_id)
    preset = person.preset
    if target in ("main", state.id):
        if person.current == state.id:
            return []
        if not (preset.allows(CAN_SWITCH_TO_MAIN) or preset.allows(CAN_ALTER)):
            raise Forbidden(f"the '{preset.name}' preset may not return to the main meeting")
        return _place(state, person, state.id, "switched")
    b = state.active_breakout()
    if b is None or b.status != RUNNING:
        raise InvalidInput("the breakout rooms are not running")
    room = state.room(target)
    if person.current == room.id:
        return []
    if room.id != person.assigned and not (
        preset.allows(CAN_SWITCH_ROOMS) or preset.allows(CAN_ALTER)
    ):
        raise Forbidden(f"the '{preset.name}' preset may not switch between breakout rooms")
    return _place(state, person, room.id, "switched")
