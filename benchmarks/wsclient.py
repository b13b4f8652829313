"""A lean WebSocket client: the ``websockets`` sans-I/O protocol on an asyncio transport.

The load generators hold thousands of connections and parse hundreds of thousands of
messages a second on a shared 2-core machine, so the client must cost less than the
servers it measures. ``websockets``' asyncio client spends a future and a task switch per
message (~5.9 µs with the JSON parse, measured); driving its sans-I/O ``ClientProtocol``
from ``data_received`` costs ~3.6 µs and handles the handshake, pings and close frames
the same way. The same client talks to every target, so client cost is equal across them.

Sockets are bound to a source address (127.0.0.x: each address has its own ephemeral
ports) and close with ``SO_LINGER (1, 0)``, an RST, so runs leave no TIME_WAIT behind.
"""

from __future__ import annotations

import asyncio
import collections
import socket
import struct
import time
from collections.abc import Callable
from typing import Any

from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

# Linux: choose the local port at connect(), so one source address serves many servers.
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)
LINGER_RST = struct.pack("ii", 1, 0)

TextHandler = Callable[["WsClient", bytes, float], None]


class WsClosed(ConnectionError):
    """The connection is closed (or the handshake failed)."""


class WsClient(asyncio.Protocol):
    """One client connection. Text messages go to ``on_text(client, data, now)`` once it is
    set; before that (while a target adapter joins) they queue for ``recv()``."""

    def __init__(self, uri: str) -> None:
        self.proto = ClientProtocol(parse_uri(uri), max_size=2**22)
        self.transport: asyncio.Transport | None = None
        self.on_text: TextHandler | None = None
        self.on_close: Callable[[WsClient], None] | None = None
        self.owner: Any = None  # whatever the caller wants to find from the connection
        self.closed = False
        self.close_code: int | None = None
        self._opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._inbox: collections.deque[bytes] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._fragments: list[bytes] = []

    # -- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.proto.send_request(self.proto.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        proto = self.proto
        proto.receive_data(data)
        now = time.time()
        for event in proto.events_received():
            if isinstance(event, Response):
                if proto.handshake_exc is not None:
                    self._fail(proto.handshake_exc)
                elif not self._opened.done():
                    self._opened.set_result(None)
                continue
            opcode = event.opcode
            if opcode is Opcode.TEXT or opcode is Opcode.CONT:
                if not event.fin or self._fragments:
                    self._fragments.append(event.data)
                    if not event.fin:
                        continue
                    payload = b"".join(self._fragments)
                    self._fragments.clear()
                else:
                    payload = event.data
                if self.on_text is not None:
                    self.on_text(self, payload, now)
                else:
                    self._inbox.append(payload)
                    if self._waiter is not None and not self._waiter.done():
                        self._waiter.set_result(None)
            elif opcode is Opcode.CLOSE and proto.close_rcvd is not None:
                self.close_code = proto.close_rcvd.code
        self._flush()
        if proto.state is State.CLOSED or proto.state is State.CLOSING:
            self._mark_closed()

    def connection_lost(self, exc: Exception | None) -> None:
        self._mark_closed()
        if not self._opened.done():
            self._opened.set_exception(WsClosed(f"connection lost: {exc!r}"))

    # -- API --------------------------------------------------------------------------------

    async def opened(self, timeout: float) -> None:
        await asyncio.wait_for(asyncio.shield(self._opened), timeout)

    def send_text(self, text: str | bytes) -> None:
        if self.closed:
            raise WsClosed("closed")
        self.proto.send_text(text.encode() if isinstance(text, str) else text)
        self._flush()

    async def recv(self, timeout: float) -> bytes:
        """The next text message (only before ``on_text`` is set)."""
        deadline = time.monotonic() + timeout
        while not self._inbox:
            if self.closed:
                raise WsClosed(f"closed with code {self.close_code}")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(self._waiter, max(0.0, deadline - time.monotonic()))
            finally:
                self._waiter = None
        return self._inbox.popleft()

    def abort(self) -> None:
        """Drop the connection at once (RST, thanks to SO_LINGER 0)."""
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    # -- internals --------------------------------------------------------------------------

    def _flush(self) -> None:
        out = self.proto.data_to_send()
        if not out or self.transport is None:
            return
        eof = out[-1] == b""
        data = b"".join(out)
        if data:
            self.transport.write(data)
        if eof:
            self.transport.close()

    def _fail(self, exc: Exception) -> None:
        if not self._opened.done():
            self._opened.set_exception(WsClosed(f"handshake failed: {exc}"))
        self.abort()

    def _mark_closed(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        if self.on_close is not None:
            self.on_close(self)


def client_socket(source: str | None) -> socket.socket:
    """A non-blocking TCP socket that closes with RST, bound to ``source`` if given."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if source:
        sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        sock.bind((source, 0))
    sock.setblocking(False)
    return sock


async def connect(
    host: str, port: int, path: str, *, source: str | None = None, timeout: float = 30.0
) -> WsClient:
    """Open a WebSocket to ``ws://host:port{path}`` from ``source``; no compression."""
    loop = asyncio.get_running_loop()
    sock = client_socket(source)
    try:
        await asyncio.wait_for(loop.sock_connect(sock, (host, port)), timeout)
    except BaseException:
        sock.close()
        raise
    uri = f"ws://{host}:{port}{path}"
    _, client = await loop.create_connection(lambda: WsClient(uri), sock=sock)
    try:
        await client.opened(timeout)
    except BaseException:
        client.abort()
        raise
    return client
