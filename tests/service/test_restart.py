"""What the service acknowledged survives a restart: ``breakout-widgets serve`` as a real
process, stopped (SIGTERM) or killed (SIGKILL) and started again on the same database,
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from api_helpers import Api, Klass, ok

READY = "breakout-widgets service listening on "
START_TIMEOUT = 30.0


class ServiceProcess:
    """One ``python -m breakout_widgets.cli serve`` process and the URL it printed."""

    def __init__(self, backend, log: Path) -> None:
        cmd = [
            sys.executable,
            "-m",
            "breakout_widgets.cli",
            "serve",
            "--port",
            "0",
            "--db",
            backend.db,
            "--data-dir",
            str(backend.data_dir),
            "--log-level",
            "info",
        ]
        if backend.schema:
            cmd += ["--db-schema", backend.schema]
        env = {k: v for k, v in os.environ.items() if not k.startswith("BREAKOUT_WIDGETS_")}
        self._log = log.open("ab")
        began = time.monotonic()
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=self._log, env=env, text=True, bufsize=1
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self._wait_ready(log)
        self.startup = time.monotonic() - began  # seconds from spawn to serving

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # keeps draining, so the child never blocks on stdout
            self._lines.put(line)
        self._lines.put(None)

    def _wait_ready(self, log: Path) -> str:
        """Read stdout until the line with the URL; fail if it does not come in time."""
        deadline = time.monotonic() + START_TIMEOUT
        seen: list[str] = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:  # the process ended
                break
            seen.append(line)
            if line.startswith(READY):
                return line[len(READY) :].strip()
        self.stop(signal.SIGKILL)
        pytest.fail(
            f"the service did not start within {START_TIMEOUT}s (exit {self.proc.returncode}); "
            f"stdout: {seen}; log: {log.read_text(errors='replace')[-3000:]}"
        )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the process with ``sig`` and wait for it; safe to call twice."""
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=15)
        finally:
            self._reader.join(timeout=5)
            if self.proc.stdout:
                self.proc.stdout.close()
            self._log.close()


@pytest.fixture
def start_service(backend, tmp_path) -> Iterator:
    """``start_service()`` runs the service on ``backend``; every process is ended after."""
    started: list[ServiceProcess] = []

    def start() -> ServiceProcess:
        started.append(ServiceProcess(backend, tmp_path / "service.log"))
        return started[-1]

    try:
        yield start
    finally:
        for process in started:
            process.stop(signal.SIGKILL)


@contextmanager
def connected(url: str, admin_key: str) -> Iterator[Api]:
    api = Api(url, admin_key)
    try:
        yield api
    finally:
        api.close()


def _admin_key(backend) -> str:
    return (Path(backend.data_dir) / "admin_key").read_text().strip()


def _set_up_running_class(api: Api, duration: float) -> Klass:
    k = api.new_class(title="Algebra 1", host="Ms. Rivera")
    k.invite("Ada", "Alan", "Barbara", "Edsger", "Grace")
    k.do("POST", "/rooms", titles=["Team A", "Team B", "Doomed"])
    rooms = k.room_ids()
    k.do(
        "POST", "/assign", moves=[{"participant_id": k.students["Ada"], "room_id": rooms["Doomed"]}]
    )
    k.do("DELETE", f"/rooms/{rooms['Doomed']}")  # a deleted draft room must stay gone
    k.do("PATCH", f"/rooms/{rooms['Team B']}", title="Team Blue")
    k.do(
        "POST",
        "/assign",
        moves=[
            {"participant_id": k.students["Ada"], "room_id": rooms["Team A"]},
            {"participant_id": k.students["Alan"], "room_id": rooms["Team A"]},
            {"participant_id": k.students["Barbara"], "room_id": rooms["Team B"]},
            {"participant_id": k.students["Edsger"], "room_id": rooms["Team B"]},
        ],
    )
    state = k.do("POST", "/start", duration=duration, warning=5)
    assert state["status"] == "running"
    # A participant's own switch and media flags are acknowledged too.
    ok(k.as_("Alan").post("/v1/me/switch", json={"meeting": "main"}))
    ok(k.as_("Ada").patch("/v1/me/media", json={"mic": True}))
    ok(k.host.post("/v1/me/switch", json={"meeting": rooms["Team B"]}))
    return k


def _reconnect(api: Api, class_id: str, host_token: str, tokens: dict[str, str]) -> Klass:
    """The same class through clients of a new process."""
    k = Klass(api, class_id, "Algebra 1", api.client(host_token), "", host_token)
    k.tokens = dict(tokens)
    k.students = {p["name"]: p["id"] for p in k.state()["participants"]}
    return k


