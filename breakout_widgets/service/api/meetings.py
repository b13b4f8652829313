"""Routes for presets, classes (main meetings), participants and a participant's own state."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..domain.permissions import preset_from_flags
from .deps import AdminDep, CallerDep, ClassesDep
from .schemas import ClassBody, InviteBody, MediaBody, PresetBody, SwitchBody

router = APIRouter(prefix="/v1")


@router.get("/health")
async def health() -> dict[str, Any]:
    return {"ok": True}


@router.get("/presets")
async def list_presets(_: AdminDep, classes: ClassesDep) -> dict[str, Any]:
    presets = await classes.store.presets()
    return {"presets": [p.to_json() for p in presets.values()]}


@router.post("/presets", status_code=201)
async def save_preset(body: PresetBody, _: AdminDep, classes: ClassesDep) -> dict[str, Any]:
    preset = preset_from_flags(body.name, body.permissions, classes.limits.max_name)
    return (await classes.store.save_preset(preset)).to_json()


@router.post("/meetings", status_code=201)
async def create_class(body: ClassBody, _: AdminDep, classes: ClassesDep) -> dict[str, Any]:
    """A new class: its main meeting and, if ``host`` is given, a host participant."""
    return await classes.create_class(body.title, body.host)


@router.get("/meetings/{meeting_id}")
async def get_meeting(meeting_id: str, caller: CallerDep, classes: ClassesDep) -> dict[str, Any]:
    meeting = await classes.store.meeting(meeting_id)
    classes.require_member(caller.who, meeting["class_id"])
    return meeting


@router.get("/meetings/{class_id}/rooms")
async def all_rooms(class_id: str, caller: CallerDep, classes: ClassesDep) -> dict[str, Any]:
    """Every room of the class, closed ones included (they stay readable as records)."""
    await classes.require_host(caller.who, class_id)
    await classes.store.meeting(class_id)
    return {"rooms": await classes.store.rooms_of_class(class_id)}


@router.post("/meetings/{class_id}/participants", status_code=201)
async def invite(
    class_id: str, body: InviteBody, _: AdminDep, classes: ClassesDep
) -> dict[str, Any]:
    """Add participants (all or none); the answer is the only place their tokens appear."""
    invited = await classes.invite(class_id, [(p.name, p.preset) for p in body.participants])
    return {"participants": invited}


@router.get("/meetings/{class_id}/participants")
async def participants(class_id: str, caller: CallerDep, classes: ClassesDep) -> dict[str, Any]:
    classes.require_member(caller.who, class_id)
    state = await classes.state(class_id)
    return {"version": state.version, "participants": await classes.people_json(state)}


async def _me(classes: ClassesDep, participant_id: str, class_id: str) -> dict[str, Any]:
    state = await classes.state(class_id)
    person = state.person(participant_id)
    preset = await classes.preset(person.preset.name)
    return {
        "participant": person.to_json(),
        "permissions": preset.to_json()["permissions"],
        "meeting": await classes.store.meeting(person.current),
        "class": {"id": state.id, "title": state.title},
    }


@router.get("/me")
async def me(caller: CallerDep, classes: ClassesDep) -> dict[str, Any]:
    """The caller, their permissions and the meeting they are in now."""
    who = caller.participant
    return await _me(classes, who.participant_id, who.class_id)


@router.post("/me/switch")
async def switch(body: SwitchBody, caller: CallerDep, classes: ClassesDep) -> dict[str, Any]:
    """Move oneself to ``"main"`` or a room id, as the preset allows."""
    who = caller.participant
    await classes.switch(who, body.meeting)
    return await _me(classes, who.participant_id, who.class_id)


@router.patch("/me/media")
async def media(body: MediaBody, caller: CallerDep, classes: ClassesDep) -> dict[str, Any]:
    """Turn one's mic or camera flag on or off; the flags survive switches."""
    who = caller.participant
    state = await classes.set_media(who, body.mic, body.camera)
    return state.person(who.participant_id).to_json()
