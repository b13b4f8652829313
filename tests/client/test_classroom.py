"""The sync controller over real HTTP: a class from invite to close, and its typed errors."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pandas as pd
import pytest

import breakout_widgets as bw

STUDENTS = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken"]


@pytest.fixture
def cls(sqlite_service) -> Iterator[bw.Classroom]:
    with bw.Classroom.create(
        sqlite_service.url, admin_key=sqlite_service.admin_key, title="Algebra 1", host="Ms. Rivera"
    ) as classroom:
        yield classroom


def _layout(rooms: list[bw.Room]) -> dict[str, list[str]]:
    return {r.title: sorted(r.names) for r in rooms}


def _student_names(classroom: bw.Classroom) -> list[str]:
    return [p.name for p in classroom.participants if p.preset == "participant"]


# -- the whole lifecycle, on SQLite and PostgreSQL ---------------------------------------------


def test_lifecycle(service):
    with bw.Classroom.create(
        service.url, admin_key=service.admin_key, title="Algebra 1", host="Ms. Rivera"
    ) as cls:
        assert cls.title == "Algebra 1"
        assert cls.meeting.title == "Algebra 1"
        assert cls.meeting.is_main
        invites = cls.invite_many(STUDENTS)
        assert [i.name for i in invites] == STUDENTS
        assert all(i.token and i.participant_id for i in invites)
        assert invites[0].token not in repr(invites[0])  # tokens stay out of outputs

        people = cls.participants
        assert [p.name for p in people] == ["Ms. Rivera", *STUDENTS]
        assert people[0].preset == "host"
        main_id = cls.meeting.id
        assert all(p.meeting_id == main_id for p in people)

        assert [r.title for r in cls.breakout.create(["Team A", "Team B"])] == ["Team A", "Team B"]
        assert cls.breakout.status == "draft"
        rooms = cls.breakout.assign(
            {"Team A": ["Ada", "Grace"], "Team B": ["Alan", "Edsger", "Barbara"]}
        )
        assert _layout(rooms) == {
            "Team A": ["Ada", "Grace"],
            "Team B": ["Alan", "Barbara", "Edsger"],
        }
        rooms = cls.breakout.start()
        assert {r.status for r in rooms} == {"open"}
        assert cls.breakout.status == "running"

        with (
            bw.Classroom.join(service.url, invites[0].token) as ada,
            bw.Classroom.join(service.url, invites[5].token) as ken,
        ):
            assert ada.meeting.title == "Team A"
            assert not ada.meeting.is_main
            assert ken.meeting.title == "Algebra 1"  # unassigned people stay in main
            assert ken.meeting.is_main

            cls.breakout.move("Ada", "Team B")  # while running, a move is immediate
            assert ada.meeting.title == "Team B"

            assert ada.switch("main").title == "Algebra 1"
            assert ada.switch("Team B").title == "Team B"  # back to her own room

            rooms = cls.breakout.close()
            assert rooms == []  # closed rooms are no longer live
            assert cls.breakout.status == "closed"
            assert ada.meeting.title == "Algebra 1"
            assert all(p.meeting_id == main_id for p in cls.participants)

        history = cls.breakout.history()
        assert {r["title"] for r in history} == {"Team A", "Team B"}
        assert {r["status"] for r in history} == {"closed"}


# -- invites ---------------------------------------------------------------------------------


def test_invite_one(cls):
    invite = cls.invite("Ada")
    assert invite.name == "Ada"
    assert invite.preset == "participant"
    assert invite.token.startswith("bw_")
    with bw.Classroom.join(cls.url, invite.token) as ada:
        assert ada.me.name == "Ada"
        assert ada.title == "Algebra 1"
        assert ada.id == cls.id


def test_invite_many_from_a_list(cls):
    invites = cls.invite_many(["Ada", "Grace"])
    assert [i.name for i in invites] == ["Ada", "Grace"]
    assert len({i.token for i in invites}) == 2
    assert _student_names(cls) == ["Ada", "Grace"]


def test_invite_many_from_a_csv_with_a_name_header(cls, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("email,Name\nada@example.org,Ada\ngrace@example.org, Grace \n\n")
    invites = cls.invite_many(path)
    assert [i.name for i in invites] == ["Ada", "Grace"]
    assert _student_names(cls) == ["Ada", "Grace"]


def test_invite_many_from_a_csv_path_string_without_header(cls, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("Ada,1\nGrace,2\nAlan,3\n")
    invites = cls.invite_many(str(path))
    assert [i.name for i in invites] == ["Ada", "Grace", "Alan"]


def test_invite_many_from_a_missing_csv_is_invalid(cls, tmp_path):
    with pytest.raises(bw.InvalidInput, match="no such CSV file"):
        cls.invite_many(tmp_path / "nope.csv")
    assert _student_names(cls) == []


def test_invite_many_from_a_dataframe(cls):
    frame = pd.DataFrame({"name": ["Ada", "Grace"], "email": ["a@x.org", "g@x.org"]})
    invites = cls.invite_many(frame)
    assert [i.name for i in invites] == ["Ada", "Grace"]
    assert _student_names(cls) == ["Ada", "Grace"]


def test_invite_many_from_a_dataframe_skips_blank_cells_like_a_csv(cls, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("name,seat\nAda,1\n,2\n Grace ,3\n")
    invites = cls.invite_many(pd.read_csv(path))  # pandas reads the blank cell as NaN
    assert [i.name for i in invites] == ["Ada", "Grace"]
    assert "nan" not in _student_names(cls)


def test_invite_many_from_a_dataframe_without_name_column(cls):
    frame = pd.DataFrame({"student": ["Ada", "Grace"]})
    with pytest.raises(bw.InvalidInput, match="'name' column") as err:
        cls.invite_many(frame)
    assert isinstance(err.value, bw.BreakoutError)
    assert _student_names(cls) == []


def test_invite_many_is_all_or_nothing(cls):
    cls.invite("Ada")
    with pytest.raises(bw.Conflict, match="Ada"):
        cls.invite_many(["Grace", "Ada"])
    assert _student_names(cls) == ["Ada"]


def test_invite_with_a_custom_preset_name_that_does_not_exist(cls):
    with pytest.raises(bw.NotFound, match="no preset named 'nope'"):
        cls.invite("Ada", preset="nope")
    assert _student_names(cls) == []


# -- rooms -----------------------------------------------------------------------------------


def test_create_rooms_by_count_and_by_titles(cls):
    assert [r.title for r in cls.breakout.create(3)] == ["Room 1", "Room 2", "Room 3"]
    rooms = cls.breakout.create(["Team A", "Team B"])
    assert [r.title for r in rooms] == ["Room 1", "Room 2", "Room 3", "Team A", "Team B"]
    assert all(r.status == "draft" and r.participants == [] for r in rooms)
    assert [r.title for r in cls.breakout.rooms] == [r.title for r in rooms]


def test_rename_delete_add(cls):
    cls.breakout.create(2)
    assert [r.title for r in cls.breakout.rename("Room 1", "Team A")] == ["Team A", "Room 2"]
    assert [r.title for r in cls.breakout.delete("Room 2")] == ["Team A"]
    assert [r.title for r in cls.breakout.add("Team B")] == ["Team A", "Team B"]
    # numbering continues around existing titles
    assert [r.title for r in cls.breakout.create(2)][-2:] == ["Room 1", "Room 2"]


def test_add_and_delete_while_running(cls):
    invites = cls.invite_many(["Ada", "Grace"])
    cls.breakout.create(["Team A"])
    cls.breakout.assign({"Team A": ["Ada", "Grace"]})
    cls.breakout.start()
    rooms = cls.breakout.add("Team B")
    assert {r.title: r.status for r in rooms} == {"Team A": "open", "Team B": "open"}
    with bw.Classroom.join(cls.url, invites[0].token) as ada:
        assert ada.meeting.title == "Team A"
        rooms = cls.breakout.delete("Team A")
        assert [r.title for r in rooms] == ["Team B"]
        assert ada.meeting.title == "Algebra 1"  # the deleted room's people go to main
    cls.breakout.close()


# -- assignment ------------------------------------------------------------------------------


def test_shuffle_is_even_and_reproducible_with_a_seed(cls):
    names = [f"student{i:02d}" for i in range(14)]
    cls.invite_many(names)
    cls.breakout.create(4)
    first = _layout(cls.breakout.shuffle(seed=7))
    assert sorted(len(v) for v in first.values()) == [3, 3, 4, 4]
    assert sorted(n for v in first.values() for n in v) == names  # the host is not shuffled
    other = _layout(cls.breakout.shuffle(seed=8))
    again = _layout(cls.breakout.shuffle(seed=7))
    assert again == first
    assert other != first


def test_shuffle_with_the_same_seed_on_another_class_gives_the_same_rooms(cls, sqlite_service):
    names = [f"student{i:02d}" for i in range(10)]
    cls.invite_many(names)
    cls.breakout.create(3)
    first = _layout(cls.breakout.shuffle(seed="week 3"))
    with bw.Classroom.create(
        sqlite_service.url, admin_key=sqlite_service.admin_key, title="Algebra 2", host="Mr. Poe"
    ) as twin:
        twin.invite_many(list(reversed(names)))  # invitation order does not matter
        twin.breakout.create(3)
        assert _layout(twin.breakout.shuffle(seed="week 3")) == first


def test_assign_by_names_move_and_unassign(cls):
    cls.invite_many(["Ada", "Grace", "Alan"])
    cls.breakout.create(["Team A", "Team B"])
    rooms = cls.breakout.assign({"Team A": ["Ada", "Grace"]})
    assert _layout(rooms) == {"Team A": ["Ada", "Grace"], "Team B": []}
    rooms = cls.breakout.move("Grace", "Team B")
    assert _layout(rooms) == {"Team A": ["Ada"], "Team B": ["Grace"]}
    rooms = cls.breakout.assign({"Team B": "Alan"})  # one name is fine too
    assert _layout(rooms) == {"Team A": ["Ada"], "Team B": ["Alan", "Grace"]}
    rooms = cls.breakout.unassign("Ada")
    assert _layout(rooms) == {"Team A": [], "Team B": ["Alan", "Grace"]}
    rooms = cls.breakout.assign({None: ["Grace"], "Team A": ["Alan"]})
    assert _layout(rooms) == {"Team A": ["Alan"], "Team B": []}
    by_name = {p.name: p for p in cls.participants}
    team_a = next(r for r in rooms if r.title == "Team A")
    assert by_name["Alan"].room_id == team_a.id
    assert by_name["Ada"].room_id is None


def test_assign_by_ids_also_works(cls):
    ada = cls.invite("Ada")
    rooms = cls.breakout.create(["Team A"])
    rooms = cls.breakout.assign({rooms[0].id: [ada.participant_id]})
    assert rooms[0].names == ["Ada"]


def test_recreate_the_last_assignment(cls):
    cls.invite_many(["Ada", "Grace"])
    cls.breakout.create(["Team A", "Team B"])
    cls.breakout.assign({"Team A": ["Ada"], "Team B": ["Grace"]})
    cls.breakout.start()
    cls.breakout.close()
    rooms = cls.breakout.recreate()
    assert _layout(rooms) == {"Team A": ["Ada"], "Team B": ["Grace"]}
    assert {r.status for r in rooms} == {"draft"}


# -- meetings and switching ------------------------------------------------------------------


def test_meeting_titles_follow_the_participant(cls):
    ada_invite = cls.invite("Ada")
    cls.breakout.create(["Team A", "Team B"])
    cls.breakout.assign({"Team A": ["Ada"]})
    with bw.Classroom.join(cls.url, ada_invite.token) as ada:
        assert ada.meeting.title == "Algebra 1"  # draft: nobody moves yet
        cls.breakout.start()
        meeting = ada.meeting
        assert meeting.title == "Team A"
        assert meeting.kind == "room"
        assert meeting.class_id == cls.id
        assert cls.meeting.title == "Algebra 1"  # the host was not assigned
        cls.breakout.close()
        assert ada.meeting.title == "Algebra 1"
        assert ada.meeting.id == cls.id


def test_student_switches_to_main_and_back_but_not_to_another_room(cls):
    ada_invite = cls.invite("Ada")
    cls.breakout.create(["Team A", "Team B"])
    cls.breakout.assign({"Team A": ["Ada"]})
    cls.breakout.start()
    with bw.Classroom.join(cls.url, ada_invite.token) as ada:
        assert ada.switch("main").title == "Algebra 1"
        assert ada.meeting.is_main
        assert ada.switch("Team A").title == "Team A"
        with pytest.raises(bw.Forbidden, match="may not switch between breakout rooms") as err:
            ada.switch("Team B")
        assert err.value.code == "forbidden"
        assert ada.meeting.title == "Team A"  # the refused switch moved nobody
        with pytest.raises(bw.NotFound, match="no room 'Team Z'"):
            ada.switch("Team Z")


def test_host_enters_any_room(cls):
    cls.breakout.create(["Team A", "Team B"])
    cls.breakout.start()
    assert cls.switch("Team B").title == "Team B"
    assert cls.switch("Team A").title == "Team A"
    assert cls.switch("main").title == "Algebra 1"


def test_switch_to_a_room_while_not_running_is_invalid(cls):
    ada_invite = cls.invite("Ada")
    cls.breakout.create(["Team A"])
    cls.breakout.assign({"Team A": ["Ada"]})
    with (
        bw.Classroom.join(cls.url, ada_invite.token) as ada,
        pytest.raises(bw.InvalidInput, match="not running"),
    ):
        ada.switch("Team A")


def test_media_flags_survive_a_switch(cls):
    ada_invite = cls.invite("Ada")
    cls.breakout.create(["Team A"])
    cls.breakout.assign({"Team A": ["Ada"]})
    cls.breakout.start()
    with bw.Classroom.join(cls.url, ada_invite.token) as ada:
        me = ada.set_media(mic=True, camera=True)
        assert (me.mic, me.camera) == (True, True)
        ada.switch("main")
        me = ada.set_media(camera=False)  # only the camera changes
        assert (me.mic, me.camera) == (True, False)
        ada.switch("Team A")
        cls.breakout.close()
        ada_now = next(p for p in cls.participants if p.name == "Ada")
        assert (ada_now.mic, ada_now.camera) == (True, False)
        assert ada_now.meeting_id == cls.id


# -- errors ----------------------------------------------------------------------------------

ERRORS = [bw.Forbidden, bw.NotFound, bw.Conflict, bw.InvalidInput, bw.Unavailable]


@pytest.mark.parametrize("error", ERRORS)
def test_every_error_is_a_breakout_error(error):
    assert issubclass(error, bw.BreakoutError)
    assert issubclass(error, Exception)


def test_unknown_room_and_name_are_not_found(cls):
    cls.invite("Ada")
    cls.breakout.create(["Team A"])
    version = cls.breakout.version
    with pytest.raises(bw.NotFound, match="no room 'Team Z'"):
        cls.breakout.move("Ada", "Team Z")
    with pytest.raises(bw.NotFound, match="no participant named 'Nobody'"):
        cls.breakout.move("Nobody", "Team A")
    with pytest.raises(bw.NotFound):
        cls.breakout.rename("Team Z", "Team B")
    with pytest.raises(bw.NotFound):
        cls.breakout.delete("Team Z")
    assert cls.breakout.refresh()["version"] == version
    assert _layout(cls.breakout.rooms) == {"Team A": []}


def test_duplicate_names_conflict_and_carry_the_service_message(cls):
    cls.invite("Ada")
    with pytest.raises(bw.Conflict) as err:
        cls.invite("Ada")
    assert err.value.code == "conflict"
    assert err.value.message == "a participant named 'Ada' is already in this class"
    assert str(err.value) == err.value.message

    cls.breakout.create(["Team A", "Team B"])
    with pytest.raises(bw.Conflict, match="a room named 'Team A' already exists"):
        cls.breakout.rename("Team B", "Team A")
    with pytest.raises(bw.Conflict, match="a room named 'Team A' already exists"):
        cls.breakout.add("Team A")
    assert [r.title for r in cls.breakout.rooms] == ["Team A", "Team B"]


def test_two_hosts_editing_a_stale_version_conflict(cls):
    cls.invite_many(["Ada", "Grace"])
    cls.breakout.create(["Team A", "Team B"])
    with bw.Classroom.join(cls.url, cls.token) as co_host:
        co_host.breakout.refresh()
        seen = co_host.breakout.version
        cls.breakout.assign({"Team A": ["Ada"]})  # the first host moves first
        with pytest.raises(bw.Conflict, match=f"changed since version {seen}") as err:
            co_host.breakout.assign({"Team B": ["Ada", "Grace"]})
        assert err.value.details["version"] == cls.breakout.version
        assert _layout(cls.breakout.rooms) == {"Team A": ["Ada"], "Team B": []}
        co_host.breakout.refresh()  # look again, then retry
        rooms = co_host.breakout.assign({"Team B": ["Ada", "Grace"]})
        assert _layout(rooms) == {"Team A": [], "Team B": ["Ada", "Grace"]}


def test_names_over_100_characters_are_invalid(cls):
    long = "x" * 101
    with pytest.raises(bw.InvalidInput, match="101 characters; at most 100") as err:
        cls.invite(long)
    assert err.value.code == "invalid_input"
    assert _student_names(cls) == []
    assert cls.invite("y" * 100).name == "y" * 100
    cls.breakout.create(["Team A"])
    with pytest.raises(bw.InvalidInput, match="room title has 101 characters"):
        cls.breakout.rename("Team A", long)
    with pytest.raises(bw.InvalidInput):
        cls.breakout.add(long)
    assert [r.title for r in cls.breakout.rooms] == ["Team A"]


def test_a_student_may_not_run_the_breakout(cls):
    ada_invite = cls.invite("Ada")
    cls.breakout.create(["Team A"])
    with bw.Classroom.join(cls.url, ada_invite.token) as ada:
        before = cls.breakout.refresh()
        with pytest.raises(bw.Forbidden, match="'participant' preset may not") as err:
            ada.breakout.shuffle()
        assert "can_alter_connected_meetings" in err.value.message
        for action in (
            lambda: ada.breakout.create(2),
            lambda: ada.breakout.start(),
            lambda: ada.breakout.move("Ada", "Team A"),
            lambda: ada.breakout.delete("Team A"),
        ):
            with pytest.raises(bw.Forbidden):
                action()
        assert cls.breakout.refresh() == before


def test_invite_without_admin_key(cls):
    ada_invite = cls.invite("Ada")
    with bw.Classroom.join(cls.url, ada_invite.token) as ada:
        with pytest.raises(bw.BreakoutError, match="admin key") as err:
            ada.invite("Mallory")
        assert isinstance(err.value, bw.BreakoutError)
    with (
        bw.Classroom.join(cls.url, cls.token) as host_without_key,  # no admin_key= given
        pytest.raises(bw.BreakoutError, match="admin key"),
    ):
        host_without_key.invite_many(["Mallory"])
    assert _student_names(cls) == ["Ada"]


def test_wrong_admin_key_is_forbidden(sqlite_service):
    with pytest.raises(bw.Forbidden):
        bw.Classroom.create(sqlite_service.url, admin_key="bwadmin_wrong", title="X")


def test_unknown_token_is_refused(sqlite_service):
    with pytest.raises(bw.Forbidden, match="unknown token") as err:
        bw.Classroom.join(sqlite_service.url, "bw_not-a-token")
    assert isinstance(err.value, bw.Unauthorized)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_nothing_listening_is_unavailable():
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(bw.Unavailable, match="cannot reach the breakout service") as err:
        bw.Classroom.join(url, "bw_whatever")
    assert isinstance(err.value, bw.BreakoutError)
    with pytest.raises(bw.Unavailable):
        bw.Classroom.create(url, admin_key="k", title="Algebra 1")


def test_service_stopping_mid_class_is_unavailable(sqlite_service):
    with bw.Classroom.create(
        sqlite_service.url, admin_key=sqlite_service.admin_key, title="Algebra 1"
    ) as cls:
        sqlite_service.server.stop()
        with pytest.raises(bw.Unavailable):
            cls.breakout.create(2)
