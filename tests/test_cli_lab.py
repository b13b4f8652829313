"""``breakout-widgets lab``: the service and JupyterLab start together, every kernel gets
the service's address and admin key, and one SIGTERM stops everything."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from breakout_widgets import cli, lab

TOKEN = "test-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, …


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"  # a zombie runs nothing


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and fields[1] == str(pid):
            found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _mentioning(text: str) -> list[int]:
    """Running processes whose command line holds ``text`` (e.g. a test's tmp folder)."""
    return [
        int(e.name)
        for e in Path("/proc").iterdir()
        if e.name.isdigit() and text in _cmdline(int(e.name)) and _alive(int(e.name))
    ]


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def _until(predicate, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
    return value


@pytest.fixture
def jupyter_env(tmp_path: Path) -> dict[str, str]:
    """Private Jupyter folders: the test never reads or writes the user's own."""
    env = dict(os.environ)
    for name in (
        "JUPYTER_CONFIG_DIR",
        "JUPYTER_DATA_DIR",
        "JUPYTER_RUNTIME_DIR",
        "JUPYTERLAB_SETTINGS_DIR",
        "JUPYTERLAB_WORKSPACES_DIR",
    ):
        folder = tmp_path / "jupyter" / name.lower()
        folder.mkdir(parents=True)
        env[name] = str(folder)
    for name in ("BREAKOUT_WIDGETS_URL", "BREAKOUT_WIDGETS_ADMIN_KEY"):
        env.pop(name, None)
    return env


class LabRun:
    """``breakout-widgets lab`` as a child in its own process group, its output read live."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        command = Path(sys.executable).with_name("breakout-widgets")
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [str(command), "lab", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=self.log,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for text in self.proc.stdout:
            self.lines.put(text)

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            for text in self.seen:
                if match := re.search(pattern, text):
                    return match
            try:
                self.seen.append(self.lines.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(
                    f"no line matching {pattern!r} in {timeout} s; output so far: {self.seen}"
                ) from None

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._reader.join(5)  # the pipe ends with the process
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        self.log.close()


@pytest.fixture
def run_lab(jupyter_env: dict[str, str], tmp_path: Path) -> Iterator:  # type: ignore[type-arg]
    runs: list[LabRun] = []

    def start(*args: str) -> LabRun:
        runs.append(LabRun(list(args), jupyter_env, tmp_path / f"lab-{len(runs)}.log"))
        return runs[-1]

    yield start
    for run in runs:
        run.kill()


def test_lab_hands_the_service_to_kernels_and_stops_on_sigterm(run_lab, tmp_path):
    home, notebooks = tmp_path / "home", tmp_path / "notebooks"
    notebooks.mkdir()
    lab_port = _free_port()
    t0 = time.monotonic()
    run = run_lab(
        "--no-browser",
        "--port=0",
        f"--lab-port={lab_port}",
        f"--data-dir={home}",
        f"--notebooks={notebooks}",
        "--",
        f"--IdentityProvider.token={TOKEN}",
        "--ServerApp.port_retries=0",
    )
    service_url = run.wait_for(r"service listening on (http://\S+)", 30).group(1)
    lab_url = run.wait_for(r"JupyterLab: (http://\S+)", 60).group(1)
    started = time.monotonic() - t0
    assert lab_url == f"http://localhost:{lab_port}/lab?token={TOKEN}"
    assert any(f"notebooks: {notebooks}" in line for line in run.seen)

    auth = {"Authorization": f"token {TOKEN}"}
    base = f"http://127.0.0.1:{lab_port}"
    assert httpx.get(f"{base}/api/status", headers=auth).status_code == 200
    kernel = httpx.post(f"{base}/api/kernels", headers=auth, json={"name": "python3"}, timeout=30)
    assert kernel.status_code == 201, kernel.text

    (lab_pid,) = _children(run.proc.pid)
    kernel_pid = _until(
        lambda: next((p for p in _children(lab_pid) if "ipykernel" in _cmdline(p)), None),
        30,
        "the kernel process",
    )
    kernel_env = _environ(kernel_pid)
    assert kernel_env["BREAKOUT_WIDGETS_URL"] == service_url
    assert kernel_env["BREAKOUT_WIDGETS_ADMIN_KEY"] == (home / "admin_key").read_text().strip()
    assert httpx.get(f"{service_url}/v1/health").json() == {"ok": True}

    t1 = time.monotonic()
    run.proc.send_signal(signal.SIGTERM)
    assert run.proc.wait(timeout=20) == 0  # Lab's own exit code
    for pid in (lab_pid, kernel_pid):
        _until(lambda pid=pid: not _alive(pid), 5, f"process {pid} to end")
    service_port = int(service_url.rsplit(":", 1)[1])
    _until(lambda: _port_free(service_port) and _port_free(lab_port), 5, "the ports to be free")
    assert _mentioning(str(tmp_path)) == []  # nothing that ran for this test is left
    stopped = time.monotonic() - t1
    print(f"lab up in {started:.1f} s, all gone {stopped:.1f} s after SIGTERM")
    assert stopped < 10


def test_lab_exits_with_labs_code_when_lab_cannot_start(run_lab, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        lab_port = taken.getsockname()[1]
        run = run_lab(
            "--no-browser",
            "--port=0",
            f"--lab-port={lab_port}",
            f"--data-dir={tmp_path / 'home'}",
            f"--notebooks={tmp_path}",
            "--",
            "--ServerApp.port_retries=0",
        )
        service_url = run.wait_for(r"service listening on (http://\S+)", 30).group(1)
        assert run.proc.wait(timeout=60) == 1
    assert _port_free(int(service_url.rsplit(":", 1)[1]))  # the service stopped too
    assert _mentioning(str(tmp_path)) == []


def test_a_taken_service_port_is_a_clear_error(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = cli.main(["lab", f"--port={port}", f"--data-dir={tmp_path}", "--no-browser"])
    assert code == 1
    err = capsys.readouterr().err
    assert str(port) in err and "--port 0" in err


def test_help_names_the_options_and_the_environment(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["lab", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for word in ("--port", "--lab-port", "--notebooks", "--data-dir", "--db", "--no-browser"):
        assert word in text
    assert "BREAKOUT_WIDGETS_URL" in text and "bw.connect()" in text


def test_lab_command_runs_this_python_and_passes_extra_args(tmp_path, monkeypatch):
    options = lab.LabOptions(lab_port=9999, open_browser=False, lab_args=["--ServerApp.ip=::1"])
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    cmd = lab.lab_command(tmp_path, options)
    assert cmd[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={tmp_path}" in cmd
    assert "--ServerApp.port=9999" in cmd and "--no-browser" in cmd
    assert "--allow-root" in cmd  # root: Lab refuses to start without it
    assert cmd[-1] == "--ServerApp.ip=::1"
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "--allow-root" not in lab.lab_command(tmp_path, options)


def test_notebooks_folder_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notebooks").mkdir()
    assert lab.notebooks_folder(None) == (tmp_path / "notebooks").resolve()
    assert lab.notebooks_folder(tmp_path) == tmp_path.resolve()
    with pytest.raises(lab.InvalidInput):
        lab.notebooks_folder(tmp_path / "missing")


def test_a_wildcard_bind_is_reached_on_loopback():
    assert lab.local_url("http://0.0.0.0:8765") == "http://127.0.0.1:8765"
    assert lab.local_url("http://[::]:8765") == "http://[::1]:8765"
    assert lab.local_url("http://10.1.2.3:8765") == "http://10.1.2.3:8765"
