"""AssignmentBoard's Python half against the real service: roster diffs, commands,
changes made elsewhere, conflicts and the help queue."""

from __future__ import annotations

from view_probe import ViewProbe, wait_for

import breakout_widgets as bw


def _cards(probe: ViewProbe) -> dict[str, dict]:
    full = probe.of_kind("roster")[-1]
    assert full["full"] is True
    return {c["name"]: c for c in full["participants"]}


def test_hello_sends_the_whole_roster_and_traits_hold_rooms(classroom):
    host, _ = classroom
    board = bw.AssignmentBoard(host)
    probe = ViewProbe(board)
    probe.hello()
    cards = _cards(probe)
    assert set(cards) == {"Ms. Rivera", "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald"}
    assert cards["Ms. Rivera"]["host"] is True and cards["Ada"]["host"] is False
    assert cards["Ada"]["room_id"] is None and cards["Ada"]["meeting_id"] == host.id
    assert [r["title"] for r in board.rooms] == ["Red", "Blue"]
    assert board.breakout["status"] == "draft" and isinstance(board.breakout["version"], int)
    assert repr(board) == "AssignmentBoard('Algebra 1', rooms=2, participants=6, status='draft')"
    board.close()


def test_a_move_sends_one_card_not_the_roster(classroom):
    host, _ = classroom
    board = bw.AssignmentBoard(host)
    probe = ViewProbe(board)
    # The board's own live connection puts the host online: let that settle first.
    wait_for(lambda: any(c["host"] and c["online"] for c in board.participants), what="host")
    probe.clear()
    red = board.rooms[0]["id"]
    ada = next(c for c in board.participants if c["name"] == "Ada")
    reply = probe.command("move", participant=ada["id"], room=red)
    assert reply["ok"] is True
    patches = [m for m in probe.of_kind("roster") if not m["full"]]
    # The patch was sent before the reply, and holds Ada's card only.
    assert probe.sent.index(patches[0]) < probe.sent.index(reply)
    changed = [c for p in patches for c in p["changed"]]
    assert [c["name"] for c in changed] == ["Ada"] and changed[0]["room_id"] == red
    assert all(p["removed"] == [] for p in patches)
    assert [r.names for r in host.breakout.rooms] == [["Ada"], []]
    board.close()


def test_shuffle_start_broadcast_close_and_recreate(classroom):
    host, _ = classroom
    board = bw.AssignmentBoard(host)
    probe = ViewProbe(board)
    assert probe.command("shuffle", seed="7")["ok"]
    assert sorted(len(r.participants) for r in host.breakout.rooms) == [3, 3]
    assert probe.command("start", duration=600, warning=60)["ok"]
    assert board.breakout["status"] == "running" and board.breakout["closes_at"] is not None
    assert probe.command("broadcast", text="5 minutes left")["ok"]
    assert probe.command("close", countdown=None)["ok"]
    assert board.breakout["status"] == "closed" and board.breakout["can_recreate"] is True
    assert probe.command("recreate")["ok"]
    assert board.breakout["status"] == "draft"
    assert sorted(len(r.participants) for r in host.breakout.rooms) == [3, 3]
    board.close()


def test_rooms_are_added_renamed_and_deleted(classroom):
    host, _ = classroom
    board = bw.AssignmentBoard(host)
    probe = ViewProbe(board)
    assert probe.command("add_room", title="")["ok"]
    assert probe.command("add_room", title="Green")["ok"]
    titles = [r["title"] for r in board.rooms]
    assert titles[:2] == ["Red", "Blue"] and titles[-1] == "Green" and len(titles) == 4
    green = board.rooms[-1]["id"]
    assert probe.command("rename_room", room=green, title="Teal")["ok"]
    assert board.rooms[-1]["title"] == "Teal"
    assert probe.command("delete_room", room=green)["ok"]
    assert "Teal" not in [r["title"] for r in board.rooms]
    bad = probe.command("rename_room", room=board.rooms[0]["id"], title="")
    assert bad["ok"] is False and bad["error"]["code"] == "invalid_input"
    board.close()


def test_changes_made_elsewhere_reach_the_board_without_a_command(classroom, sqlite_service):
    host, invites = classroom
    board = bw.AssignmentBoard(host)
    probe = ViewProbe(board)
    host.connect()
    other = bw.Classroom.create  # a second controller on the same class, as another host
    second = bw.Classroom.join(sqlite_service.url, host.token, admin_key=sqlite_service.admin_key)
    assert other is not None
    second.breakout.move("Grace", "Blue")
    blue = board.rooms[1]["id"]
    patch = wait_for(
        lambda: [
            c
            for m in probe.of_kind("roster")
            if not m["full"]
            for c in m["changed"]
            if c["name"] == "Grace" and c["room_id"] == blue
        ],
        what="Grace's card in Blue",
    )
    assert len(patch) == 1
    # Presence: a student connecting turns their dot on.
    ada = bw.Classroom.join(sqlite_service.url, invites[0].token).connect()
    wait_for(
        lambda: any(c["name"] == "Ada" and c["online"] for c in board.participants),
        what="Ada online",
    )
    ada.close()
    second.close()
    board.close()


def test_a_stale_board_gets_a_conflict_and_reloads(classroom, sqlite_service):
    host, _ = classroom
    board = bw.AssignmentBoard(host)
    probe = ViewProbe(board)
    stale = dict(board.breakout)
    second = bw.Classroom.join(sqlite_service.url, host.token, admin_key=sqlite_service.admin_key)
    second.breakout.move("Alan", "Red")  # board has no live events here: it stays stale
    board.breakout = stale
    ada = next(c for c in board.participants if c["name"] == "Ada")
    reply = probe.command("move", participant=ada["id"], room=board.rooms[1]["id"])
    assert reply["ok"] is False and reply["error"]["code"] == "conflict"
    notices = probe.of_kind("notice")
    assert notices and "reloaded" in notices[-1]["text"]
    cards = _cards(probe)  # the reload sent the whole roster again
    assert cards["Alan"]["room_id"] == board.rooms[0]["id"]
    assert cards["Ada"]["room_id"] is None  # the refused move changed nothing
    second.close()
    board.close()


def test_help_queue_shows_and_resolves(classroom, sqlite_service):
    host, invites = classroom
    board = bw.AssignmentBoard(host)
    probe = ViewProbe(board)
    host.connect()
    grace = bw.Classroom.join(sqlite_service.url, invites[1].token)
    request = grace.ask_for_help()
    queue = wait_for(lambda: board.help_queue, what="the help request")
    assert queue[0]["name"] == "Grace" and queue[0]["room_title"] == "Main meeting"
    assert queue[0]["since"] > 0
    assert probe.command("resolve_help", request=request.id)["ok"]
    assert board.help_queue == []
    grace.close()
    board.close()


def test_unknown_action_is_refused_clearly(classroom):
    host, _ = classroom
    board = bw.AssignmentBoard(host)
    reply = ViewProbe(board).command("explode")
    assert reply["ok"] is False and "no action 'explode'" in reply["error"]["message"]
    board.close()
