"""Real parts for the browser tests and the view benchmark: a meeting service, a
JupyterLab server and headless Chromium.

Imported by the tests as ``from browser_harness import ...`` (``tests/browser`` is on
the path) and by ``benchmarks/views_bench.py``. Nothing here skips: a missing Chromium
or a server that does not start raises ``HarnessError`` with a message that says why;
the tests turn it into a failure.

What MACHINE-NOTES.md measured on these machines is built in: Debian's Chromium driven
by Playwright (never a downloaded browser), ``jupyter lab`` as root with a token, no
port retries and private Jupyter folders, in its own process group that is killed at
the end, also when the run is interrupted.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("BW_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STATIC = ROOT / "breakout_widgets" / "static"
VIEWS = ("board", "chat", "switcher", "poll")


class HarnessError(RuntimeError):
    """A part the browser tests need is missing or did not start."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex((host, port)) != 0


def require_chromium() -> str:
    """The path of Debian's Chromium, or a clear error (never a download)."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        raise HarnessError(
            f"Chromium is missing at {CHROMIUM}: the browser tests need Debian's chromium "
            "(`apt-get install -y chromium`, which `bash .ci/run` does); "
            "`playwright install` cannot download a browser on these machines"
        )
    return CHROMIUM


def require_views() -> None:
    """The bundled views exist and are more than the placeholders of an empty build."""
    missing = [v for v in VIEWS if not (STATIC / f"{v}.js").is_file()]
    if missing:
        raise HarnessError(
            f"the bundled views {missing} are missing in {STATIC}: run `npm install && "
            "npm run build` (or `pip install -e .`, which does)"
        )


# --- The meeting service -------------------------------------------------------------


class MeetingService:
    """The project's own service on 127.0.0.1 (port 0), SQLite in ``folder``."""

    def __init__(self, folder: Path) -> None:
        from breakout_widgets.service.server import BackgroundServer
        from breakout_widgets.service.settings import Settings

        folder.mkdir(parents=True, exist_ok=True)
        settings = Settings(db=str(folder / "breakout.db"), data_dir=folder, timer_poll=0.5)
        self._server = BackgroundServer(settings)
        self.url = self._server.url
        self.admin_key = self._server.settings.admin_key or ""

    def start(self) -> MeetingService:
        try:
            self._server.start()
        except Exception as exc:
            raise HarnessError(f"the meeting service did not start: {exc}") from exc
        return self

    def stop(self) -> None:
        self._server.stop()


# --- JupyterLab --------------------------------------------------------------------------

# User settings of the private Lab: no news or update toasts over the widgets, and every
# cell attached to the DOM (the default "contentVisibility" leaves off-screen cells
# unpainted, which makes element screenshots and visibility checks depend on scrolling).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "checkForUpdates": False,
        "fetchNews": "false",
        "doNotDisturbMode": True,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}

SERVER_CONFIG = {
    "LabApp": {
        "news_url": None,
        "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
        "expose_app_in_browser": True,
    },
    # Notebook 7 is served by the same server at /notebooks/<path>; expose its app too.
    "JupyterNotebookApp": {"expose_app_in_browser": True},
    "ServerApp": {"terminals_enabled": False},
}


