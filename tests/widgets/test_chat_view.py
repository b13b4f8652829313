"""Chat's Python half: history, live messages, following a move, system lines, errors."""

from __future__ import annotations

from view_probe import ViewProbe, wait_for

import breakout_widgets as bw
from breakout_widgets.service.server import BackgroundServer

XSS = "<img src=x onerror=alert(1)>"


def _texts(probe: ViewProbe) -> list[str]:
    """What the view shows now: the last reset history plus the messages after it."""
    shown: list[str] = []
    for m in probe.sent:
        if m.get("kind") == "history" and m["reset"]:
            shown = [x["text"] for x in m["messages"]]
        elif m.get("kind") == "history":
            shown = [x["text"] for x in m["messages"]] + shown
        elif m.get("kind") == "message":
            shown.append(m["message"]["text"])
    return shown


def test_history_then_live_messages_in_the_main_meeting(classroom, sqlite_service):
    host, invites = classroom
    host.chat.send("welcome")
    ada = bw.Classroom.join(sqlite_service.url, invites[0].token)
    chat = bw.Chat(ada)
    probe = ViewProbe(chat)
    wait_for(lambda: probe.of_kind("history"), what="the first history")
    assert chat.meeting_title == "Main meeting" and chat.meeting_id == host.id
    assert chat.me["name"] == "Ada" and chat.max_length == 4000
    host.chat.send(XSS)  # text travels as text; the view never interprets it
    wait_for(lambda: _texts(probe) == ["welcome", XSS], what="the live message")
    assert repr(chat) == "Chat('Ada', showing='Main meeting')"
    chat.close()
    ada.close()


def test_send_command_shows_the_message_before_the_reply_and_once(classroom, sqlite_service):
    host, invites = classroom
    ada = bw.Classroom.join(sqlite_service.url, invites[0].token)
    chat = bw.Chat(ada)
    probe = ViewProbe(chat)
    wait_for(lambda: probe.of_kind("history"), what="the first history")
    reply = probe.command("send", text="hi all", client_id="c-1")
    assert reply["ok"] is True
    mine = [m for m in probe.of_kind("message") if m["message"]["text"] == "hi all"]
    assert mine and probe.sent.index(mine[0]) < probe.sent.index(reply)
    # A retry with the same client id (the view retrying) makes no second message.
    assert probe.command("send", text="hi all", client_id="c-1")["ok"] is True
    assert [m.text for m in host.chat.history()].count("hi all") == 1
    # The live copy of our own message arrives later and is not shown twice.
    host.chat.send("after")
    wait_for(lambda: "after" in _texts(probe), what="a later message")
    assert _texts(probe).count("hi all") == 1
    chat.close()
    ada.close()


def test_errors_come_back_inline_and_change_nothing(classroom, sqlite_service):
    host, invites = classroom
    ada = bw.Classroom.join(sqlite_service.url, invites[0].token)
    chat = bw.Chat(ada)
    probe = ViewProbe(chat)
    too_long = probe.command("send", text="x" * 4001, client_id="long")
    assert too_long["ok"] is False and too_long["error"]["code"] == "invalid_input"
    codes = [probe.command("send", text=f"m{i}", client_id=f"r{i}") for i in range(30)]
    limited = [r for r in codes if not r["ok"]]
    assert limited and limited[0]["error"]["code"] == "rate_limited"
    assert all(m.text != "x" * 4001 for m in host.chat.history(limit=100))
    chat.close()
    ada.close()


