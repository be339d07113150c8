"""Frames sent back to back leave in one TCP write: TCP_CORK around a burst (Linux)."""

from __future__ import annotations

import _socket
import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

log = logging.getLogger(__name__)

_TCP_CORK: int | None = getattr(socket, "TCP_CORK", None)


class Cork:
    """One connection's socket, looked up once, corked and uncorked around bursts.

    Every websocket frame is its own write, and each write to a connected socket costs a
    trip through the TCP stack (on loopback, the receiver's too): the bot's answer goes out
    as two or three frames at once. Corking costs two setsockopt calls, so it is for bursts
    only. Holds nest: a burst sent inside a longer one (the relay's frames during the
    customer's turn) leaves the socket corked until the outermost hold is released, so a
    turn's frames leave in one write instead of one per inner burst (two setsockopt calls
    a turn, not six). The transport's socket object (uvloop: a stand-in that builds a full
    socket.socket for every setsockopt) is read once; each call borrows the descriptor in a
    bare _socket.socket and detaches it at once, so the transport keeps sole ownership.
    """

    __slots__ = ("_depth", "_fd", "_family", "_kind", "_proto", "_transport")

    def __init__(self, transport: asyncio.BaseTransport, sock: socket.socket) -> None:
        self._transport = transport
        self._fd = sock.fileno()
        self._family, self._kind, self._proto = int(sock.family), int(sock.type), sock.proto
        self._depth = 0  # holds not yet released; the socket is corked while above 0

    @classmethod
    def of(cls, transport: asyncio.BaseTransport | None) -> Cork | None:
        """None without TCP_CORK (not Linux) or without a socket: frames leave one by one."""
        if _TCP_CORK is None or transport is None:
            return None
        sock = transport.get_extra_info("socket")
        if sock is None or sock.fileno() < 0:
            return None
        return cls(transport, sock)

    def hold(self) -> bool:
        """Cork the socket; False (nothing to release) when that failed or it is closing:
        a closed connection's descriptor number may already name another socket. Inside
        another hold it only counts: the socket is corked already."""
        if self._depth == 0 and (self._transport.is_closing() or not self._set(1)):
            return False
        self._depth += 1
        return True

    def release(self) -> None:
        """End a hold that returned True; the outermost one sends what is held."""
        self._depth -= 1
        # closing: the close sends what is held, and the descriptor may soon name another
        # socket; otherwise the kernel also sends a corked segment after 200 ms by itself
        if self._depth == 0 and not self._transport.is_closing():
            self._set(0)

    def _set(self, value: int) -> bool:
        assert _TCP_CORK is not None
        borrowed = _socket.socket(self._family, self._kind, self._proto, self._fd)
        try:
            borrowed.setsockopt(socket.IPPROTO_TCP, _TCP_CORK, value)
        except OSError as exc:  # e.g. the peer is gone: the writes will say so themselves
            log.debug("TCP_CORK=%d failed: %s", value, exc)
            return False
        finally:
            borrowed.detach()
        return True


@contextlib.contextmanager
def corked(transport: asyncio.BaseTransport | None, burst: bool = True) -> Iterator[None]:
    """Hold the socket's output while the block writes, and send it all as it ends
    (burst=False: a no-op). For a connection with many bursts, keep a Cork instead."""
    cork = Cork.of(transport) if burst else None
    held = cork is not None and cork.hold()
    try:
        yield
    finally:
        if held:
            assert cork is not None
            cork.release()
