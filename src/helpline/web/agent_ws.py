"""GET /ws/agent: one agent connection: presence, the queue, and the agent's conversations."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from aiohttp import WSCloseCode, web

from helpline.bus.base import Frame, Subscription, conversation_topic
from helpline.errors import BusOverflowError, ProtocolError, StoreError
from helpline.service import frames
from helpline.service.agent_frames import (
    Accept,
    AgentFrame,
    CannedSearch,
    Close,
    NoteNew,
    Ping,
    PresenceSet,
    Release,
    Reply,
    Transfer,
    TransferOptions,
    Typing,
    Urgent,
    parse_agent_frame,
)
from helpline.service.alert import frames as alert_frames
from helpline.service.handoff import topics, views
from helpline.service.handoff.actions import AgentDesk
from helpline.service.handoff.service import HandoffService
from helpline.service.handoff.transfer_options import transfer_options
from helpline.service.sla.watch import BREACHED
from helpline.settings import Limits
from helpline.store.agents import Agent
from helpline.web.alerts import alert_snapshot
from helpline.web.auth import agent_view, request_token, require_agent, session_agent
from helpline.web.keys import AUTH_SETTINGS, CLOCK, DESK, HANDOFF, INCIDENTS, SETTINGS
from helpline.web.socket_session import SocketSession, serve

log = logging.getLogger(__name__)

Handler = Callable[[Frame], Awaitable[None]]
# customer-topic frames an agent needs; the rest (queue.position...) are the customer's
RELAYED = ("message.new", "conversation.status")
SESSION_ENDED = "session_ended"  # error code before the server closes a signed-out console


async def agent_ws(request: web.Request) -> web.StreamResponse:
    agent = await require_agent(request)  # 401 before the upgrade
    token = request_token(request)
    assert token is not None  # require_agent found a session for it
    app = request.app

    def session(_: web.Request, ws: web.WebSocketResponse, address: str) -> AgentSession:
        return AgentSession(
            ws, agent, app[HANDOFF], app[DESK], app[SETTINGS].limits, app[CLOCK],
            signed_in=lambda: session_agent(app, token),
            refresh_s=app[AUTH_SETTINGS].session_refresh_s,
            alerts=partial(alert_snapshot, app) if INCIDENTS in app else None,
        )  # fmt: skip

    return await serve(request, session)


class AgentSession(SocketSession[AgentFrame]):
    """This task reads the socket; one pump task per subscribed topic only sends, and a
    watcher closes the socket once the agent's sign-in has ended."""

    def __init__(
        self, ws: web.WebSocketResponse, agent: Agent, service: HandoffService,
        desk: AgentDesk, limits: Limits, clock: Callable[[], float], *,
        signed_in: Callable[[], Awaitable[Agent | None]], refresh_s: float,
        alerts: Callable[[], Awaitable[Frame]] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(ws, limits, clock)
        self.agent, self.service, self.desk = agent, service, desk
        # topic -> subscription, its handler, the task pumping it (None until started)
        self.pumps: dict[str, tuple[Subscription, Handler, asyncio.Task[None] | None]] = {}
        self.sent_seq: dict[str, int] = {}  # conversation -> highest message seq sent
        self.connected = False
        self._signed_in, self._refresh_s = signed_in, refresh_s
        self._watcher: asyncio.Task[None] | None = None
        self._alerts = alerts  # what stands now: spike alerts and incident notices

    def parse(self, raw: str) -> AgentFrame:
        return parse_agent_frame(raw, self.limits)

    def describe(self) -> str:
        return f"agent {self.agent.id}"

    async def start(self) -> None:
        self._watcher = asyncio.create_task(self._watch_session())
        await self._follow(topics.agent(self.agent.id), self._on_agent_frame, start=False)
        await self._follow(topics.QUEUE, self._on_queue_frame, start=False)
        pending = self.service.board.offers_to(self.agent.id)  # made before this socket
        await self.service.connected(self.agent)
        self.connected = True
        presence = self.service.board.presence.get(self.agent.id, "online")
        await self.send(
            {"type": "agent.ready", "agent": agent_view(self.agent), "presence": presence}
        )
        await self.send_queue()
        for row in self.service.board.mine(self.agent.id):
            await self.open(row.conversation_id)
        await self.send_mine()
        timeout = self.service.settings.accept_timeout_s
        for row in pending:
            waited = self.service.clock() - (row.offered_at or 0.0)
            entry = self.service.entry_view(row)
            await self.send(topics.offered(row, max(timeout - waited, 0.0), entry))
        await self._send_alerts()
        for topic in (topics.agent(self.agent.id), topics.QUEUE, alert_frames.TOPIC):
            if topic in self.pumps:
                self._start_pump(topic)

    async def _send_alerts(self) -> None:
        """Follow the alerts, then send what stands (one raised in between comes twice;
        the console keeps each alert once, by id)."""
        if self._alerts is None:
            return
        await self._follow(alert_frames.TOPIC, self.send, start=False)
        try:
            await self.send(await self._alerts())
        except StoreError as exc:  # the live ones still come; the standing ones on reconnect
            log.warning("agent %s: standing alerts not sent: %s", self.agent.id, exc)

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
        for topic in list(self.pumps):
            await self._unfollow(topic)
        if self.connected:
            await self.service.disconnected(self.agent)

    async def _watch_session(self) -> None:
        """Close the console once its session has ended (signed out elsewhere, a new
        password, expired); checking also extends the session, as any use does."""
        while not self.ws.closed:
            await asyncio.sleep(self._refresh_s)
            try:
                still = await self._signed_in()
            except StoreError as exc:
                log.warning("session not checked (%s); next time", exc)
                continue
            if still is None:
                await self.send(frames.error(SESSION_ENDED, "signed out: sign in again"))
                await self.ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"session ended")
                return

    async def dispatch(self, frame: AgentFrame) -> None:
        seq = await HANDLERS[type(frame)](self, frame)
        if frame.id is not None:
            ack: dict[str, Any] = {"type": "ack", "id": frame.id}
            await self.send(ack if seq is None else {**ack, "seq": seq})

    # --- what the agent sends: each returns the seq of a stored message, if any -------

    async def _ping(self, frame: Ping) -> None:
        await self.send(PONG)

    async def _presence(self, frame: PresenceSet) -> None:
        await self.service.set_presence(self.agent.id, frame.status)

    async def _accept(self, frame: Accept) -> None:
        await self.desk.accept(self.agent, frame.conversation)

    async def _reply(self, frame: Reply) -> int:
        return await self.desk.reply(
            self.agent, frame.conversation, frame.id, frame.text, attachment=frame.attachment
        )

    async def _note(self, frame: NoteNew) -> None:
        await self.desk.note(self.agent, frame.conversation, frame.id, frame.text)

    async def _typing(self, frame: Typing) -> None:
        await self.desk.typing(self.agent, frame.conversation, frame.kind)

    async def _canned(self, frame: CannedSearch) -> None:
        cid, query = frame.conversation, frame.query
        results = await self.desk.canned(self.agent, cid, query)
        await self.send(
            {"type": "canned.results", "conversation": cid, "query": query, "results": results}
        )

    async def _transfer(self, frame: Transfer) -> None:
        await self.desk.transfer(
            self.agent, frame.conversation, to_agent=frame.to_agent, to_team=frame.to_team,
            note=frame.note,
        )  # fmt: skip

    async def _transfer_options(self, frame: TransferOptions) -> None:
        fallback = self.service.settings.fallback_team
        await self.send(transfer_options(self.service.board, fallback, self.agent.id))

    async def _release(self, frame: Release) -> None:
        await self.desk.release(self.agent, frame.conversation)

    async def _close(self, frame: Close) -> None:
        await self.desk.close(self.agent, frame.conversation, frame.tags)

    async def _urgent(self, frame: Urgent) -> None:
        await self.desk.mark_urgent(self.agent, frame.conversation, frame.urgent)

    # --- what the bus brings ----------------------------------------------------------

    async def _on_agent_frame(self, frame: Frame) -> None:
        kind, cid = frame.get("type"), str(frame.get("conversation", ""))
        if kind == topics.ASSIGNED:
            await self.open(cid)
            await self.send_mine()
            return
        if kind == "conversation.released":
            await self._unfollow(conversation_topic(cid))
            await self._unfollow(topics.staff(cid))
            self.sent_seq.pop(cid, None)
            await self.send(frame)
            await self.send_mine()
            return
        await self.send(frame)

    async def _on_queue_frame(self, frame: Frame) -> None:
        if frame.get("type") == BREACHED:  # an SLA alert: for the ticket's team, supervisors
            if self.agent.is_supervisor or frame.get("team") in self.agent.teams:
                await self.send(frame)
            return
        await self.send_queue()

    async def open(self, cid: str) -> None:
        """Follow a conversation now mine, then send all of it (what the follow brings
        meanwhile is dropped by seq, so nothing falls in between or comes twice)."""
        if conversation_topic(cid) in self.pumps:
            return
        await self._follow(conversation_topic(cid), partial(self._on_customer_frame, cid))
        await self.send(await self.assigned_view(cid))
        await self._follow(topics.staff(cid), self.send)

    async def assigned_view(self, cid: str) -> dict[str, Any]:
        conversations, store = self.service.conversations, self.service.store
        conversation = await conversations.conversation(cid)
        if conversation is None:
            raise ProtocolError(frames.NOT_READY, "conversation no longer exists")
        transcript = await views.transcript(conversations, store, cid)
        seqs = [m["seq"] for m in transcript if "seq" in m]
        self.sent_seq[cid] = max(seqs, default=0)
        seen = await views.visit(conversations, cid)
        return {
            "type": "conversation.assigned", "conversation": cid,
            "status": conversation.status,
            "customer": await views.customer_view(conversations, conversation, seen),
            "transcript": transcript, "seen_seq": seen.seen_seq,
            "history": await views.history(conversations, store, conversation),
        }  # fmt: skip

    async def _on_customer_frame(self, cid: str, frame: Frame) -> None:
        if frame.get("type") not in RELAYED:
            return
        seq = frame.get("seq")
        if isinstance(seq, int):
            if seq <= self.sent_seq.get(cid, 0):
                return
            self.sent_seq[cid] = seq
        await self.send({**frame, "conversation": cid})

    async def send_queue(self) -> None:
        entries, total = self.service.queue_view(self.agent)
        await self.send({"type": "queue.snapshot", "entries": entries, "total": total})

    async def send_mine(self) -> None:
        mine = []
        for row in self.service.board.mine(self.agent.id):
            messages = await views.all_messages(self.service.conversations, row.conversation_id)
            info = self.service.board.info.get(row.conversation_id)
            mine.append({
                "conversation": row.conversation_id, "status": "assigned",
                "customer_name": info.customer_name if info else None,
                "unread": views.unread(messages),
                "last_at": messages[-1].created_at if messages else None,
            })  # fmt: skip
        await self.send({"type": "mine.snapshot", "conversations": mine})

    # --- subscriptions ----------------------------------------------------------------

    async def _follow(self, topic: str, handler: Handler, *, start: bool = True) -> None:
        """Subscribe now; frames wait in the subscription until the pump starts."""
        self.pumps[topic] = (await self.service.bus.subscribe(topic), handler, None)
        if start:
            self._start_pump(topic)

    def _start_pump(self, topic: str) -> None:
        subscription, handler, _ = self.pumps[topic]
        task = asyncio.create_task(self._pump(subscription, handler))
        self.pumps[topic] = (subscription, handler, task)

    async def _unfollow(self, topic: str) -> None:
        found = self.pumps.pop(topic, None)
        if found is None:
            return
        subscription, _, task = found
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await subscription.close()

    async def _pump(self, subscription: Subscription, handler: Handler) -> None:
        while True:
            try:
                frame = await subscription.get()
            except BusOverflowError:
                await self.fell_behind()
                return
            try:
                await handler(frame)
            except (ProtocolError, StoreError) as exc:  # one frame lost, not the feed
                log.warning("agent %s: frame not relayed: %s", self.agent.id, exc)


PONG = frames.Wire(type="pong")  # encoded once
# frame type -> what the session does with it: the one place a new agent frame is wired
HANDLERS: dict[type[AgentFrame], Callable[[AgentSession, Any], Awaitable[int | None]]] = {
    Ping: AgentSession._ping,
    PresenceSet: AgentSession._presence,
    Accept: AgentSession._accept,
    Reply: AgentSession._reply,
    NoteNew: AgentSession._note,
    Typing: AgentSession._typing,
    CannedSearch: AgentSession._canned,
    Transfer: AgentSession._transfer,
    TransferOptions: AgentSession._transfer_options,
    Release: AgentSession._release,
    Close: AgentSession._close,
    Urgent: AgentSession._urgent,
}
