"""What every view's Python half shares: commands and replies, refreshes off the event loop.

The controller's live events arrive on the shared background loop (``client/_loop.py``),
also while a notebook cell runs. Callbacks there must be short and must not block on
HTTP, so a view that needs to read the service again asks its ``Refresher``: one worker
thread per widget that coalesces a burst of events into one read. Commands from the
browser arrive on the kernel's main thread; their replies are sent after the state they
changed, so a view can clear its busy state on the reply (see ``docs/views.md``).
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import httpx
import traitlets

from ..errors import BreakoutError

log = logging.getLogger("breakout_widgets.widgets")

STATIC = Path(__file__).resolve().parent.parent / "static"


def bundle(name: str) -> Path | str:
    """The built view module ``static/<name>.js`` (``npm run build`` makes it).

    Without it, a module that says so in the notebook: importing the package must not
    fail on a machine that only runs the service.
    """
    path = STATIC / f"{name}.js"
    if path.exists():
        return path
    message = (
        f"The view bundle {path} is missing. Install the package with `pip install -e .` "
        "(it runs `npm install` and `npm run build`), or run `npm run build`."
    )
    render = "render({ el }) { el.textContent = " + json.dumps(message) + "; }"
    return "export default { " + render + " };"


def styles(name: str) -> Path | str:
    """The view's stylesheet, if the bundle has one (esbuild writes it beside the JS)."""
    path = STATIC / f"{name}.css"
    return path if path.exists() else ""


def clock_offset(url: str) -> float:
    """Service clock minus this kernel's clock, from the HTTP Date header (1 s resolution).

    Zero unless the clocks differ by more than the header can tell: on one machine they
    are the same clock, and a rounded offset would only add jitter to the countdowns.
    """
    try:
        with httpx.Client(timeout=5) as client:
            date = client.get(url.rstrip("/") + "/v1/health").headers.get("date")
        if not date:
            return 0.0
        offset = email.utils.parsedate_to_datetime(date).timestamp() - time.time()
    except (httpx.HTTPError, TypeError, ValueError):
        return 0.0
    return round(offset) if abs(offset) > 1.5 else 0.0


def error_body(exc: BaseException) -> dict[str, str]:
    """An exception as the ``error`` of a reply: the service's code and message."""
    if isinstance(exc, BreakoutError):
        return {"code": exc.code, "message": exc.message}
    return {"code": "error", "message": f"{type(exc).__name__}: {exc}"}


class Refresher:
    """Runs ``job`` on a worker thread, once per burst of ``poke()`` calls.

    A poke while the job runs schedules exactly one more run, so the last event of a
    burst is always reflected and a burst of 500 costs a few runs, not 500.
    """

    def __init__(self, job: Callable[[], None], name: str, delay: float = 0.02) -> None:
        self._job = job
        self._delay = delay
        self._wanted = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def poke(self) -> None:
        self._wanted.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop, letting a read in flight finish (its controller may be closed next)."""
        self._stopped = True
        self._wanted.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            self._wanted.wait()
            if self._stopped:
                return
            time.sleep(self._delay)  # let the rest of a burst arrive
            self._wanted.clear()
            if self._stopped:
                return
            try:
                self._job()
            except Exception:  # a failed read must not end the worker; the next poke retries
                log.exception("refreshing a view failed")


class LiveWidget(anywidget.AnyWidget):
    """Base of the four views: the hello/command/reply protocol of ``docs/views.md``."""

    clock_offset = traitlets.Float(0.0).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = threading.RLock()  # state is changed by events and by commands
        self._subscriptions: list[tuple[Any, str, Callable[[dict[str, Any]], Any]]] = []
        self._refresher: Refresher | None = None
        self.on_msg(self._on_view_message)

    # -- wiring -------------------------------------------------------------------------------

    def _listen(self, controller: Any, event_type: str, callback: Callable[..., Any]) -> None:
        """Subscribe to the controller's live events; undone by ``close()``."""
        controller.on(event_type, callback)
        self._subscriptions.append((controller, event_type, callback))

    def _refresh_in_background(self, job: Callable[[], None]) -> None:
        self._refresher = Refresher(job, name=f"{type(self).__name__}-refresh", delay=0.005)

    def _poke(self, event: dict[str, Any] | None = None) -> None:
        if self._refresher is not None:
            self._refresher.poke()

    def close(self) -> None:
        """Stop following the class and close the widget's views."""
        for controller, event_type, callback in self._subscriptions:
            with contextlib.suppress(Exception):
                controller.off(event_type, callback)
        self._subscriptions.clear()
        if self._refresher is not None:
            self._refresher.stop()
        super().close()

    # -- the view's messages ------------------------------------------------------------------

    def _on_view_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("kind")
        if kind == "hello":
            with self._lock:
                self._send_snapshot()
        elif kind == "command":
            self._run_command(content)

    def _run_command(self, content: dict[str, Any]) -> None:
        action = content.get("action")
        handler = getattr(self, f"_do_{action}", None) if isinstance(action, str) else None
        reply: dict[str, Any] = {"kind": "reply", "id": content.get("id"), "ok": True}
        try:
            if handler is None:
                raise BreakoutError(f"this view has no action {action!r}", code="invalid_input")
            handler(content)  # handlers take self._lock around state, never around HTTP
        except Exception as exc:
            if not isinstance(exc, BreakoutError):
                log.exception("view action %s failed", action)
            reply.update(ok=False, error=error_body(exc))
            self._after_error(exc)
        self.send(reply)

    def _after_error(self, exc: BaseException) -> None:
        """A hook: the board reloads after a conflict."""

    def _send_snapshot(self) -> None:
        """Send what a freshly rendered view needs beyond the traits."""

    def notice(self, text: str, level: str = "info") -> None:
        """Show a short message in every view of this widget."""
        self.send({"kind": "notice", "level": level, "text": text})
