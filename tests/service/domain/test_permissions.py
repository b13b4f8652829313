"""Presets: the two built-ins, custom presets from flags, and require()."""

from __future__ import annotations

import pytest

from breakout_widgets.errors import BreakoutError, Forbidden, InvalidInput
from breakout_widgets.service.domain.permissions import (
    BUILTIN_PRESETS,
    CAN_ALTER,
    CAN_SWITCH_ROOMS,
    CAN_SWITCH_TO_MAIN,
    CHAT_SEND,
    HOST,
    PARTICIPANT,
    PERMISSIONS,
    POLLS_CREATE,
    POLLS_VOTE,
    Preset,
    preset_from_flags,
)


def test_the_permission_names_are_the_documented_ones():
    assert set(PERMISSIONS) == {
        "can_alter_connected_meetings",
        "can_switch_connected_meetings",
        "can_switch_to_parent_meeting",
        "chat.send",
        "polls.create",
        "polls.vote",
    }
    assert len(PERMISSIONS) == len(set(PERMISSIONS))


def test_host_has_every_permission():
    host = BUILTIN_PRESETS[HOST]
    assert host.name == "host"
    assert host.builtin
    assert host.permissions == frozenset(PERMISSIONS)
    assert all(host.allows(p) for p in PERMISSIONS)


def test_participant_may_return_to_main_chat_and_vote_and_nothing_else():
    participant = BUILTIN_PRESETS[PARTICIPANT]
    assert participant.name == "participant"
    assert participant.builtin
    assert participant.permissions == {CAN_SWITCH_TO_MAIN, CHAT_SEND, POLLS_VOTE}
    for denied in (CAN_ALTER, CAN_SWITCH_ROOMS, POLLS_CREATE):
        assert not participant.allows(denied)


def test_there_are_exactly_two_builtin_presets():
    assert set(BUILTIN_PRESETS) == {HOST, PARTICIPANT}


def test_to_json_lists_every_permission_as_a_flag():
    body = BUILTIN_PRESETS[PARTICIPANT].to_json()
    assert body == {
        "name": "participant",
        "builtin": True,
        "permissions": {
            CAN_ALTER: False,
            CAN_SWITCH_ROOMS: False,
            CAN_SWITCH_TO_MAIN: True,
            CHAT_SEND: True,
            POLLS_CREATE: False,
            POLLS_VOTE: True,
        },
    }


def test_preset_from_flags_keeps_only_the_true_flags():
    preset = preset_from_flags(
        "  roamer ", {CAN_SWITCH_ROOMS: True, CAN_SWITCH_TO_MAIN: True, CHAT_SEND: False}
    )
    assert preset == Preset("roamer", frozenset({CAN_SWITCH_ROOMS, CAN_SWITCH_TO_MAIN}))
    assert not preset.builtin


def test_preset_from_flags_with_no_flags_allows_nothing():
    preset = preset_from_flags("silent", {})
    assert preset.permissions == frozenset()
    assert not any(preset.allows(p) for p in PERMISSIONS)


def test_preset_from_flags_rejects_unknown_flags_and_names_them():
    with pytest.raises(InvalidInput) as info:
        preset_from_flags("odd", {CHAT_SEND: True, "fly": True, "can_teleport": False})
    message = str(info.value)
    assert "can_teleport" in message
    assert "fly" in message
    assert CHAT_SEND in message  # the known flags are listed to help the caller


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_preset_from_flags_rejects_empty_names(name):
    with pytest.raises(InvalidInput, match="1 to 100 characters"):
        preset_from_flags(name, {CHAT_SEND: True})


def test_preset_from_flags_rejects_too_long_names():
    assert preset_from_flags("x" * 100, {}).name == "x" * 100
    with pytest.raises(InvalidInput):
        preset_from_flags("x" * 101, {})
    with pytest.raises(InvalidInput, match="1 to 5 characters"):
        preset_from_flags("sixsix", {}, max_name=5)


@pytest.mark.parametrize("name", [HOST, PARTICIPANT, f"  {HOST}  "])
def test_preset_from_flags_refuses_to_redefine_a_builtin(name):
    with pytest.raises(InvalidInput, match="built-in"):
        preset_from_flags(name, {CHAT_SEND: True})


def test_require_passes_when_the_permission_is_there():
    BUILTIN_PRESETS[HOST].require(CAN_ALTER, "run the breakout")
    BUILTIN_PRESETS[PARTICIPANT].require(POLLS_VOTE, "vote")


def test_require_raises_forbidden_with_a_useful_message():
    with pytest.raises(Forbidden) as info:
        BUILTIN_PRESETS[PARTICIPANT].require(POLLS_CREATE, "create polls")
    error = info.value
    assert isinstance(error, BreakoutError)
    assert error.code == "forbidden"
    assert error.status == 403
    assert "participant" in error.message
    assert "create polls" in error.message
    assert POLLS_CREATE in error.message
    assert error.to_json()["error"]["code"] == "forbidden"
