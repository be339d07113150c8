"""The node's open sockets and one sweep over them: read deadlines and heartbeats."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Protocol

from aiohttp import web

from helpline.settings import Limits

log = logging.getLogger(__name__)

# The sweep runs a few times within the shortest time limit, so a deadline is met at most
# a quarter of it late, and at most once a second (10,000 idle sockets: about 3 ms a sweep).
SWEEPS_PER_LIMIT = 4
MAX_TICK_S = 1.0
MIN_TICK_S = 0.01


class Watched(Protocol):
    """What the sweep reads of a session (web/socket_session.py's SocketSession)."""

    ws: web.WebSocketResponse
    read_by: float  # loop time the waiting read ends; math.inf while none waits
    heard_at: float  # loop time any frame last came, pongs included
    pinged_at: float  # loop time of a ping not answered yet; 0.0: none

    def expire(self, *, dead: bool = False) -> None: ...


class SocketWatch:
    """Every open socket's session, and one task that wakes every `tick_s` to end the
    reads past their deadline and ping the peers that went quiet.

    A timer per socket (asyncio.timeout around each read, aiohttp's heartbeat: two timer
    handles and a dozen attributes on the WebSocketResponse) was about 1.5 KiB of each idle
    socket (bench/idle_sockets.py); a session here holds three floats instead. Heartbeats
    keep aiohttp's rule: a peer heard from nothing for `heartbeat_s` is pinged, and one
    that has not answered `heartbeat_s / 2` later is dropped.
    """

    def __init__(self, limits: Limits) -> None:
        self.heartbeat_s = limits.heartbeat_s
        shortest = min(limits.hello_timeout_s, limits.idle_timeout_s, limits.heartbeat_s / 2)
        self.tick_s = min(max(shortest / SWEEPS_PER_LIMIT, MIN_TICK_S), MAX_TICK_S)
        self._sessions: set[Watched] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._pings: set[asyncio.Task[None]] = set()  # in flight; the loop keeps weak refs

    def __len__(self) -> int:
        return len(self._sessions)

    def sockets(self) -> Iterator[web.WebSocketResponse]:
        return (session.ws for session in self._sessions)

    def add(self, session: Watched) -> None:
        """Watch a session until discard(); the sweep starts with the first one."""
        self._sessions.add(session)
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    def discard(self, session: Watched) -> None:
        self._sessions.discard(session)

    async def stop(self) -> None:
        sweeper, self._sweeper = self._sweeper, None
        for task in (sweeper, *self._pings):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _sweep_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.tick_s)
            self.sweep(loop.time())

    def sweep(self, now: float) -> None:
        """One pass over the sessions at loop time `now` (nothing here awaits, so none is
        added or removed meanwhile: a session leaves the set from its own task)."""
        heartbeat_s, answer_s = self.heartbeat_s, self.heartbeat_s / 2
        for session in self._sessions:
            if session.read_by <= now:
                session.expire()
            elif session.pinged_at:
                if now - session.pinged_at >= answer_s:
                    session.expire(dead=True)
            elif now - session.heard_at >= heartbeat_s:
                session.pinged_at = now
                self._ping(session.ws)

    def _ping(self, ws: web.WebSocketResponse) -> None:
        # a task, not an await: a peer that reads nothing must not hold up the sweep
        task = asyncio.get_running_loop().create_task(ws.ping())
        self._pings.add(task)
        task.add_done_callback(self._pinged)

    def _pinged(self, task: asyncio.Task[None]) -> None:
        self._pings.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # the peer is gone already: its read ends by itself, or the missing pong ends it
            log.debug("ping not sent: %s", task.exception())
