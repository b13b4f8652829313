"""Start the targets as subprocesses, read their memory and CPU, and always stop them.

Every server runs in a session (process group) of its own with ``PR_SET_PDEATHSIG``, so
it dies with the benchmark even when that is killed hard; ``stop()`` terminates the
group and removes the server's temporary folder. Our service gets a fresh data folder,
SQLite file and admin key each time.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import procstat
from .targets import TargetSpec

ROOT = Path(__file__).resolve().parent.parent  # the repository: ``python -m`` runs from here
READY = re.compile(r"listening on \w+://([0-9.]+):(\d+)")
PR_SET_PDEATHSIG = 1


TEMP_PREFIX = "bw-bench-"
OWNER_FILE = "benchmark.pid"  # the controller that made the folder


def sweep_stale_folders() -> None:
    """Remove data folders of earlier runs whose controller is gone (killed with SIGKILL,
    which no cleanup survives); a folder without our owner file is never touched."""
    for folder in Path(tempfile.gettempdir()).glob(TEMP_PREFIX + "*"):
        try:
            owner = int((folder / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if owner != os.getpid() and not Path(f"/proc/{owner}").exists():
            shutil.rmtree(folder, ignore_errors=True)


class ServerFailed(RuntimeError):
    """A server did not start (its last output lines are in the message)."""


def _child_setup() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@dataclass
class Server:
    kind: str
    process: subprocess.Popen[str]
    host: str = ""
    port: int = 0
    app_key: str = ""
    data_dir: str | None = None
    output: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=200))

    def spec(self) -> TargetSpec:
        return TargetSpec(self.kind, self.host, self.port, self.app_key)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def rss_kb(self) -> int:
        """VmRSS of the server process, from /proc."""
        return procstat.rss_kb(self.process.pid)

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far."""
        return procstat.cpu_seconds(self.process.pid)

    def schedstat(self) -> tuple[float, float]:
        """(CPU seconds used, seconds spent runnable but waiting for a CPU) so far."""
        return procstat.schedstat(self.process.pid)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(3)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(
    kind: str, host: str = "127.0.0.1", timeout: float = 60.0, *, module: str | None = None
) -> Server:
    """Start target ``kind`` on a free port of ``host`` and wait until it listens.

    ``module`` runs our service through another launcher with the CLI's arguments (an
    experiment: the service with a change, measured before it is made)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    data_dir, app_key = None, ""
    if kind in ("ours", "ours-uvloop", "ours-rest"):
        sweep_stale_folders()
        data_dir = tempfile.mkdtemp(prefix=TEMP_PREFIX)
        (Path(data_dir) / OWNER_FILE).write_text(str(os.getpid()))
        app_key = "bwbench_" + secrets.token_urlsafe(24)
        env |= {"BREAKOUT_WIDGETS_HOME": data_dir, "BREAKOUT_WIDGETS_ADMIN_KEY": app_key}
        default = (
            "benchmarks.servers.ours_uvloop" if kind == "ours-uvloop" else "breakout_widgets.cli"
        )
        module = module or default
        command = [
            *("-m", module, "serve", "--host", host, "--port", "0"),
            *("--db", str(Path(data_dir) / "bench.db"), "--data-dir", data_dir),
            *("--log-level", "warning"),
        ]
    elif kind == "bare":
        command = ["-m", "benchmarks.servers.bare_ws", "--host", host, "--port", "0"]
    elif kind == "socketio":
        command = ["-m", "benchmarks.servers.socketio_server", "--host", host, "--port", "0"]
    else:
        raise ValueError(f"unknown target {kind!r}")
    process = subprocess.Popen(
        [sys.executable, *command],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=_child_setup,
    )
    server = Server(kind, process, app_key=app_key, data_dir=data_dir)
    ready = threading.Event()

    def read_output() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            server.output.append(line.rstrip())
            found = READY.search(line)
            if found and not ready.is_set():
                server.host, server.port = found.group(1), int(found.group(2))
                ready.set()

    threading.Thread(target=read_output, name=f"{kind}-output", daemon=True).start()
    deadline = time.monotonic() + timeout
    while not ready.wait(0.05):
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            tail = "\n".join(list(server.output)[-30:])
            raise ServerFailed(f"{kind} did not start:\n{tail}")
    return server
