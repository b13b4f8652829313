"""The async controller runs the same lifecycle as the sync one, over real HTTP."""

from __future__ import annotations

import asyncio
import socket

import pandas as pd
import pytest

import breakout_widgets as bw

STUDENTS = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken"]


def _layout(rooms: list[bw.Room]) -> dict[str, list[str]]:
    return {r.title: sorted(r.names) for r in rooms}


async def test_lifecycle(service):
    async with await bw.AsyncClassroom.create(
        service.url, admin_key=service.admin_key, title="Algebra 1", host="Ms. Rivera"
    ) as cls:
        assert cls.title == "Algebra 1"
        main = await cls.meeting()
        assert main.title == "Algebra 1"
        assert main.is_main
        assert main.id == cls.id

        invites = await cls.invite_many(STUDENTS[:4])
        invites += await cls.invite_many(pd.DataFrame({"name": STUDENTS[4:5]}))
        invites.append(await cls.invite(STUDENTS[5]))
        assert [i.name for i in invites] == STUDENTS
        people = await cls.participants()
        assert [p.name for p in people] == ["Ms. Rivera", *STUDENTS]
        assert all(p.meeting_id == cls.id for p in people)

        rooms = await cls.breakout.create(2)
        assert [r.title for r in rooms] == ["Room 1", "Room 2"]
        await cls.breakout.rename("Room 1", "Team A")
        await cls.breakout.add("Team B")
        rooms = await cls.breakout.delete("Room 2")
        assert [r.title for r in rooms] == ["Team A", "Team B"]

        first = _layout(await cls.breakout.shuffle(seed=7))
        assert sorted(len(v) for v in first.values()) == [3, 3]
        await cls.breakout.shuffle(seed=1)
        assert _layout(await cls.breakout.shuffle(seed=7)) == first

        rooms = await cls.breakout.assign({"Team A": ["Ada", "Grace"], "Team B": ["Alan"]})
        await cls.breakout.unassign("Edsger")
        await cls.breakout.move("Barbara", "Team B")
        rooms = await cls.breakout.unassign("Ken")
        assert _layout(rooms) == {"Team A": ["Ada", "Grace"], "Team B": ["Alan", "Barbara"]}
        assert (await cls.breakout.refresh())["status"] == "draft"

        rooms = await cls.breakout.start(duration=600, warning=60)
        assert {r.status for r in rooms} == {"open"}
        state = await cls.breakout.refresh()
        assert state["status"] == "running"
        assert state["closes_at"] - state["started_at"] == pytest.approx(600)

        async with (
            await bw.AsyncClassroom.join(service.url, invites[0].token) as ada,
            await bw.AsyncClassroom.join(service.url, invites[3].token) as edsger,
        ):
            assert (await ada.meeting()).title == "Team A"
            assert (await edsger.meeting()).title == "Algebra 1"

            me = await ada.set_media(mic=True, camera=True)
            assert (me.mic, me.camera) == (True, True)
            assert (await ada.switch("main")).title == "Algebra 1"
            assert (await ada.switch("Team A")).title == "Team A"
            with pytest.raises(bw.Forbidden, match="may not switch between breakout rooms"):
                await ada.switch("Team B")
            with pytest.raises(bw.Forbidden):
                await ada.breakout.shuffle()

            await cls.breakout.move("Ada", "Team B")
            assert (await ada.meeting()).title == "Team B"
            ada_now = next(p for p in await cls.participants() if p.name == "Ada")
            assert (ada_now.mic, ada_now.camera) == (True, True)

            assert await cls.breakout.close() == []
            assert (await ada.meeting()).title == "Algebra 1"
            assert all(p.meeting_id == cls.id for p in await cls.participants())

        history = await cls.breakout.history()
        # rooms deleted while still a draft leave no record
        assert {r["title"] for r in history} == {"Team A", "Team B"}
        rooms = await cls.breakout.recreate()
        assert _layout(rooms) == {"Team A": ["Grace"], "Team B": ["Ada", "Alan", "Barbara"]}


async def test_errors_are_typed(sqlite_service):
    async with await bw.AsyncClassroom.create(
        sqlite_service.url, admin_key=sqlite_service.admin_key, title="Algebra 1"
    ) as cls:
        ada_invite = await cls.invite("Ada")
        with pytest.raises(bw.Conflict, match="already in this class"):
            await cls.invite("Ada")
        with pytest.raises(bw.InvalidInput, match="at most 100"):
            await cls.invite("x" * 101)
        await cls.breakout.create(["Team A"])
        with pytest.raises(bw.NotFound, match="no room 'Team Z'"):
            await cls.breakout.move("Ada", "Team Z")
        with pytest.raises(bw.NotFound, match="no participant named 'Nobody'"):
            await cls.breakout.move("Nobody", "Team A")

        async with await bw.AsyncClassroom.join(sqlite_service.url, cls.token) as co_host:
            await co_host.breakout.refresh()
            await cls.breakout.add("Team B")
            with pytest.raises(bw.Conflict, match="changed since version"):
                await co_host.breakout.add("Team C")

        async with await bw.AsyncClassroom.join(sqlite_service.url, ada_invite.token) as ada:
            with pytest.raises(bw.BreakoutError, match="admin key"):
                await ada.invite("Mallory")
            with pytest.raises(bw.Forbidden, match="'participant' preset may not"):
                await ada.breakout.shuffle()
        names = [r.title for r in await cls.breakout.rooms()]
        assert names == ["Team A", "Team B"]


async def test_two_hosts_racing_never_leave_anyone_in_two_rooms(sqlite_service):
    async with await bw.AsyncClassroom.create(
        sqlite_service.url, admin_key=sqlite_service.admin_key, title="Algebra 1"
    ) as cls:
        await cls.invite_many(["Ada", "Grace"])
        await cls.breakout.create(["Team A", "Team B"])
        hosts = [await bw.AsyncClassroom.join(sqlite_service.url, cls.token) for _ in range(5)]
        try:
            for h in hosts:
                await h.breakout.refresh()
            results = await asyncio.gather(
                *(
                    h.breakout.assign({("Team A" if i % 2 else "Team B"): ["Ada", "Grace"]})
                    for i, h in enumerate(hosts)
                ),
                return_exceptions=True,
            )
        finally:
            for h in hosts:
                await h.close()
        won = [r for r in results if not isinstance(r, BaseException)]
        assert len(won) == 1
        assert all(isinstance(r, bw.Conflict) for r in results if r not in won)
        rooms = await cls.breakout.rooms()
        assert sorted(n for r in rooms for n in r.names) == ["Ada", "Grace"]


async def test_nothing_listening_is_unavailable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(bw.Unavailable, match="cannot reach"):
        await bw.AsyncClassroom.join(f"http://127.0.0.1:{port}", "bw_x")
    with pytest.raises(bw.Unavailable):
        await bw.AsyncClassroom.create(f"http://127.0.0.1:{port}", admin_key="k", title="A")
