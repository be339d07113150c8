"""Frames sent back to back leave in one TCP write: TCP_CORK around a burst (Linux)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

log = logging.getLogger(__name__)

_TCP_CORK: int | None = getattr(socket, "TCP_CORK", None)


@contextlib.contextmanager
def corked(transport: asyncio.BaseTransport | None, burst: bool = True) -> Iterator[None]:
    """Hold the socket's output while the block writes, and send it all as it ends.

    Every websocket frame is its own write, and each write to a connected socket costs a
    trip through the TCP stack (on loopback, the receiver's too): the bot's answer goes out
    as two or three frames at once. Corking costs two setsockopt calls, so it is for bursts
    only (burst=False: a no-op). Without TCP_CORK (not Linux), or when the transport has no
    socket, the frames leave one by one as before.
    """
    sock = transport.get_extra_info("socket") if burst and transport is not None else None
    if sock is None or _TCP_CORK is None or not _set(sock, 1):
        yield
        return
    try:
        yield
    finally:
        _set(sock, 0)  # the kernel also sends a corked segment after 200 ms by itself


def _set(sock: socket.socket, value: int) -> bool:
    assert _TCP_CORK is not None
    try:
        sock.setsockopt(socket.IPPROTO_TCP, _TCP_CORK, value)
    except OSError as exc:  # e.g. the peer is gone: the writes will say so themselves
        log.debug("TCP_CORK=%d failed: %s", value, exc)
        return False
    return True
