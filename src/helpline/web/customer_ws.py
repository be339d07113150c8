"""GET /ws/customer: one customer connection, its limits, and its fan-out listener."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any, cast

from aiohttp import WSCloseCode, web

from helpline.address import normalise_address
from helpline.bus.base import PushSubscription, Subscription, conversation_topic
from helpline.errors import AttributesError, BusOverflowError, ProtocolError
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
    Seen,
    Signal,
)
from helpline.service.handoff import topics, visit
from helpline.service.handoff.actions import AgentDesk
from helpline.settings import Limits
from helpline.web.admission import Admission
from helpline.web.cork import Cork
from helpline.web.keys import ADMISSION, CLOCK, CONVERSATIONS, DESK, SETTINGS
from helpline.web.socket_session import SocketSession, serve

log = logging.getLogger(__name__)


def customer_session(
    request: web.Request, ws: web.WebSocketResponse, address: str
) -> CustomerSession:
    app = request.app
    return CustomerSession(
        ws, app[CONVERSATIONS], app[SETTINGS].limits, app[CLOCK],
        identity_secret=app[SETTINGS].identity_secret, desk=app.get(DESK),
        transport=request.transport,
        admission=app[ADMISSION], address=address,
    )  # fmt: skip


# The route's handler is serve itself: a handler of our own awaiting it would keep one
# more coroutine frame, and a closure for the session, alive as long as each socket.
customer_ws = partial(serve, make=customer_session)


class CustomerSession(SocketSession[ClientFrame]):
    """Reads the socket (this task only). The conversation's frames are sent by a task
    started when the bus brings some, gone once they are sent: an idle socket holds none
    (a bus without push keeps one relay task a socket)."""

    __slots__ = (
        "_cork", "_listener", "_subscription", "address", "admission", "conversation_id", "desk",
        "identity_secret", "sent_seq", "service",
    )  # fmt: skip

    def __init__(
        self,
        ws: web.WebSocketResponse,
        service: ConversationService,
        limits: Limits,
        clock: Callable[[], float],
        identity_secret: str | None = None,  # None: every identity claim is ignored
        desk: AgentDesk | None = None,  # the live-agent side: queue place, agent, rating
        transport: asyncio.BaseTransport | None = None,  # to send bursts of frames at once
        # counts the address's new conversations: raises to refuse one (None: no limit)
        admission: Admission | None = None,
        address: str = "",
    ) -> None:
        super().__init__(ws, limits, clock)
        self.idle_timeout_s = limits.idle_timeout_s
        self.desk = desk
        self._cork = Cork.of(transport)  # its socket, looked up once for every burst
        self.service = service
        self.conversation_id: str | None = None
        self.sent_seq = 0  # highest message seq this socket has shown; the bus may repeat it
        self._subscription: Subscription | None = None
        self._listener: asyncio.Task[None] | None = None
        self.identity_secret = identity_secret
        self.admission, self.address = admission, address

    @property
    def started(self) -> bool:
        return self.conversation_id is not None

    def parse(self, raw: str) -> ClientFrame:
        return frames.parse_client_frame(raw, self.limits)

    def describe(self) -> str:
        return f"conversation {self.conversation_id}"

    async def stop(self) -> None:
        if self.desk is not None and self.conversation_id is not None:
            await self.desk.service.customer_left(self.conversation_id)
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._subscription is not None:
            await self._subscription.close()

    async def dispatch(self, frame: ClientFrame) -> None:
        if isinstance(frame, Hello):
            await self.hello(frame)
            return
        if self.conversation_id is None:
            raise ProtocolError(frames.NOT_READY, "send session.hello first")
        await HANDLERS[type(frame)](self, self.conversation_id, frame)

    # --- what the customer sends after the hello, in its conversation -----------------

    async def _message(self, conversation_id: str, frame: MessageNew) -> None:
        # The ack, the echoed message and the bot's answer leave in one TCP write: each
        # write sent alone costs a trip through the TCP stack (on loopback the reader's as
        # well), and the ack alone, uncorked, was 10% of a turn's samples (py-spy). The
        # relay's bursts during the turn nest inside this hold (they no longer send the
        # ack and the echo on their own: py-spy had the uncorking at 17% of the loop's
        # samples, two sends a turn). The release waits one loop step: the relay sends the
        # answer's burst first (it was published during the turn), then this sends it all.
        # A turn that waits long (a remote custom action) has its first frames sent by the
        # kernel after 200 ms, its cap on a corked segment.
        cork = self._cork
        held = cork is not None and cork.hold()
        try:
            await self.service.post_message(conversation_id, frame, self.send)
        finally:
            if held and cork is not None:
                asyncio.get_running_loop().call_soon(cork.release)

    async def _feedback(self, conversation_id: str, frame: FeedbackNew) -> None:
        await self.service.post_feedback(conversation_id, frame, self.send)

    async def _email(self, conversation_id: str, frame: EmailSubmit) -> None:
        await self.service.submit_email(conversation_id, frame, self.send)

    async def _csat(self, conversation_id: str, frame: CsatSubmit) -> None:
        if self.desk is None:
            raise ProtocolError(frames.BAD_FRAME, "this node takes no ratings")
        duplicate = await self.desk.rate(conversation_id, frame.rating, frame.comment)
        await self.send(frames.csat_ack(frame.id, frame.rating, duplicate))

    async def _seen(self, conversation_id: str, frame: Seen) -> None:
        store, bus = self.service.store, self.service.bus
        await visit.report_seen(store, bus, conversation_id, frame.seq, self.service.clock())

    async def _signal(self, conversation_id: str, frame: Signal) -> None:
        if frame.type == "ping":
            await self.send(PONG)
            return
        # typing: for agents only, never echoed to the customer's other tabs
        typing = {"type": frame.type, "conversation": conversation_id, "sender": "customer"}
        await self.service.bus.publish(topics.staff(conversation_id), typing)

    async def hello(self, hello: Hello) -> None:
        if self.conversation_id is not None:
            raise ProtocolError(frames.BAD_FRAME, "session.hello was already sent")
        identity = _verified(self.identity_secret, hello.identity)
        try:
            admit = None
            if self.admission is not None:  # made now: a callable kept per socket is 0.2 KiB
                admit = partial(self.admission.start_conversation, self.address)
            conversation, resumed = await self.service.start(hello, identity, admit=admit)
        except ProtocolError as exc:
            if exc.code != frames.RATE_LIMITED:
                raise
            # nothing can happen on this socket: close it, so the client retries with back-off
            await self.send(frames.error(exc.code, exc.message))
            await self.ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"too many")
            return
        if hello.page is not None:
            now = self.service.clock()
            await visit.report_page(self.service.store, conversation.id, hello.page, now)
        # Subscribe before reading history: a message stored meanwhile shows up in both,
        # and sent_seq drops the repeat, so nothing falls in between.
        self._subscription = await self.service.bus.subscribe(conversation_topic(conversation.id))
        self.conversation_id = conversation.id
        # last_seq counts in the token's conversation; one found by identity starts at 0
        since = hello.last_seq if resumed and conversation.token == hello.token else 0
        since = min(since, conversation.last_seq)  # a later seq would mute what comes next
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
            self._relay(self._subscription)
            if self.desk is not None:
                told = await self.desk.on_customer_ready(conversation.id, conversation.status)
                for extra in told:
                    await self.send(extra)
        finally:
            if held and cork is not None:
                cork.release()
        if resumed:
            await self.service.answer_pending(conversation.id)

    def _relay(self, subscription: Subscription) -> None:
        """Send what the bus brings from now on (what waits already goes at once)."""
        if not isinstance(subscription, PushSubscription):
            self._listener = asyncio.create_task(self.relay(subscription))
            return
        subscription.notify(self._woken)
        self._woken()

    def _woken(self) -> None:
        """Frames came (or the subscription overflowed): one sending task drains them."""
        if self._listener is None:
            subscription = cast(PushSubscription, self._subscription)  # _relay checked it
            loop = asyncio.get_running_loop()
            self._listener = loop.create_task(self._send_waiting(subscription))

    async def _send_waiting(self, subscription: PushSubscription) -> None:
        """Send every frame waiting, in bursts, then end; frames that come meanwhile are
        sent by this task too (no await between the last empty look and the end)."""
        try:
            while (frame := subscription.get_nowait()) is not None:
                await self._send_burst(frame, subscription.get_nowait)
        except BusOverflowError:
            await self.fell_behind()
        finally:
            self._listener = None

    async def _send_burst(
        self, first: Mapping[str, Any], waiting: Callable[[], Mapping[str, Any] | None] | None
    ) -> None:
        """One frame and those already waiting behind it, corked together."""
        burst = [first]
        while waiting is not None and (more := waiting()) is not None:
            burst.append(more)
        cork = self._cork
        # try/finally, not a context manager: this runs for every frame burst
        held = len(burst) > 1 and cork is not None and cork.hold()
        try:
            for frame in burst:
                if self._fresh(frame):  # a test, not a coroutine a frame (py-spy: 5% of a turn)
                    await self.send(frame)
        finally:
            if held and cork is not None:
                cork.release()

    async def relay(self, subscription: Subscription) -> None:
        """Send what a pull-only bus delivers; never reads the socket."""
        # frames already waiting go out together (a bus without get_nowait: one by one)
        waiting = getattr(subscription, "get_nowait", None)
        try:
            while True:
                await self._send_burst(await subscription.get(), waiting)
        except BusOverflowError:
            await self.fell_behind()

    def _fresh(self, frame: Mapping[str, Any]) -> bool:
        """Whether the frame is still to be sent: a message at or below sent_seq was sent
        from history already (the bus may bring it again)."""
        seq = frame.get("seq")
        if isinstance(seq, int) and frame.get("type") == "message.new":
            if seq <= self.sent_seq:
                return False
            self.sent_seq = seq
        return True


PONG = frames.Wire(type="pong")  # encoded once
# frame type -> what the session does with it (session.hello aside: it starts the session)
HANDLERS: dict[type[ClientFrame], Callable[[CustomerSession, str, Any], Awaitable[None]]] = {
    MessageNew: CustomerSession._message,
    FeedbackNew: CustomerSession._feedback,
    EmailSubmit: CustomerSession._email,
    CsatSubmit: CustomerSession._csat,
    Seen: CustomerSession._seen,
    Signal: CustomerSession._signal,
}

MAX_CUSTOMER_ID_CHARS = 128
MAX_CUSTOMER_NAME_CHARS = 100


def _verified(secret: str | None, claim: Mapping[str, Any] | None) -> Identity | None:
    """The claim as an Identity when its signature is valid; None otherwise, silently: a
    forged or stale identity makes an anonymous customer, never an error."""
    if claim is None:
        return None
    try:
        identity = verify_identity(secret, claim)
    except AttributesError as exc:
        raise ProtocolError(frames.BAD_ATTRIBUTES, exc.message) from None
    if identity is None:
        log.debug("identity claim ignored: not signed with the configured secret")
        return None
    if len(identity.customer_id) > MAX_CUSTOMER_ID_CHARS:
        log.debug("identity claim ignored: customer id longer than %d", MAX_CUSTOMER_ID_CHARS)
        return None
    name = (identity.name or "").strip()[:MAX_CUSTOMER_NAME_CHARS] or None
    # signed, but still an address we must be able to send to
    email = normalise_address(identity.email) if identity.email else None
    return Identity(identity.customer_id, name, email, identity.attributes)
