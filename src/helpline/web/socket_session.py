"""What both websockets share: set-up, the read loop and its time limits, the frame rate,
parsing, encoding, and which failure becomes which error frame."""

from __future__ import annotations

import asyncio
import logging
import math
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from aiohttp import WSCloseCode, WSMessage, WSMsgType, web

from helpline.errors import BusUnavailableError, ProtocolError, StoreError
from helpline.service import frames
from helpline.settings import Limits
from helpline.web.admission import address_of
from helpline.web.keys import ADMISSION, METRICS, SETTINGS, SOCKETS, TRUSTED_PROXIES
from helpline.web.metrics import NodeMetrics
from helpline.web.ratelimit import TokenBucket, Verdict

log = logging.getLogger(__name__)

F = TypeVar("F")


class SocketSession(ABC, Generic[F]):
    """One connection. Only this task reads the socket (its pub/sub listeners only send).

    A subclass parses a text frame into its own frame type F and dispatches it; this class
    reads, limits the rate, and turns every failure into the error frame the protocol
    names: the socket stays open unless the peer is abusive or the session cannot start.
    """

    # One per open socket, alive as long as it is: slots, not a __dict__, keep an idle one
    # small (bench/idle_sockets.py). A subclass without __slots__ gets a __dict__ back.
    __slots__ = (
        "_ended_by", "_reader", "_start_by", "bucket", "heard_at", "idle_timeout_s",
        "limits", "metrics", "pinged_at", "read_by", "transport", "ws",
    )  # fmt: skip

    def __init__(
        self, ws: web.WebSocketResponse, limits: Limits, clock: Callable[[], float]
    ) -> None:
        self.ws = ws
        self.limits = limits
        self.bucket = TokenBucket(limits, clock)
        now = asyncio.get_running_loop().time()  # the event loop's clock, as the watch's
        # the deadline of the first frame that starts the session
        self._start_by = now + limits.hello_timeout_s
        # no frame for this long once the session started: error `idle`, close 1001
        # (None: never; heartbeat pings still drop a peer that is gone)
        self.idle_timeout_s: float | None = None
        # the node's /metrics, which count error frames (kept, not its bound method: 64
        # bytes less a socket)
        self.metrics: NodeMetrics | None = None
        # What the node's SocketWatch reads on each sweep: when the read now waiting ends
        # (NEVER while none waits), when any frame last came (pongs too: the heartbeat),
        # when a ping not yet answered went out (0.0: none).
        self.read_by = NEVER
        self.heard_at = now
        self.pinged_at = 0.0
        self._reader: asyncio.Task[Any] | None = None  # the task in serve(), the only reader
        self._ended_by: str | None = None  # why the watch ended the read: DEADLINE or DEAD
        self.transport: asyncio.Transport | None = None  # to drop a dead peer at once

    @property
    def started(self) -> bool:
        """Whether the session is set up (a customer's hello; an agent is at the upgrade)."""
        return True

    @abstractmethod
    def parse(self, raw: str) -> F:
        """The frame as a value; ProtocolError says what is wrong with it."""

    @abstractmethod
    async def dispatch(self, frame: F) -> None: ...

    @abstractmethod
    def describe(self) -> str:
        """Who is at the other end, for the log (never personal data)."""

    async def start(self) -> None:
        """Set-up before the first frame is read."""

    async def stop(self) -> None:
        """Clean-up once the socket has closed."""

    # The read loop is serve()'s own: a coroutine of the session's awaiting each read would
    # be one more frame kept by every open socket (bench/idle_sockets.py). These are its
    # steps. The node's SocketWatch ends a read past its deadline by cancelling it, as
    # asyncio.timeout would, without a timer per socket.

    def reading(self, quiet_since: float) -> None:
        """A read starts in the current task (the only reader): its deadline for the watch."""
        if self._reader is None:
            self._reader = asyncio.current_task()
        self.read_by = self._deadline(quiet_since)

    async def interrupted(self) -> bool:
        """The read was cancelled: True when the watch did it (handled here: the session
        ends), False when something else did (the node is stopping: re-raise)."""
        self.read_by = NEVER
        reader = self._reader
        assert reader is not None
        if self._ended_by is None or reader.uncancel() > 0:
            return False
        await self._ended_by_watch()
        return True

    async def heard(self, msg: WSMessage, now: float) -> object | None:
        """A read ended with msg at loop time now: _FRAME, _CONTROL or None (as _on_message)."""
        self.read_by = NEVER
        self.heard_at = now
        self.pinged_at = 0.0
        return await self._on_message(msg)

    async def _on_message(self, msg: WSMessage) -> object | None:
        """Handle one message; _FRAME for a frame of the protocol, _CONTROL for a ping or
        a pong (the idle clock goes on), None once the socket is closing."""
        kind = msg.type
        if kind is WSMsgType.TEXT:
            await self.on_text(msg.data)
        elif kind is WSMsgType.BINARY:
            await self.on_text(None)
        elif kind is WSMsgType.PING:  # autoping is off: pongs must reach the read loop
            await self.ws.pong(msg.data)
            return _CONTROL
        elif kind is WSMsgType.PONG:
            return _CONTROL
        else:  # close, closing, error (e.g. a frame over the size limit: 1009)
            return None
        return _FRAME

    def expire(self, *, dead: bool = False) -> None:
        """The watch's verdict: the waiting read is past its deadline, or (dead) the peer
        did not answer a ping. Only a waiting read is ended, never a frame being handled:
        the next sweep finds a dead peer again once this task reads."""
        if self.read_by == NEVER or self._ended_by is not None or self._reader is None:
            return
        self._ended_by = DEAD if dead else DEADLINE
        self._reader.cancel()

    async def _ended_by_watch(self) -> None:
        why, self._ended_by = self._ended_by, None
        if why != DEAD:
            await self._timed_out()
            return
        log.debug("no pong from %s; dropping it", self.describe())
        if self.transport is not None:
            self.transport.abort()  # gone: nothing to flush, no close handshake to wait for
        else:
            await self.ws.close(code=WSCloseCode.ABNORMAL_CLOSURE, message=b"no pong")

    def _deadline(self, quiet_since: float) -> float:
        if not self.started:  # counted from the upgrade: frames before the hello do not extend it
            return self._start_by
        if self.idle_timeout_s is None:
            return NEVER
        return quiet_since + self.idle_timeout_s

    async def _timed_out(self) -> None:
        if self.started:
            await self.send(frames.error(frames.IDLE, "no activity; closing"))
            await self.ws.close(code=WSCloseCode.GOING_AWAY, message=b"idle")
            return
        limit = f"{self.limits.hello_timeout_s:g} s"
        await self.send(frames.error(frames.HELLO_TIMEOUT, f"no session.hello within {limit}"))
        await self.ws.close(code=WSCloseCode.GOING_AWAY, message=b"no hello")

    async def send(self, frame: Mapping[str, Any]) -> None:
        if self.metrics is not None and frame.get("type") == "error":
            self.metrics.error(str(frame.get("code")))
        ws = self.ws
        if ws.closed:
            return  # stored anyway; the client catches up with last_seq on reconnect
        # try/except, not contextlib.suppress: this runs for every frame sent
        try:
            await ws.send_str(frames.encode(frame))
        except ConnectionError:
            return  # the peer is gone: its read loop ends by itself

    async def on_text(self, raw: str | None) -> None:
        """One frame from the client (None: a binary frame), within the frame rate."""
        verdict = self.bucket.take()
        if verdict is Verdict.FLOOD:
            await self.send(frames.error(frames.FLOOD, "too many frames; closing"))
            await self.ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"flood")
            return
        if verdict is Verdict.LIMITED:
            limit = f"{self.limits.rate_per_s:g} frames a second"
            await self.send(frames.error(frames.RATE_LIMITED, f"slow down: at most {limit}"))
            return
        try:
            if raw is None:
                raise ProtocolError(frames.BAD_JSON, "binary frames are not accepted")
            await self.dispatch(self.parse(raw))
        except ProtocolError as exc:
            await self.send(frames.error(exc.code, exc.message))
        except StoreError as exc:
            log.warning("store failed for %s: %s", self.describe(), exc)
            await self.unavailable("storage unavailable; resend later")
        except BusUnavailableError as exc:
            log.warning("bus failed for %s: %s", self.describe(), exc)
            await self.unavailable("chat service unavailable; resend later")
        except Exception:
            log.exception("unexpected failure handling a frame of %s", self.describe())
            await self.send(frames.error(frames.SERVER_ERROR, "something went wrong on our side"))

    async def unavailable(self, message: str) -> None:
        """A backend is down: the client may resend the same frame later. A session that
        could not even start is closed with 1013, so the client reconnects with back-off
        instead of waiting on a socket that can do nothing."""
        await self.send(frames.error(frames.UNAVAILABLE, message))
        if not self.started:
            await self.ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"unavailable")

    async def fell_behind(self) -> None:
        """The bus dropped frames for this socket: close it; the client resumes from the store."""
        log.warning("socket of %s fell behind; closing it to resume", self.describe())
        await self.ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"fell behind")


