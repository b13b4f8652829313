"""MeetingSwitcher and PollWidget: what they show, what they allow, and live updates."""

from __future__ import annotations

from view_probe import ViewProbe, wait_for

import breakout_widgets as bw


def _by_title(switcher: bw.MeetingSwitcher) -> dict[str, dict]:
    return {m["title"]: m for m in switcher.meetings}


def test_switcher_shows_rooms_counts_and_only_allowed_switches(classroom, sqlite_service):
    host, invites = classroom
    ada = bw.Classroom.join(sqlite_service.url, invites[0].token)
    switcher = bw.MeetingSwitcher(ada)
    probe = ViewProbe(switcher)
    assert list(_by_title(switcher)) == ["Main meeting"]  # draft rooms cannot be entered
    assert switcher.current == host.id and switcher.breakout["status"] == "draft"
    host.breakout.assign({"Red": ["Ada", "Grace"], "Blue": ["Alan"]})
    host.breakout.start(duration=600)
    wait_for(lambda: len(switcher.meetings) == 3, what="the open rooms")
    shown = _by_title(switcher)
    red = shown["Red"]
    wait_for(lambda: switcher.current == red["id"], what="Ada in Red")
    shown = _by_title(switcher)
    assert (shown["Red"]["count"], shown["Blue"]["count"]) == (2, 1)
    # The default participant preset may go back to main but not into other rooms.
    assert shown["Main meeting"]["can_switch"] is True
    assert shown["Blue"]["can_switch"] is False and shown["Red"]["can_switch"] is False
    assert switcher.breakout["closes_at"] is not None
    refused = probe.command("switch", meeting=shown["Blue"]["id"])
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    assert probe.command("switch", meeting=host.id)["ok"] is True
    assert switcher.current == host.id and switcher.moving is False
    assert ada.meeting.is_main
    assert repr(switcher) == "MeetingSwitcher(in='Main meeting', meetings=3)"
    switcher.close()
    ada.close()


def test_switcher_of_a_host_may_go_anywhere(classroom):
    host, _ = classroom
    host.breakout.shuffle(seed=1)
    host.breakout.start()
    switcher = bw.MeetingSwitcher(host)
    probe = ViewProbe(switcher)
    shown = _by_title(switcher)
    assert shown["Red"]["can_switch"] and shown["Blue"]["can_switch"]
    assert shown["Main meeting"]["can_switch"] is False  # already there
    assert probe.command("switch", meeting=shown["Blue"]["id"])["ok"]
    assert switcher.current == shown["Blue"]["id"]
    switcher.close()


def test_poll_votes_results_live_and_close(classroom, sqlite_service):
    host, invites = classroom
    poll = host.polls.create("Which is faster?", ["A", "B"])
    mine = bw.PollWidget(poll)
    host.connect()
    ada = bw.Classroom.join(sqlite_service.url, invites[0].token)
    theirs = bw.PollWidget(ada.polls.list()[-1])
    ada_probe = ViewProbe(theirs)
    assert theirs.question == "Which is faster?" and theirs.options == ["A", "B"]
    assert theirs.can_vote is True and theirs.can_close is False and theirs.my_vote is None
    assert mine.can_close is True
    assert ada_probe.command("vote", option="B")["ok"]
    assert theirs.my_vote == "B" and theirs.results == {"A": 0, "B": 1}
    # The host's widget follows the vote live, without reading anything itself.
    wait_for(lambda: mine.results == {"A": 0, "B": 1} and mine.votes == 1, what="live result")
    grace = bw.Classroom.join(sqlite_service.url, invites[1].token)
    grace.polls.list()[-1].vote("A")
    ada.connect()
    wait_for(lambda: theirs.results == {"A": 1, "B": 1}, what="Grace's vote in Ada's widget")
    refused = ada_probe.command("close")
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    assert ViewProbe(mine).command("close")["ok"]
    assert mine.status == "closed"
    wait_for(lambda: theirs.status == "closed", what="closed everywhere")
    late = ada_probe.command("vote", option="A")
    assert late["ok"] is False
    assert repr(mine) == "PollWidget('Which is faster?', votes=2, status='closed')"
    for w in (mine, theirs):
        w.close()
    grace.close()
    ada.close()
