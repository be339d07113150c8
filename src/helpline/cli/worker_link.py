"""A worker's end of the socket pair its supervisor made: "ready" goes up, EOF comes down.

`helpline serve --workers N` starts each worker with one end of a socket pair
(--supervisor-fd). The worker says `ready` on it once it listens; the supervisor keeps
its end open for as long as it lives, so an end of file means the supervisor is gone
(killed with -9 too, which no signal reports) and the worker stops as on SIGTERM instead
of serving on, orphaned, on a port a new supervisor will share.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable

READY = b"ready\n"


class SupervisorLink:
    def __init__(self, fd: int) -> None:
        self._sock = socket.socket(fileno=fd)
        self._sock.setblocking(False)
        self._loop: asyncio.AbstractEventLoop | None = None

    def ready(self) -> None:
        """Tell the supervisor this worker listens (a few bytes: never blocks)."""
        self._sock.send(READY)

    def watch(self, loop: asyncio.AbstractEventLoop, on_gone: Callable[[], None]) -> None:
        """Call on_gone once the supervisor's end closes."""
        self._loop = loop
        loop.add_reader(self._sock.fileno(), self._readable, on_gone)

    def _readable(self, on_gone: Callable[[], None]) -> None:
        try:
            data = self._sock.recv(64)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the supervisor sends nothing else: anything but EOF is ignored
            self._unwatch()
            on_gone()

    def _unwatch(self) -> None:
        if self._loop is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self._sock.fileno())
            self._loop = None

    def close(self) -> None:
        self._unwatch()
        self._sock.close()
