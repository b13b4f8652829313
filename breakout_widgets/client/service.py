"""``Service.embedded()``: the meeting service inside this Python process."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..service.server import BackgroundServer
from ..service.settings import DEFAULT_DB_FILE, Settings


class Service:
    """A running meeting service you can hand to ``Classroom.create`` (``.url``,
    ``.admin_key``). ``embedded()`` runs one in a background thread of this process."""

    def __init__(
        self,
        url: str,
        admin_key: str,
        path: Path | None = None,
        server: BackgroundServer | None = None,
        tmp: tempfile.TemporaryDirectory[str] | None = None,
    ) -> None:
        self.url = url
        self.admin_key = admin_key
        self.path = path
        self._server = server
        self._tmp = tmp
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

    def stop(self) -> None:
        """Stop an embedded service (and remove its temporary folder, if it made one)."""
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
        state = "stopped" if self._stopped else "running"
        return f"<Service {self.url} ({state})>"