def test_restart_keeps_everything_and_the_timers(start_service, backend, tmp_path):
    """One run, three processes: killed (SIGKILL), then stopped (SIGTERM), then checked.

    ``kept`` runs with a 10-minute timer and must come back exactly as it was, tokens and
    admin key included. ``passed``'s deadline passes while no service runs: the next one
    closes it at once. ``future``'s deadline is still ahead at the restart: it fires then.
    """
    first = start_service()
    key = _admin_key(backend)  # made on first start, readable by its owner only
    assert oct((Path(backend.data_dir) / "admin_key").stat().st_mode & 0o777) == "0o600"
    with connected(first.url, key) as api:
        kept = _set_up_running_class(api, duration=600)
        ok(api.admin.post("/v1/presets", json={"name": "roamer", "permissions": {}}), 201)
        before = kept.snapshot()
        me_before = {name: ok(kept.as_(name).get("/v1/me")) for name in kept.tokens}
        # ahead of the restart by a margin: a restart takes about as long as a start
        future = _set_up_running_class(api, duration=1.5 * first.startup + 2)
        future_closes = future.state()["closes_at"]
        passed = _set_up_running_class(api, duration=1.5)
        passed_closes = passed.state()["closes_at"]
        ids = {
            k: (c.id, c.host_token, dict(c.tokens))
            for k, c in (("kept", kept), ("future", future), ("passed", passed))
        }
    first.stop(signal.SIGKILL)
    assert first.proc.returncode == -signal.SIGKILL
    assert time.time() < passed_closes, "killed before the deadline: the old process never closed"
    time.sleep(max(0.0, passed_closes - time.time()) + 0.1)

    # -- after SIGKILL ------------------------------------------------------------------
    second = start_service()
    ready = time.time()
    assert _admin_key(backend) == key, "the admin key is kept in the data folder"
    with connected(second.url, key) as api:
        kept, future, passed = (_reconnect(api, *ids[n]) for n in ("kept", "future", "passed"))

        state = passed.wait_for(lambda s: s["status"] != "running", timeout=3)
        assert time.time() - ready < 3, "a deadline passed while down closes promptly"
        assert state["status"] == "closed"
        assert {p["meeting_id"] for p in state["participants"]} == {passed.id}
        records = ok(api.admin.get(f"{passed.base}/rooms"))["rooms"]
        assert {r["status"] for r in records} == {"closed"}

        assert kept.snapshot() == before
        state = before["state"]
        assert state["status"] == "running" and state["closes_at"] > time.time() + 500
        assert [r["title"] for r in state["rooms"]] == ["Team A", "Team Blue"]
        for name in kept.tokens:  # every token still works and sees the same place
            assert ok(kept.as_(name).get("/v1/me")) == me_before[name]
        assert me_before["Ada"]["participant"]["mic"] is True
        assert "roamer" in {p["name"] for p in ok(api.admin.get("/v1/presets"))["presets"]}

        state = future.state()
        if time.time() < future_closes - 0.3:  # (a very slow restart may come late)
            assert state["status"] == "running" and state["closes_at"] == future_closes
        state = future.wait_for(
            lambda s: s["status"] != "running", timeout=future_closes - time.time() + 3
        )
        assert time.time() >= future_closes, "the kept deadline fires, not earlier"
        assert {p["meeting_id"] for p in state["participants"]} == {future.id}

        # Change something more, then stop gracefully.
        rooms = kept.room_ids()
        move = {"participant_id": kept.students["Grace"], "room_id": rooms["Team Blue"]}
        kept.do("POST", "/assign", moves=[move])
        kept.do("POST", "/close", countdown=300)
        before = kept.snapshot()
    second.stop(signal.SIGTERM)
    # uvicorn shuts down cleanly, then re-raises the signal: exit status 0 or -SIGTERM
    assert second.proc.returncode in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in (tmp_path / "service.log").read_text()

    # -- after SIGTERM ------------------------------------------------------------------
    third = start_service()
    with connected(third.url, key) as api:
        kept = _reconnect(api, *ids["kept"])
        assert kept.snapshot() == before
        assert before["state"]["closes_at"] < time.time() + 300
        # The restarted service carries on: close, and recreate the kept assignment.
        kept.do("POST", "/close")
        state = kept.do("POST", "/recreate")
        assert {r["title"]: sorted(r["participants"]) for r in state["rooms"]} == {
            r["title"]: sorted(r["participants"]) for r in before["state"]["rooms"]
        }
    log = (tmp_path / "service.log").read_text(errors="replace")
    assert "Traceback" not in log, log
