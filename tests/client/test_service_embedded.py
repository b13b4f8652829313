"""``bw.Service.embedded()``: the service in a background thread of this process."""

from __future__ import annotations

import asyncio
import faulthandler
import socket

import httpx
import pytest

import breakout_widgets as bw

PUBLIC = [
    "Service",
    "Classroom",
    "AsyncClassroom",
    "BreakoutError",
    "Forbidden",
    "NotFound",
    "Conflict",
    "InvalidInput",
    "Unavailable",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_context_manager_serves_and_cleans_up():
    with bw.Service.embedded() as svc:
        assert svc.url.startswith("http://127.0.0.1:")
        assert svc.admin_key.startswith("bwadmin_")
        folder = svc.path
        assert folder is not None and folder.is_dir()
        assert (folder / "breakout.db").exists()
        assert (folder / "admin_key").read_text().strip() == svc.admin_key
        assert httpx.get(f"{svc.url}/v1/health").json() == {"ok": True}
        with bw.Classroom.create(svc.url, admin_key=svc.admin_key, title="Algebra 1") as cls:
            assert cls.meeting.title == "Algebra 1"
        assert "running" in repr(svc)
    assert not folder.exists()  # the temporary folder is removed by stop()
    assert "stopped" in repr(svc)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{svc.url}/v1/health", timeout=2)
    svc.stop()  # stopping twice is harmless


def test_the_done_when_example_runs(capsys):
    with bw.Service.embedded() as svc:
        cls = bw.Classroom.create(
            svc.url, admin_key=svc.admin_key, title="Algebra 1", host="Ms. Rivera"
        )
        with cls:
            invites = cls.invite_many([f"student{i:02d}" for i in range(30)])
            cls.breakout.create(5)
            cls.breakout.shuffle(seed=7)
            cls.breakout.start(duration=600)
            with bw.Classroom.join(svc.url, invites[0].token) as student:
                print(student.meeting.title)
            cls.breakout.close()
    assert capsys.readouterr().out.strip() in {f"Room {i}" for i in range(1, 6)}


def test_a_given_path_keeps_the_database_and_the_admin_key(tmp_path):
    folder = tmp_path / "class-data"
    with bw.Service.embedded(path=folder) as svc:
        assert svc.path == folder.resolve()
        key = svc.admin_key
        with bw.Classroom.create(
            svc.url, admin_key=svc.admin_key, title="Algebra 1", host="Ms. Rivera"
        ) as cls:
            host_token = cls.token
            cls.invite_many(["Ada", "Grace"])
            cls.breakout.create(["Team A"])
            cls.breakout.assign({"Team A": ["Ada"]})
    assert (folder / "breakout.db").exists()  # a folder we gave is never removed
    assert (folder / "admin_key").exists()

    with bw.Service.embedded(path=str(folder)) as again:
        assert again.admin_key == key
        with bw.Classroom.join(again.url, host_token, admin_key=again.admin_key) as cls:
            assert cls.title == "Algebra 1"
            assert [p.name for p in cls.participants] == ["Ms. Rivera", "Ada", "Grace"]
            assert {r.title: r.names for r in cls.breakout.rooms} == {"Team A": ["Ada"]}
            assert cls.invite("Alan").name == "Alan"  # the old admin key still works
    assert folder.exists()
    assert "stopped" in repr(again)


def test_a_given_port_is_used():
    port = _free_port()
    with bw.Service.embedded(port=port) as svc:
        assert svc.url == f"http://127.0.0.1:{port}"
        assert httpx.get(f"http://127.0.0.1:{port}/v1/health").status_code == 200


def test_a_taken_port_is_unavailable():
    with bw.Service.embedded() as svc:
        port = int(svc.url.rsplit(":", 1)[1])
        with pytest.raises(bw.Unavailable, match=str(port)):
            bw.Service.embedded(port=port)


async def test_works_inside_a_running_event_loop():
    """As in Jupyter: a loop runs in this thread; the sync API must not deadlock."""
    asyncio.get_running_loop()  # we really are inside a running loop

    def lesson() -> str:
        with bw.Service.embedded() as svc:
            with bw.Classroom.create(
                svc.url, admin_key=svc.admin_key, title="Algebra 1", host="Ms. Rivera"
            ) as cls:
                ada = cls.invite("Ada")
                cls.breakout.create(["Team A"])
                cls.breakout.assign({"Team A": ["Ada"]})
                cls.breakout.start()
                with bw.Classroom.join(svc.url, ada.token) as student:
                    title = student.meeting.title
                cls.breakout.close()
            return title

    # Called directly on the loop's thread, as a notebook cell would. If it deadlocked,
    # nothing in this thread could notice: faulthandler dumps every thread and ends the
    # run instead of hanging it.
    faulthandler.dump_traceback_later(60, exit=True)
    try:
        assert lesson() == "Team A"
    finally:
        faulthandler.cancel_dump_traceback_later()


async def test_async_classroom_against_an_embedded_service_in_the_same_loop():
    with bw.Service.embedded() as svc:
        async with await bw.AsyncClassroom.create(
            svc.url, admin_key=svc.admin_key, title="Algebra 1"
        ) as cls:
            await cls.invite_many(["Ada", "Grace"])
            rooms = await cls.breakout.create(2)
            assert len(rooms) == 2


def test_public_api_names():
    for name in PUBLIC:
        assert name in bw.__all__, name
        assert getattr(bw, name) is not None
    for name in bw.__all__:
        assert hasattr(bw, name), name
    for name in PUBLIC[3:]:
        assert issubclass(getattr(bw, name), bw.BreakoutError)
    assert bw.Service.embedded is not None
