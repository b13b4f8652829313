"""``breakout-widgets lab``: the meeting service and JupyterLab, started and stopped together.

The service runs in this process (a background thread, as in ``Service.embedded``), so
it cannot outlive the command. JupyterLab runs as a child in a session of its own and
learns the service's address and admin key from its environment, which every kernel
inherits (``bw.connect()`` reads it). A signal to this process (Ctrl-C, SIGTERM,
SIGHUP) becomes one SIGTERM to Lab, which shuts its kernels down; a second signal, or
Lab still running after a grace period, kills Lab's process group. The exit code is Lab's.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .client.service import ENV_ADMIN_KEY, ENV_PUBLIC_URL, ENV_URL
from .errors import InvalidInput, Unavailable
from .service.server import BackgroundServer
from .service.settings import Settings

STOP_GRACE = 15.0  # seconds Lab gets to shut its kernels down before it is killed
LAB_ADDRESS_WAIT = 120.0  # seconds to look for Lab's address before leaving it to its log
WILDCARDS = ("0.0.0.0", "::", "")


@dataclass
class LabOptions:
    """What ``breakout-widgets lab`` was asked for (see ``--help``)."""

    host: str = "127.0.0.1"
    port: int = 8765
    notebooks: Path | None = None
    lab_port: int = 8888
    open_browser: bool = True
    public_url: str | None = None
    log_level: str = "warning"
    lab_args: list[str] = field(default_factory=list)


def run(settings: Settings, options: LabOptions, announce: Callable[[str], None]) -> int:
    """Serve, run JupyterLab until it stops, stop the service; return Lab's exit code.

    ``announce(url)`` runs once the service answers (it prints where things are).
    """
    if importlib.util.find_spec("jupyterlab") is None:
        raise Unavailable(
            f"JupyterLab is not installed for {sys.executable}: `pip install jupyterlab` "
            "(scripts/run installs it)"
        )
    folder = notebooks_folder(options.notebooks)
    try:
        server = BackgroundServer(
            settings, host=options.host, port=options.port, log_level=options.log_level
        )
    except Unavailable as exc:
        raise Unavailable(
            f"{exc.message}. Is another `breakout-widgets lab` running? --port 0 picks a free port."
        ) from exc
    try:
        server.start()
        url = local_url(server.url)
        _wait_healthy(url)
        public = (options.public_url or _public_url(options.host, url)).rstrip("/")
        announce(url)
        print(f"  notebooks: {folder}", flush=True)
        if public != url:
            print(f"  students elsewhere reach the service at {public}", flush=True)
        assert server.settings.admin_key is not None
        env = lab_env(url, server.settings.admin_key, public)
        return _supervise(lab_command(folder, options), folder, env)
    finally:
        server.stop()


def notebooks_folder(given: Path | None) -> Path:
    """``given``; else ``./notebooks``; else the checkout's ``notebooks/``; else ``.``."""
    if given is not None:
        folder = Path(given).expanduser().resolve()
        if not folder.is_dir():
            raise InvalidInput(f"--notebooks: no folder {folder}")
        return folder
    here = Path.cwd() / "notebooks"
    checkout = Path(__file__).resolve().parent.parent / "notebooks"  # editable installs
    for candidate in (here, checkout):
        if candidate.is_dir():
            return candidate.resolve()
    return Path.cwd().resolve()


def lab_command(folder: Path, options: LabOptions) -> list[str]:
    """``python -m jupyterlab`` with this venv's Python, so kernels find this package."""
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={folder}",
        f"--ServerApp.port={options.lab_port}",
    ]
    if not options.open_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in options.lab_args:
        cmd.append("--allow-root")  # Lab refuses root without it (containers, CI)
    return cmd + list(options.lab_args)


def lab_env(url: str, admin_key: str, public_url: str) -> dict[str, str]:
    """This environment plus the service's address and key, for Lab and its kernels."""
    env = dict(os.environ)
    env[ENV_URL] = url
    env[ENV_ADMIN_KEY] = admin_key
    env[ENV_PUBLIC_URL] = public_url
    return env


