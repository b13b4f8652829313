"""Our service, unmodified, on uvloop: ``breakout-widgets serve`` with another loop policy.

``service/server.py`` runs uvicorn inside ``asyncio.run()``, so uvicorn's own loop
choice (uvloop when installed) never applies and the service runs on the stdlib loop.
This launcher measures what uvloop would change (target ``ours-uvloop``; not run by
default). Same arguments as ``breakout-widgets serve``.
"""

from __future__ import annotations

import asyncio
import sys

import uvloop

from breakout_widgets.cli import main

if __name__ == "__main__":
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    sys.exit(main(sys.argv[1:]))
