"""Finding the service from a notebook (``Service.from_env``, ``bw.connect``) and join
links a student elsewhere joins with."""

from __future__ import annotations

import socket

import httpx
import pytest

import breakout_widgets as bw
from breakout_widgets.client import connect as connect_module

URL, KEY, PUBLIC = (
    "BREAKOUT_WIDGETS_URL",
    "BREAKOUT_WIDGETS_ADMIN_KEY",
    "BREAKOUT_WIDGETS_PUBLIC_URL",
)


@pytest.fixture(autouse=True)
def _no_lab_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a kernel that `breakout-widgets lab` did not start."""
    for name in (URL, KEY, PUBLIC):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def lab_env(sqlite_service, monkeypatch):  # type: ignore[no-untyped-def]
    """The environment `breakout-widgets lab` gives its kernels."""
    monkeypatch.setenv(URL, sqlite_service.url)
    monkeypatch.setenv(KEY, sqlite_service.admin_key)
    return sqlite_service


def test_from_env_without_the_environment_says_what_to_do():
    with pytest.raises(bw.Unavailable) as error:
        bw.Service.from_env()
    message = error.value.message
    assert URL in message and KEY in message
    assert "breakout-widgets lab" in message and "Service.embedded()" in message


def test_from_env_names_the_labs_service_and_never_stops_it(lab_env):
    svc = bw.Service.from_env()
    assert (svc.url, svc.admin_key) == (lab_env.url, lab_env.admin_key)
    assert svc.public_url == svc.url
    assert repr(svc) == f"<Service {lab_env.url} (external)>"
    with svc:
        cls = bw.Classroom.create(svc.url, admin_key=svc.admin_key, title="Algebra 1")
        cls.close()
    svc.stop()  # not ours: a no-op
    assert svc.running
    assert httpx.get(f"{lab_env.url}/v1/health").json() == {"ok": True}


def test_from_env_reports_a_service_that_is_gone(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    monkeypatch.setenv(URL, f"http://127.0.0.1:{port}")
    monkeypatch.setenv(KEY, "bwadmin_x")
    with pytest.raises(bw.Unavailable, match="breakout-widgets lab"):
        bw.Service.from_env()
    assert bw.Service.from_env(check=False).url == f"http://127.0.0.1:{port}"


def test_connect_uses_the_labs_service(lab_env):
    svc = bw.connect()
    assert (svc.url, svc.admin_key) == (lab_env.url, lab_env.admin_key)


def test_connect_outside_lab_starts_one_embedded_service_and_says_so_once(capsys):
    first = bw.connect()
    try:
        assert bw.connect() is first  # one per process: notebooks may call it in every cell
        assert httpx.get(f"{first.url}/v1/health").json() == {"ok": True}
        err = capsys.readouterr().err
        assert err.count("embedded service") == 1
        assert "breakout-widgets lab" in err
        folder = first.path
    finally:
        first.stop()
    assert folder is not None and not folder.exists()
    again = bw.connect()  # the old one was stopped: a fresh one
    try:
        assert again is not first and again.running
    finally:
        again.stop()
        connect_module._shared = None


def test_a_join_link_round_trip(sqlite_service):
    svc = bw.Service(sqlite_service.url, sqlite_service.admin_key)
    with bw.Classroom.create(svc.url, admin_key=svc.admin_key, title="Algebra 1") as cls:
        ada = cls.invite("Ada")
        link = bw.join_link(cls, ada)
        assert str(link) == f"{svc.url}/join#{ada.token}"
        assert ada.token not in repr(link) and "Ada" in repr(link)  # shown, not leaked
        assert bw.join_link(svc, ada) == link
        with bw.join(str(link)) as me:
            assert me.me.name == "Ada"
            assert me.meeting.title == "Algebra 1"
        with bw.join(link) as me, bw.join(ada.token, url=svc.url) as again:
            assert me.me.id == again.me.id == ada.participant_id


def test_join_links_carry_the_public_address(lab_env, monkeypatch):
    monkeypatch.setenv(PUBLIC, "http://10.0.0.5:8765")
    svc = bw.Service.from_env()
    assert svc.public_url == "http://10.0.0.5:8765"
    with bw.Classroom.create(svc.url, admin_key=svc.admin_key, title="Algebra 1") as cls:
        ada = cls.invite("Ada")
        assert str(bw.join_link(cls, ada)) == f"http://10.0.0.5:8765/join#{ada.token}"
        assert str(bw.join_link(svc, ada)).startswith("http://10.0.0.5:8765/join#")
        explicit = bw.join_link(cls, ada, public_url="https://class.example.org/bw/")
        assert str(explicit) == f"https://class.example.org/bw/join#{ada.token}"
        assert bw.JoinLink.parse(str(explicit)).url == "https://class.example.org/bw"
        with bw.join(ada.token) as me:  # a bare token: the service from the environment
            assert me.me.name == "Ada"


@pytest.mark.parametrize("bad", ["", "http://x/nojoin", "ftp://x/join#bw_1", "http://x/join#"])
def test_a_bad_link_is_invalid_input(bad):
    with pytest.raises(bw.InvalidInput):
        bw.JoinLink.parse(bad, url="http://127.0.0.1:1")


def test_a_bare_token_needs_an_address():
    with pytest.raises(bw.InvalidInput, match="url="):
        bw.join("bw_abc")
