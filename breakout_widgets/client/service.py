"""``Service``: a handle on a running meeting service (``.url``, ``.admin_key``).

``Service.embedded()`` runs one in a background thread of this process;
``Service.from_env()`` finds the one ``breakout-widgets lab`` started for this kernel.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import httpx

from ..errors import Unavailable
from ..service.server import BackgroundServer
from ..service.settings import DEFAULT_DB_FILE, Settings

# What `breakout-widgets lab` hands to every kernel it starts.
ENV_URL = "BREAKOUT_WIDGETS_URL"  # where this machine reaches the service
ENV_ADMIN_KEY = "BREAKOUT_WIDGETS_ADMIN_KEY"  # the app's admin key (the instructor needs it)
ENV_PUBLIC_URL = "BREAKOUT_WIDGETS_PUBLIC_URL"  # where students elsewhere reach it (join links)


class Service:
    """A running meeting service you can hand to ``Classroom.create`` (``.url``,
    ``.admin_key``). ``embedded()`` runs one in a background thread of this process;
    ``from_env()`` names one started elsewhere (``stop()`` leaves that one running)."""

    def __init__(
        self,
        url: str,
        admin_key: str,
        path: Path | None = None,
        server: BackgroundServer | None = None,
        tmp: tempfile.TemporaryDirectory[str] | None = None,
        *,
        public_url: str | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.admin_key = admin_key
        self.path = path
        # Join links carry this address: students on other machines cannot use 127.0.0.1.
        self.public_url = (public_url or url).rstrip("/")
        self._server = server
        self._tmp = tmp
        self._owned = server is not None
        self._stopped = False

    @classmethod
    def embedded(
        cls, path: str | Path | None = None, port: int | None = None, host: str = "127.0.0.1"
    ) -> Service:
        """Start the service in a background thread, SQLite in the folder ``path``.

        Without ``path`` a temporary folder is used and removed by ``stop()``. It works
        inside Jupyter, where an event loop already runs: the service has its own loop.
        """
        tmp = None
        if path is None:
            tmp = tempfile.TemporaryDirectory(prefix="breakout-widgets-")
            path = tmp.name
        try:
            folder = Path(path).expanduser().resolve()
            folder.mkdir(parents=True, exist_ok=True)
            settings = Settings(db=str(folder / DEFAULT_DB_FILE), data_dir=folder)
            server = BackgroundServer(settings, host=host, port=port or 0)
            try:
                server.start()
            except BaseException:
                server.stop()  # release the socket and the thread
                raise
        except BaseException:  # e.g. the port is taken: leave no temporary folder behind
            if tmp is not None:
                tmp.cleanup()
            raise
        assert server.settings.admin_key is not None
        return cls(server.url, server.settings.admin_key, folder, server, tmp)

    @classmethod
    def from_env(cls, *, check: bool = True) -> Service:
        """The service ``breakout-widgets lab`` started for this notebook.

        Reads ``BREAKOUT_WIDGETS_URL`` and ``BREAKOUT_WIDGETS_ADMIN_KEY`` (and
        ``BREAKOUT_WIDGETS_PUBLIC_URL`` for join links). Raises ``bw.Unavailable`` when
        they are missing or, with ``check``, when the service does not answer.
        """
        url = os.environ.get(ENV_URL, "").strip()
        admin_key = os.environ.get(ENV_ADMIN_KEY, "").strip()
        missing = [
            name for name, value in ((ENV_URL, url), (ENV_ADMIN_KEY, admin_key)) if not value
        ]
        if missing:
            raise Unavailable(
                f"no breakout service in this environment ({' and '.join(missing)} not set). "
                "Start JupyterLab with `breakout-widgets lab` (it sets them for every "
                "notebook), or start a service in this kernel with bw.Service.embedded() "
                "(bw.connect() does either)."
            )
        if check:
            _check_health(url)
        return cls(url, admin_key, public_url=os.environ.get(ENV_PUBLIC_URL) or None)

    @property
    def running(self) -> bool:
        """False once ``stop()`` stopped a service this process started."""
        return not self._stopped

    def stop(self) -> None:
        """Stop an embedded service (and remove its temporary folder, if it made one).

        A service this process did not start (``from_env``) is left running.
        """
        if not self._owned:
            return
        self._stopped = True
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        if not self._owned:
            return f"<Service {self.url} (external)>"
        state = "stopped" if self._stopped else "running"
        return f"<Service {self.url} ({state})>"


def _check_health(url: str) -> None:
    try:
        response = httpx.get(f"{url.rstrip('/')}/v1/health", timeout=5.0)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise Unavailable(
            f"the breakout service at {url} (from {ENV_URL}) does not answer: {exc}. "
            "Is `breakout-widgets lab` still running?"
        ) from exc
