"""The ceiling: a bare ``websockets`` server with rooms and ``broadcast()``.

Client → server: ``{"join": room}`` (answered ``{"type": "joined", "room"}``),
``{"publish": room, "data": {...}}`` and ``{"type": "ping"}``. A publish goes to every
member of the room as the service's envelope, serialised once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

from . import run_loop

rooms: dict[str, set[ServerConnection]] = {}
seqs: dict[str, int] = {}


async def handler(ws: ServerConnection) -> None:
    joined: list[str] = []
    try:
        async for raw in ws:
            msg = json.loads(raw)
            if "publish" in msg:
                room = str(msg["publish"])
                seq = seqs[room] = seqs.get(room, 0) + 1
                envelope = {"type": "chat_message", "meeting_id": room, "seq": seq}
                envelope |= {"data": msg["data"], "time": time.time()}
                broadcast(rooms.get(room, ()), json.dumps(envelope, separators=(",", ":")))
            elif "join" in msg:
                room = str(msg["join"])
                rooms.setdefault(room, set()).add(ws)
                joined.append(room)
                await ws.send(json.dumps({"type": "joined", "room": room}))
            elif msg.get("type") == "ping":
                await ws.send('{"type":"pong"}')
    except ConnectionClosed:
        pass
    finally:
        for room in joined:
            rooms[room].discard(ws)


async def main(host: str, port: int) -> None:
    async with serve(handler, host, port, compression=None, backlog=4096) as server:
        bound = next(iter(server.sockets)).getsockname()
        print(f"listening on ws://{bound[0]}:{bound[1]}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    run_loop(main(args.host, args.port))
