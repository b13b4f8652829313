"""The peer: python-socketio rooms on uvicorn (websocket transport only).

Events from the client: ``join`` (room name; acknowledged) and ``publish``
(``{"room", "data"}``). A publish is emitted to the room as ``chat_message`` with the
service's envelope. uvicorn runs as for the service: uvloop, httptools, the
``websockets`` sans-I/O protocol, no permessage-deflate.
"""

from __future__ import annotations

import argparse
import socket
import time
from typing import Any

import socketio
import uvicorn

from . import run_loop

sio = socketio.AsyncServer(async_mode="asgi", transports=["websocket"], cors_allowed_origins="*")
seqs: dict[str, int] = {}


@sio.on("join")
async def join(sid: str, room: str) -> str:
    await sio.enter_room(sid, str(room))
    return "joined"


@sio.on("publish")
async def publish(sid: str, message: dict[str, Any]) -> None:
    room = str(message["room"])
    seq = seqs[room] = seqs.get(room, 0) + 1
    envelope = {"type": "chat_message", "meeting_id": room, "seq": seq}
    envelope |= {"data": message["data"], "time": time.time()}
    await sio.emit("chat_message", envelope, room=room)


async def main(host: str, port: int) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(4096)
    config = uvicorn.Config(
        socketio.ASGIApp(sio),
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws_per_message_deflate=False,
    )
    server = uvicorn.Server(config)
    bound = sock.getsockname()
    print(f"listening on ws://{bound[0]}:{bound[1]}", flush=True)
    await server.serve(sockets=[sock])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    run_loop(main(args.host, args.port))