class LabServer:
    """``python -m jupyterlab`` on a free port in its own process group.

    ``notebooks`` is the server's root folder; tests write notebooks there. ``env`` is
    added to the server's environment, which kernels inherit.
    """

    def __init__(self, base: Path, env: dict[str, str] | None = None) -> None:
        self.base = base
        self.notebooks = base / "notebooks"
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = base / "lab.log"
        self._extra_env = dict(env or {})
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    # URLs of the two front ends on this server.
    def lab_url(self, path: str, workspace: str) -> str:
        """JupyterLab with ``path`` open in a fresh workspace of its own (pages do not share
        layout state)."""
        return f"{self.url}/lab/workspaces/{workspace}/tree/{quote(path)}?reset&token={self.token}"

    def notebook7_url(self, path: str) -> str:
        return f"{self.url}/notebooks/{quote(path)}?token={self.token}"

    def _prepare(self) -> dict[str, str]:
        for sub in ("config", "data", "runtime", "settings", "workspaces", "home"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        self.notebooks.mkdir(parents=True, exist_ok=True)
        (self.base / "config" / "jupyter_server_config.json").write_text(
            json.dumps(SERVER_CONFIG, indent=1)
        )
        for rel, values in LAB_SETTINGS.items():
            path = self.base / "settings" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.base / "config"),
            JUPYTER_DATA_DIR=str(self.base / "data"),
            JUPYTER_RUNTIME_DIR=str(self.base / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(self.base / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(self.base / "workspaces"),
            JUPYTER_PLATFORM_DIRS="1",
            BREAKOUT_WIDGETS_HOME=str(self.base / "home"),
            PYTHONUNBUFFERED="1",
        )
        env.pop("JUPYTER_PATH", None)
        env.pop("JUPYTER_CONFIG_PATH", None)
        # pytest's "warnings are errors" must not reach the kernels through the env.
        env.pop("PYTHONWARNINGS", None)
        env.update(self._extra_env)
        return env

    def start(self, timeout: float = 60.0) -> LabServer:
        if not port_is_free("127.0.0.1", self.port):
            raise HarnessError(f"port {self.port} is taken; refusing to talk to a stale server")
        env = self._prepare()
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={self.notebooks}",
            "--LabApp.expose_app_in_browser=True",
        ]
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self._proc = subprocess.Popen(
            cmd,
            cwd=self.notebooks,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as a whole in stop()
        )
        _LIVE_GROUPS.add(self._proc.pid)
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as http:
            while True:
                if self._proc.poll() is not None:
                    raise HarnessError(
                        f"jupyter lab exited with {self._proc.returncode} while starting:\n"
                        + self.log_tail()
                    )
                with contextlib.suppress(httpx.HTTPError):
                    r = http.get(f"{self.url}/api/status", params={"token": self.token})
                    if r.status_code == 200:
                        break
                if time.monotonic() > deadline:
                    self.stop()
                    raise HarnessError(
                        f"jupyter lab did not answer on {self.url} within {timeout:.0f} s:\n"
                        + self.log_tail()
                    )
                time.sleep(0.1)
            # /notebooks/ must be served too (the `notebook` package's server extension).
            r = http.get(f"{self.url}/tree", params={"token": self.token})
            if r.status_code != 200:
                raise HarnessError(f"Notebook 7 is not served by {self.url} ({r.status_code})")
        return self

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        with httpx.Client(timeout=10.0) as http:
            return http.request(
                method,
                f"{self.url}{path}",
                headers={"Authorization": f"token {self.token}"},
                **kwargs,
            )

    def shutdown_kernels(self) -> None:
        with contextlib.suppress(httpx.HTTPError):
            for kernel in self.api("GET", "/api/kernels").json():
                self.api("DELETE", f"/api/kernels/{kernel['id']}")

    def stop(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            # Kernels run in process groups of their own (jupyter_client starts them in
            # a new session): shut them down through the server before it goes.
            self.shutdown_kernels()
        kill_group(proc.pid, proc=proc)
        self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


_LIVE_GROUPS: set[int] = set()


def kill_group(pgid: int, grace: float = 5.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """SIGTERM the process group, then SIGKILL what is left after ``grace`` seconds.

    ``proc`` (the group's leader, our child) is reaped while waiting: a zombie would
    otherwise keep the group "alive" until the grace ran out.
    """
    _LIVE_GROUPS.discard(pgid)
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if proc is not None:
            proc.poll()
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    if proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)


@atexit.register
def _kill_leftovers() -> None:  # an interrupted run leaves no server behind
    for pgid in list(_LIVE_GROUPS):
        kill_group(pgid, grace=2.0)


def stop_on_sigterm() -> None:
    """Turn SIGTERM into KeyboardInterrupt so pytest (or the benchmark) tears down its
    fixtures, which stop the servers."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    with contextlib.suppress(ValueError):  # not in the main thread
        signal.signal(signal.SIGTERM, handler)


# --- Chromium through Playwright ------------------------------------------------------


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (Playwright's sync API) from Debian's package."""
    path = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(
                executable_path=path, headless=True, args=CHROMIUM_ARGS, timeout=60_000
            )
        except Exception as exc:
            raise HarnessError(f"Chromium at {path} did not start: {exc}") from exc
        try:
            yield browser
        finally:
            browser.close()


def clean_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path
