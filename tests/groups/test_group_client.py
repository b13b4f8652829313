"""``bw.BreakoutGroups`` end to end: join, send, on_message, online, resume, leave; many
members in one process on one shared loop; the async variant; what ``bw.Chat`` needs."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import breakout_widgets as bw
from breakout_widgets.client._loop import background_loop

NAME = "https://example.org/client"


def wait_for(predicate, timeout: float = 10.0, what: str = "a condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def groups(group_server):
    with bw.BreakoutGroups(group_server.url, app_key=group_server.settings.admin_key) as g:
        yield g


def test_join_send_receive_and_leave(groups):
    with groups.join(group={"name": NAME}, user={"name": "Ada"}) as ada:
        bob = groups.join(group=NAME, user="Bob")
        assert (ada.guid, ada.max, ada.name) == (bob.guid, 1000, NAME)
        assert ada.uid != bob.uid and ada.token.startswith("bwg_")
        assert ada.user["name"] == "Ada" and "authToken" not in ada.user
        assert ada.group["guid"] == ada.guid
        got: list[dict] = []
        bob.on_message(got.append)
        sent = ada.send("hello Bob")
        assert (sent.text, sent.seq, sent.sender["name"]) == ("hello Bob", 1, "Ada")
        wait_for(lambda: got, what="Bob to receive")
        assert got[0]["data"]["text"] == "hello Bob" and got[0]["meeting_id"] == ada.guid
        wait_for(lambda: bob.online == 2 and ada.online == 2, what="the count of two")
        assert [m.text for m in bob.history()] == ["hello Bob"]
        bob.leave()
        bob.leave()  # harmless twice
        wait_for(lambda: ada.online == 1, what="the count after Bob left")
        assert groups.members(ada.guid) == [ada.uid]
        with pytest.raises(bw.Forbidden):
            bob.send("after leaving")
    assert groups.shards(NAME) == []  # Ada left at the end of the with: the shard is gone


def test_a_dropped_connection_resumes_without_losses_or_doubles(groups):
    ada = groups.join(NAME, "Ada")
    bob = groups.join(NAME, "Bob")
    seen: list[int] = []
    bob.on_message(lambda e: seen.append(e["seq"]))
    ada.send("before")
    wait_for(lambda: seen == [1], what="the first message")
    connections = bob.events.connections
    bob.drop()
    for i in range(10):
        ada.send(f"while away {i}")
    wait_for(lambda: len(seen) == 11, what="the missed messages")
    assert seen == list(range(1, 12))
    assert bob.events.connections == connections + 1
    ada.leave()
    bob.leave()


def test_what_the_chat_widget_uses(groups, group_server):
    ada = groups.join(NAME, {"name": "Ada", "avatar": "https://example.org/ada.png"})
    assert ada.me.id == ada.uid and ada.me.name == "Ada"
    assert ada.meeting.id == ada.guid and ada.meeting.title == NAME
    message = ada.chat.send("hi", client_id="one")
    assert isinstance(message, bw.Message)
    assert ada.chat.send("hi", client_id="one") == message  # a retry makes no second one
    assert (message.id, message.seq, message.text, message.client_id) == (
        message["id"],
        1,
        "hi",
        "one",
    )
    assert message.sender == {"id": ada.uid, "name": "Ada", "avatar": "https://example.org/ada.png"}
    assert ada.chat.history(ada.guid, before=2, limit=10) == [message]
    with pytest.raises(bw.Forbidden):
        ada.chat.history("some other meeting")
    got: list[dict] = []
    ada.on("chat_message", got.append)
    ada.chat.send("second")
    wait_for(lambda: len(got) == 1)
    ada.off("chat_message")
    ada.leave()


def test_set_max_and_the_anonymous_member(short_grace):
    groups = bw.BreakoutGroups(short_grace.url, app_key=short_grace.settings.admin_key)
    assert groups.set_max("tiny", 1)["max"] == 1
    first = groups.join("tiny", connect=False)
    second = groups.join({"name": "tiny"}, connect=False)
    assert first.user["name"] == "Anonymous" and first.max == 1
    assert [s["number"] for s in groups.shards("tiny")] == [1, 2]
    assert first.guid != second.guid
    with pytest.raises(bw.InvalidInput, match="the group needs a name"):
        groups.join({"icon": "x.png"})
    second.leave()
    wait_for(lambda: groups.shards("tiny") == [], what="the unconnected member to leave")
    with pytest.raises(bw.Forbidden, match="unknown group token"):
        first.connect()  # the grace period is over: the membership ended
    groups.close()


def test_200_members_in_one_process_share_one_loop(groups):
    background_loop()  # the shared loop's thread exists before we count
    before = threading.active_count()
    members = [groups.join(NAME, f"m{i}") for i in range(200)]  # each connects
    assert threading.active_count() == before  # no thread per member
    received = [0] * 200
    for i, member in enumerate(members):
        member.on_message(lambda e, i=i: received.__setitem__(i, received[i] + 1))
    assert all(m.events.connected.is_set() for m in members)
    members[0].send("to everyone")
    wait_for(lambda: all(received), what="all 200 to receive")
    assert received == [1] * 200
    assert threading.active_count() == before
    for member in members:
        member.leave()
    assert groups.shards(NAME) == []


async def test_the_async_variant_holds_many_members_on_the_callers_loop(group_server):
    before = threading.active_count()
    async with bw.AsyncBreakoutGroups(
        group_server.url, app_key=group_server.settings.admin_key
    ) as groups:
        members = await asyncio.gather(*(groups.join(NAME, f"a{i}") for i in range(100)))
        loop = asyncio.get_running_loop()
        got: list[tuple[int, asyncio.AbstractEventLoop]] = []
        for member in members:
            member.on_message(lambda e: got.append((e["seq"], asyncio.get_running_loop())))
        await members[1].send("hello all")
        deadline = time.monotonic() + 10
        while len(got) < 100 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert len(got) == 100 and all(seen == (1, loop) for seen in got)
        assert threading.active_count() == before  # callbacks ran here, on our loop
        assert sum(s["members"] for s in await groups.shards(NAME)) == 100
        await members[0].drop()
        await members[1].send("while one is away")
        while len(got) < 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert sorted(seq for seq, _ in got[100:]) == [2] * 100
        await asyncio.gather(*(m.leave() for m in members))
        assert await groups.shards(NAME) == []


def test_the_chat_widget_takes_a_member(groups):
    """``bw.Chat(member)`` as its view sees it: the history, then live messages."""
    ada, bob = groups.join(NAME, "Ada"), groups.join(NAME, "Bob")
    ada.send("before")
    chat = bw.Chat(bob)
    sent: list[dict] = []
    chat.send = lambda content, buffers=None: sent.append(content)
    chat._on_view_message(chat, {"kind": "hello"}, [])  # what a rendered view says first

    def shown() -> list[str]:
        texts: list[str] = []
        for m in list(sent):
            if m.get("kind") == "history" and m["reset"]:
                texts = [x["text"] for x in m["messages"]]
            elif m.get("kind") == "message":
                texts.append(m["message"]["text"])
        return texts

    wait_for(lambda: shown() == ["before"], what="the history")
    assert (chat.meeting_id, chat.meeting_title) == (bob.guid, NAME)
    assert chat.me == {"id": bob.uid, "name": "Bob"}
    ada.send("live")
    wait_for(lambda: shown() == ["before", "live"], what="the live message")
    chat._on_view_message(chat, {"kind": "command", "id": 1, "action": "send", "text": "me"}, [])
    wait_for(lambda: shown() == ["before", "live", "me"], what="our own message")
    assert [m.text for m in ada.history()] == ["before", "live", "me"]
    chat.close()
    ada.leave()
    bob.leave()