async def serve(request: web.Request, make: SessionFactory) -> web.StreamResponse:
    """Upgrade the request and run the session `make` builds for it until the socket closes;
    or, when the client's address has its fill of sockets or the node is short of
    descriptors, answer 429 / 503 without upgrading (the client backs off and retries)."""
    app = request.app
    # interned: the sockets of one address share the string their sessions keep
    address = sys.intern(address_of(request, app[TRUSTED_PROXIES]))
    admission = app[ADMISSION]
    refusal = admission.refuse_socket(address)
    if refusal is not None:
        log.debug("socket refused (%s) for %s", refusal.code, address)  # an attacker's flood
        return refusal.response()
    limits = app[SETTINGS].limits
    watch = app[SOCKETS]
    # try/finally, not admission's context manager: its generator would stay alive for the
    # socket's lifetime, as would a second frame here (bench/idle_sockets.py)
    admission.socket_opened(address)
    try:
        # no aiohttp heartbeat (a timer and a dozen attributes per socket): the watch pings
        ws = web.WebSocketResponse(autoping=False, max_msg_size=limits.max_frame_bytes)
        await ws.prepare(request)
        # sent: the handshake's response headers (security headers included) are kept by
        # the response for as long as the socket is open, and nothing reads them again
        ws.headers.clear()
        session = make(request, ws, address)
        session.transport = request.transport
        if METRICS in app:
            session.metrics = app[METRICS]
        watch.add(session)  # its deadlines and heartbeat; closed with 1001 on shutdown
        try:
            await session.start()
            # the read loop, here and not in a coroutine of its own (see SocketSession.reading)
            clock = asyncio.get_running_loop().time
            quiet_since = clock()  # heartbeat pings and pongs do not restart the idle clock
            while not ws.closed:
                session.reading(quiet_since)
                try:
                    msg = await ws.receive()
                except asyncio.CancelledError:
                    if await session.interrupted():
                        break
                    raise  # not the watch's doing (the node is stopping)
                kind = await session.heard(msg, clock())
                del msg  # not kept while the next read waits (a hello's text, for hours)
                if kind is None:
                    break
                if kind is _FRAME:
                    quiet_since = clock()
        finally:
            watch.discard(session)
            await session.stop()
    finally:
        admission.socket_closed(address)
    return ws


NEVER = math.inf  # a read with no deadline
_FRAME, _CONTROL = object(), object()  # what _on_message handled
DEADLINE, DEAD = "deadline", "dead"  # why the watch ended a read
# builds a connection's session once upgraded: (request, its websocket, client address)
SessionFactory = Callable[[web.Request, web.WebSocketResponse, str], SocketSession[Any]]
