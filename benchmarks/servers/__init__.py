"""The baseline servers the service is compared with, each run as a subprocess.

* ``bare_ws`` — a bare ``websockets`` server that relays a publish to a room with
  ``broadcast()``: the ceiling for Python.
* ``socketio_server`` — python-socketio rooms on uvicorn: the peer a Python developer
  would pick.

Both print ``listening on ws://HOST:PORT`` once ready and relay the service's event
envelope ``{"type": "chat_message", "meeting_id", "seq", "data", "time"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop when it is installed; a Ctrl-C ends it quietly."""
    with contextlib.suppress(KeyboardInterrupt):
        try:
            import uvloop
        except ImportError:
            asyncio.run(main)
        else:
            uvloop.run(main)
