"""GET /ws/customer: one customer connection, its limits, and its fan-out listener."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from helpline.address import normalise_address
from helpline.bus.base import Subscription, conversation_topic
from helpline.errors import BusOverflowError, ProtocolError, StoreError
from helpline.identity import Identity, verify_identity
from helpline.service import frames
from helpline.service.conversation import ConversationService
from helpline.service.frames import (
    ClientFrame,
    CsatSubmit,
    EmailSubmit,
    FeedbackNew,
    Hello,
    MessageNew,
)
from helpline.service.handoff import topics
from helpline.service.handoff.actions import AgentDesk
from helpline.settings import Limits
from helpline.web.cork import Cork
from helpline.web.keys import CLOCK, CONVERSATIONS, DESK, METRICS, SETTINGS, SOCKETS
from helpline.web.ratelimit import TokenBucket, Verdict

log = logging.getLogger(__name__)


async def customer_ws(request: web.Request) -> web.WebSocketResponse:
    app = request.app
    limits = app[SETTINGS].limits
    ws = web.WebSocketResponse(heartbeat=limits.heartbeat_s, max_msg_size=limits.max_frame_bytes)
    await ws.prepare(request)
    app[SOCKETS].add(ws)
    secret = app[SETTINGS].identity_secret
    session = CustomerSession(
        ws,
        app[CONVERSATIONS],
        limits,
        app[CLOCK],
        identity_secret=secret,
        desk=app.get(DESK),
        transport=request.transport,
    )
    session.count_error = app[METRICS].error
    try:
        await session.run()
    finally:
        app[SOCKETS].discard(ws)
        await session.stop()
    return ws


class CustomerSession:
    """Reads the socket (this task only); a second task relays the conversation's frames."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        service: ConversationService,
        limits: Limits,
        clock: Callable[[], float],
        identity_secret: str | None = None,  # None: every identity claim is ignored
        desk: AgentDesk | None = None,  # the live-agent side: queue place, agent, rating
        transport: asyncio.BaseTransport | None = None,  # to send bursts of frames at once
    ) -> None:
        self.desk = desk
        self.transport = transport
        self._cork = Cork.of(transport)  # its socket, looked up once for every burst
        self.ws = ws
        self.service = service
        self.limits = limits
        self.bucket = TokenBucket(limits, clock)
        self.conversation_id: str | None = None
        self.sent_seq = 0  # highest message seq this socket has shown; the bus may repeat it
        self._subscription: Subscription | None = None
        self._listener: asyncio.Task[None] | None = None
        self.identity_secret = identity_secret
        self.count_error: Callable[[str], None] = lambda code: None  # the node's /metrics

    async def run(self) -> None:
        while not self.ws.closed:
            try:
                # asyncio.timeout, not receive(timeout=): heartbeat pongs must not count as activity
                async with asyncio.timeout(self.limits.idle_timeout_s):
                    msg = await self.ws.receive()
            except TimeoutError:
                await self.send(frames.error(frames.IDLE, "no activity; closing"))
                await self.ws.close(code=WSCloseCode.GOING_AWAY, message=b"idle")
                return
            if msg.type is WSMsgType.TEXT:
                await self.on_text(msg.data)
            elif msg.type is WSMsgType.BINARY:
                await self.on_text(None)
            else:  # close, closing, error (e.g. a frame over the size limit: 1009)
                return

    async def stop(self) -> None:
        if self.desk is not None and self.conversation_id is not None:
            await self.desk.service.customer_left(self.conversation_id)
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._subscription is not None:
            await self._subscription.close()

    async def send(self, frame: Mapping[str, Any]) -> None:
        if frame.get("type") == "error":
            self.count_error(str(frame.get("code")))
        if self.ws.closed:
            return  # stored anyway; the client catches up with last_seq on reconnect
        with contextlib.suppress(ConnectionError):
            await self.ws.send_str(frames.encode(frame))

    async def on_text(self, raw: str | None) -> None:
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
            await self.dispatch(frames.parse_client_frame(raw, self.limits))
        except ProtocolError as exc:
            await self.send(frames.error(exc.code, exc.message))
        except StoreError as exc:
            log.warning("store failed for %s: %s", self.conversation_id, exc)
            await self.send(frames.error(frames.UNAVAILABLE, "storage unavailable; resend later"))
        except Exception:
            log.exception("unexpected failure handling a frame of %s", self.conversation_id)
            await self.send(frames.error(frames.SERVER_ERROR, "something went wrong on our side"))

    async def dispatch(self, frame: ClientFrame) -> None:
        if isinstance(frame, Hello):
            await self.hello(frame)
            return
        conversation_id = self.conversation_id
        if conversation_id is None:
            raise ProtocolError(frames.NOT_READY, "send session.hello first")
        if isinstance(frame, MessageNew):
            await self.service.post_message(conversation_id, frame, self.send)
        elif isinstance(frame, FeedbackNew):
            await self.service.post_feedback(conversation_id, frame, self.send)
        elif isinstance(frame, EmailSubmit):
            await self.service.submit_email(conversation_id, frame, self.send)
        elif isinstance(frame, CsatSubmit):
            if self.desk is None:
                raise ProtocolError(frames.BAD_FRAME, "this node takes no ratings")
            duplicate = await self.desk.rate(conversation_id, frame.rating, frame.comment)
            await self.send(frames.csat_ack(frame.id, frame.rating, duplicate))
        elif frame.type == "ping":
            await self.send({"type": "pong"})
        else:  # typing: for agents only, never echoed to the customer's other tabs
            typing = {"type": frame.type, "conversation": conversation_id, "sender": "customer"}
            await self.service.bus.publish(topics.staff(conversation_id), typing)

    async def hello(self, hello: Hello) -> None:
        if self.conversation_id is not None:
            raise ProtocolError(frames.BAD_FRAME, "session.hello was already sent")
        identity = _verified(self.identity_secret, hello.identity)
        conversation, resumed = await self.service.start(hello, identity)
        # Subscribe before reading history: a message stored meanwhile shows up in both,
        # and sent_seq drops the repeat, so nothing falls in between.
        self._subscription = await self.service.bus.subscribe(conversation_topic(conversation.id))
        self.conversation_id = conversation.id
        # last_seq counts in the token's conversation; one found by identity starts at 0
        since = hello.last_seq if resumed and conversation.token == hello.token else 0
        self.sent_seq = since
        missed = await self.service.history(conversation.id, since)
        cork = self._cork
        held = cork is not None and cork.hold()
        try:  # ready, what was missed and the queue place: one burst
            can_email = self.desk is not None and self.desk.service.can_email
            ready = frames.ready(
                conversation.id, conversation.token, resumed, conversation.status,
                conversation.last_seq, can_email,
            )  # fmt: skip
            await self.send(ready)
            for message in missed:
                await self.send(frames.message(message))
                self.sent_seq = message.seq
            self._listener = asyncio.create_task(self.relay(self._subscription))
            if self.desk is not None:
                told = await self.desk.on_customer_ready(conversation.id, conversation.status)
                for extra in told:
                    await self.send(extra)
        finally:
            if held and cork is not None:
                cork.release()
        if resumed:
            await self.service.answer_pending(conversation.id)

    async def relay(self, subscription: Subscription) -> None:
        """Send what the bus delivers; never reads the socket."""
        # frames already waiting go out together (MemorySubscription can say; a bus
        # without get_nowait delivers one by one)
        waiting = getattr(subscription, "get_nowait", None)
        cork = self._cork
        try:
            while True:
                burst = [await subscription.get()]
                while waiting is not None and (more := waiting()) is not None:
                    burst.append(more)
                # try/finally, not a context manager: this runs for every frame burst
                held = len(burst) > 1 and cork is not None and cork.hold()
                try:
                    for frame in burst:
                        await self.relay_one(frame)
                finally:
                    if held and cork is not None:
                        cork.release()
        except BusOverflowError:
            log.warning("socket of %s fell behind; closing it to resume", self.conversation_id)
            await self.ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"fell behind")

    async def relay_one(self, frame: Mapping[str, Any]) -> None:
        seq = frame.get("seq")
        if frame.get("type") == "message.new" and isinstance(seq, int):
            if seq <= self.sent_seq:
                return  # already sent from history
            self.sent_seq = seq
        await self.send(frame)


MAX_CUSTOMER_ID_CHARS = 128
MAX_CUSTOMER_NAME_CHARS = 100


def _verified(secret: str | None, claim: Mapping[str, Any] | None) -> Identity | None:
    """The claim as an Identity when its signature is valid; None otherwise, silently: a
    forged or stale identity makes an anonymous customer, never an error."""
    if claim is None:
        return None
    identity = verify_identity(secret, claim)
    if identity is None:
        log.debug("identity claim ignored: not signed with the configured secret")
        return None
    if len(identity.customer_id) > MAX_CUSTOMER_ID_CHARS:
        log.debug("identity claim ignored: customer id longer than %d", MAX_CUSTOMER_ID_CHARS)
        return None
    name = (identity.name or "").strip()[:MAX_CUSTOMER_NAME_CHARS] or None
    # signed, but still an address we must be able to send to
    email = normalise_address(identity.email) if identity.email else None
    return Identity(identity.customer_id, name, email)