def local_url(url: str) -> str:
    """The URL this machine uses; a wildcard bind (0.0.0.0, ::) is reached on loopback."""
    for wildcard, loopback in (("//0.0.0.0:", "//127.0.0.1:"), ("//[::]:", "//[::1]:")):
        url = url.replace(wildcard, loopback)
    return url


def _public_url(host: str, url: str) -> str:
    """Where others reach a service bound to ``host``: this machine's address if it
    listens on every interface, else the URL itself."""
    if host not in WILDCARDS:
        return url
    port = url.rsplit(":", 1)[1]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # a UDP "connect" sends nothing; it picks a route
            address = s.getsockname()[0]
        except OSError:
            address = socket.gethostname()
    return f"http://{address}:{port}"


def _wait_healthy(url: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/v1/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise Unavailable(f"the service at {url} did not answer /v1/health")
        time.sleep(0.05)


def _supervise(cmd: list[str], folder: Path, env: dict[str, str]) -> int:
    stopper = _Stopper()
    previous = {sig: signal.signal(sig, stopper) for sig in _STOP_SIGNALS}
    try:
        # A session of its own: the terminal's Ctrl-C reaches only us, and we stop Lab
        # the one orderly way (SIGTERM) instead of its interactive "Shutdown?" prompt.
        lab = subprocess.Popen(
            cmd, cwd=folder, env=env, stdin=subprocess.DEVNULL, start_new_session=True
        )
        stopper.attach(lab)
        print("  JupyterLab: starting…", flush=True)
        address_by = time.monotonic() + LAB_ADDRESS_WAIT
        while True:
            try:
                code = lab.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                pass
            if address_by and stopper.stopping_since is None:
                address = _lab_address(lab.pid)
                if address or time.monotonic() > address_by:
                    print(f"  JupyterLab: {address or 'see its log for the address'}", flush=True)
                    print("Stop both with Ctrl-C.", flush=True)
                    address_by = 0.0
            stopper.escalate_if_overdue()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    stopper.sweep()
    return code if code >= 0 else 128 - code


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _Stopper:
    """The signal handler: first signal SIGTERMs Lab's group, the next one kills it."""

    def __init__(self) -> None:
        self.lab: subprocess.Popen[Any] | None = None
        self.stopping_since: float | None = None
        self._pending: int | None = None

    def attach(self, lab: subprocess.Popen[Any]) -> None:
        self.lab = lab
        if self._pending is not None:  # a signal came while Lab was being started
            self(self._pending, None)

    def __call__(self, signum: int, frame: object) -> None:
        if self.lab is None:
            self._pending = signum
            return
        if self.stopping_since is None:
            self.stopping_since = time.monotonic()
            with contextlib.suppress(OSError):  # the terminal may be gone (SIGHUP)
                print("\nstopping JupyterLab and the service (again to force)…", file=sys.stderr)
            self._signal(signal.SIGTERM)
        else:
            self._signal(signal.SIGKILL)

    def escalate_if_overdue(self) -> None:
        if self.stopping_since is not None and time.monotonic() - self.stopping_since > STOP_GRACE:
            self._signal(signal.SIGKILL)

    def sweep(self) -> None:
        """Lab is gone: nothing it left in its process group may stay."""
        self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        if self.lab is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.lab.pid, sig)  # a new session: its group id is its pid


def _lab_address(pid: int) -> str | None:
    """Lab's URL with its token, from the file a Jupyter server writes once it listens."""
    from jupyter_core.paths import jupyter_runtime_dir  # Lab's dependency; it runs here

    runtime = Path(jupyter_runtime_dir())  # Lab has our environment: the same folder
    try:
        info = json.loads((runtime / f"jpserver-{pid}.json").read_text())
    except (OSError, ValueError):
        return None
    url = info.get("url", "").rstrip("/") + "/lab"
    return f"{url}?token={info['token']}" if info.get("token") else url
