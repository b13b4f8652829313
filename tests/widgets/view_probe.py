"""Driving a widget's Python half as its view would: messages in, messages out.

``ViewProbe`` records what the widget sends (``widget.send``) and says things to it as
a rendered view does (``hello``, commands), without a kernel or a browser; the browser
tests (tests/browser) check the JavaScript halves.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Any


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.02)


class ViewProbe:
    """Stands in for a rendered view of ``widget``."""

    _ids = itertools.count(1)

    def __init__(self, widget: Any) -> None:
        self.widget = widget
        self.sent: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        widget.send = self._record  # the widget's messages to its views land here

    def _record(self, content: dict[str, Any], buffers: Any = None) -> None:
        with self._lock:
            self.sent.append(content)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.sent if m.get("kind") == kind]

    def clear(self) -> None:
        with self._lock:
            self.sent.clear()

    def hello(self) -> None:
        self.widget._on_view_message(self.widget, {"kind": "hello"}, [])

    def command(self, action: str, **args: Any) -> dict[str, Any]:
        """Send a command as the view does; returns the reply (which must come)."""
        cid = next(self._ids)
        self.widget._on_view_message(
            self.widget, {"kind": "command", "id": cid, "action": action, **args}, []
        )
        replies = [m for m in self.of_kind("reply") if m["id"] == cid]
        assert len(replies) == 1, f"one reply per command, got {replies}"
        return replies[0]
