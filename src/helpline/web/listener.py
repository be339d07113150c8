"""The node's listening socket: a connection is taken only while descriptors are left.

The upgrade check (web/admission.py) guards websockets, but a connection costs its
descriptor from the moment it is accepted, long before any request: clients that open
connections and send nothing (or headers one byte at a time) would use up the reserve
the store needs. So while the node is short of descriptors, a new connection is answered
at once with a fixed 503 and closed, and its descriptor is free again a moment later.
"""

from __future__ import annotations

import asyncio
import json
from typing import cast

from aiohttp import web

from helpline.web.descriptors import DescriptorBudget


def refusal_bytes(budget: DescriptorBudget) -> bytes:
    body = json.dumps({
        "status": "degraded", "error": "unavailable",
        "message": "this node is at its connection limit", "descriptors": budget.last().as_json(),
    }).encode()  # fmt: skip
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nRetry-After: 5\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


class Refused(asyncio.Protocol):
    """A connection taken while short of descriptors: told 503, then closed.

    Not closed at once: closing with the client's request unread would reset the
    connection before the client read the answer. What it sends is read and dropped until
    it closes its end, or for LINGER_S at most."""

    LINGER_S = 1.0

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self._closing: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass of it
        transport.write(self.answer)
        if transport.can_write_eof():
            transport.write_eof()
        self._closing = asyncio.get_running_loop().call_later(self.LINGER_S, transport.close)

    def data_received(self, data: bytes) -> None:
        pass  # the request is not read: the answer is the same for every one

    def connection_lost(self, exc: Exception | None) -> None:
        if self._closing is not None:
            self._closing.cancel()


async def listen(
    runner: web.AppRunner,
    budget: DescriptorBudget,
    host: str,
    port: int,
    *,
    reuse_port: bool = False,
) -> asyncio.Server:
    """Accept on host:port for the runner's app (the runner set up), through the budget.
    reuse_port: share the port with the node's other workers (SO_REUSEPORT: the kernel
    deals each new connection to one of the processes listening on it)."""
    server = runner.server
    assert server is not None, "runner.setup() first"

    def connection() -> asyncio.Protocol:
        # counted before the check: the connection holds its descriptor already, and a
        # listing the check makes finds it too
        budget.admitted()
        if budget.refusing():
            return Refused(refusal_bytes(budget))
        return server()

    loop = asyncio.get_running_loop()
    return await loop.create_server(
        connection, host, port, backlog=128, reuse_port=reuse_port or None
    )
