"""Routes that run a class's breakout rooms. Every write carries the state version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ...errors import InvalidInput
from .deps import CallerDep, ClassesDep
from .schemas import (
    AssignBody,
    CloseBody,
    CreateRoomsBody,
    RenameRoomBody,
    ShuffleBody,
    StartBody,
    Versioned,
)

router = APIRouter(prefix="/v1/meetings/{class_id}/breakout")


async def _run(
    classes: ClassesDep, caller: CallerDep, class_id: str, action: str, version: int, **args: Any
) -> dict[str, Any]:
    await classes.require_host(caller.who, class_id)
    return await classes.state_json(await classes.breakout(class_id, action, version, **args))


@router.get("")
async def get_state(class_id: str, caller: CallerDep, classes: ClassesDep) -> dict[str, Any]:
    """Rooms, assignments, the timer and every participant's place and presence."""
    classes.require_member(caller.who, class_id)
    return await classes.state_json(await classes.state(class_id))


@router.post("/rooms", status_code=201)
async def create_rooms(
    class_id: str, body: CreateRoomsBody, caller: CallerDep, classes: ClassesDep
) -> dict[str, Any]:
    """Add rooms by ``count`` (named Room 1, Room 2…) or by ``titles``."""
    if (body.count is None) == (body.titles is None):
        raise InvalidInput("give either 'count' or 'titles'")
    if body.count is not None and body.count > classes.limits.max_rooms:
        raise InvalidInput(f"a breakout holds at most {classes.limits.max_rooms} rooms")
    return await _run(
        classes,
        caller,
        class_id,
        "create_rooms",
        body.version,
        titles=body.titles,
        count=body.count,
    )


@router.patch("/rooms/{room_id}")
async def rename_room(
    class_id: str, room_id: str, body: RenameRoomBody, caller: CallerDep, classes: ClassesDep
) -> dict[str, Any]:
    return await _run(
        classes, caller, class_id, "rename_room", body.version, room_id=room_id, title=body.title
    )


@router.delete("/rooms/{room_id}")
async def delete_room(
    class_id: str, room_id: str, version: int, caller: CallerDep, classes: ClassesDep
) -> dict[str, Any]:
    """Remove a room; while running, its people return to the main meeting."""
    return await _run(classes, caller, class_id, "delete_room", version, room_id=room_id)


@router.post("/shuffle")
async def shuffle(
    class_id: str, body: ShuffleBody, caller: CallerDep, classes: ClassesDep
) -> dict[str, Any]:
    """Split everyone but the hosts evenly; the same seed gives the same rooms."""
    return await _run(classes, caller, class_id, "shuffle", body.version, seed=body.seed)


@router.post("/assign")
async def assign(
    class_id: str, body: AssignBody, caller: CallerDep, classes: ClassesDep
) -> dict[str, Any]:
    """Put people into rooms (``room_id: null`` unassigns); others keep their place."""
    mapping: dict[str | None, list[str]] = {}
    for m in body.moves:
        mapping.setdefault(m.room_id, []).append(m.participant_id)
    return await _run(classes, caller, class_id, "assign", body.version, mapping=mapping)


@router.post("/start")
async def start(
    class_id: str, body: StartBody, caller: CallerDep, classes: ClassesDep
) -> dict[str, Any]:
    return await _run(
        classes,
        caller,
        class_id,
        "start",
        body.version,
        duration=body.duration,
        warning=body.warning,
    )


@router.post("/close")
async def close(
    class_id: str, body: CloseBody, caller: CallerDep, classes: ClassesDep
) -> dict[str, Any]:
    return await _run(classes, caller, class_id, "close", body.version, countdown=body.countdown)


@router.post("/recreate")
async def recreate(
    class_id: str, body: Versioned, caller: CallerDep, classes: ClassesDep
) -> dict[str, Any]:
    """A new draft with the rooms and assignment of the last closed breakout."""
    return await _run(classes, caller, class_id, "recreate", body.version)
