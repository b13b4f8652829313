"""Chat works with a breakout-groups member as with a class participant."""

from __future__ import annotations

from view_probe import ViewProbe, wait_for

import breakout_widgets as bw


def test_chat_of_a_group_member(sqlite_service):
    groups = bw.BreakoutGroups(sqlite_service.url, app_key=sqlite_service.admin_key)
    topic = {"name": "https://example.org/articles/42"}
    ada = groups.join(group=topic, user={"name": "Ada"})
    grace = groups.join(group=topic, user={"name": "Grace"})
    assert ada.guid == grace.guid
    grace.send("before the view")
    chat = bw.Chat(ada)
    probe = ViewProbe(chat)
    first = wait_for(lambda: probe.of_kind("history"), what="the history")[0]
    assert [m["text"] for m in first["messages"]] == ["before the view"]
    assert chat.meeting_id == ada.guid and chat.meeting_title == topic["name"]
    assert chat.me == {"id": ada.uid, "name": "Ada"}
    grace.send("live <b>text</b>")
    wait_for(
        lambda: [m["message"]["text"] for m in probe.of_kind("message")] == ["live <b>text</b>"],
        what="Grace's live message",
    )
    assert probe.command("send", text="hi from the view", client_id="v-1")["ok"]
    assert [m.text for m in grace.history()][-1] == "hi from the view"
    chat.close()
    ada.leave()
    grace.leave()