def test_the_chat_follows_its_participant_into_a_room_and_back(classroom, sqlite_service):
    host, invites = classroom
    ada = bw.Classroom.join(sqlite_service.url, invites[0].token)
    chat = bw.Chat(ada)
    probe = ViewProbe(chat)
    wait_for(lambda: probe.of_kind("history"), what="the first history")
    host.chat.send("in main")
    wait_for(lambda: "in main" in _texts(probe), what="main's message")
    host.breakout.assign({"Red": ["Ada", "Grace"]})
    host.breakout.start()
    red = host.breakout.rooms[0].id
    wait_for(lambda: chat.meeting_id == red and chat.meeting_title == "Red", what="the move")
    wait_for(lambda: _texts(probe) == [], what="Red's (empty) history")
    grace = bw.Classroom.join(sqlite_service.url, invites[1].token)
    grace.chat.send("hello Red")
    host.chat.send("main again")  # main's chat is not Red's: not shown
    wait_for(lambda: _texts(probe) == ["hello Red"], what="Red's message")
    systems = [m["text"] for m in probe.of_kind("system")]
    assert "You are now in Red." in systems
    host.breakout.broadcast("5 minutes left")
    wait_for(
        lambda: any("to everyone: 5 minutes left" in m["text"] for m in probe.of_kind("system")),
        what="the broadcast line",
    )
    host.breakout.close()
    wait_for(lambda: chat.meeting_id == host.id, what="back in main")
    wait_for(lambda: _texts(probe)[-1:] == ["main again"], what="main's history again")
    chat.close()
    grace.close()
    ada.close()


def test_older_pages_come_on_request(sqlite_backend):
    server = BackgroundServer(sqlite_backend.settings(chat_rate=1000, chat_burst=1000))
    server.start()
    host = bw.Classroom.create(server.url, admin_key=server.settings.admin_key, title="History")
    try:
        for i in range(60):
            host.chat.send(f"n{i}")
        chat = bw.Chat(host)
        probe = ViewProbe(chat)
        first = wait_for(lambda: probe.of_kind("history"), what="the first page")[0]
        assert len(first["messages"]) == 50 and first["complete"] is False
        oldest = first["messages"][0]["seq"]
        assert probe.command("older", before=oldest)["ok"]
        older = probe.of_kind("history")[-1]
        assert older["reset"] is False and older["complete"] is True
        assert _texts(probe) == [f"n{i}" for i in range(60)]
        chat.close()
    finally:
        host.close()
        server.stop()


def test_a_host_can_pin_a_room(classroom, sqlite_service):
    host, invites = classroom
    host.breakout.assign({"Blue": ["Alan"]})
    host.breakout.start()
    alan = bw.Classroom.join(sqlite_service.url, invites[2].token)
    alan.chat.send("from Blue")
    chat = bw.Chat(host, meeting="Blue")
    probe = ViewProbe(chat)
    wait_for(lambda: _texts(probe) == ["from Blue"], what="Blue's history")
    assert chat.meeting_title == "Blue"
    alan.chat.send("more")
    wait_for(lambda: _texts(probe) == ["from Blue", "more"], what="Blue's live message")
    chat.close()
    alan.close()


def test_a_lower_seq_arriving_after_our_own_message_is_still_shown(classroom, sqlite_service):
    """Our message's seq comes back in the answer; someone else's earlier one may arrive
    over the live connection after it, and must not be dropped."""
    _host, invites = classroom
    ada = bw.Classroom.join(sqlite_service.url, invites[0].token)
    chat = bw.Chat(ada)
    probe = ViewProbe(chat)
    wait_for(lambda: probe.of_kind("history"), what="the first history")
    main = chat.meeting_id
    sender = {"id": "p_other", "name": "Grace"}
    chat._on_chat({"meeting_id": main, "seq": 12, "time": 1.0, "data": {"id": "a", "text": "mine"}})
    chat._on_chat(
        {
            "meeting_id": main,
            "seq": 11,
            "time": 1.0,
            "data": {"id": "b", "text": "hers", "sender": sender},
        }
    )
    chat._on_chat({"meeting_id": main, "seq": 12, "time": 1.0, "data": {"id": "a", "text": "mine"}})
    assert [m["message"]["text"] for m in probe.of_kind("message")] == ["mine", "hers"]
    chat.close()
    ada.close()
