"""GET /ws/agent: one agent connection: presence, the queue, and the agent's conversations."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from helpline.bus.base import Frame, Subscription, conversation_topic
from helpline.errors import BusOverflowError, ProtocolError, StoreError
from helpline.service import frames
from helpline.service.handoff import topics, views
from helpline.service.handoff.actions import AgentDesk
from helpline.service.handoff.service import HandoffService
from helpline.service.handoff.wire import AgentFrame, parse_agent_frame
from helpline.settings import Limits
from helpline.store.agents import Agent
from helpline.web.auth import agent_view, request_token, require_agent, session_agent
from helpline.web.keys import AUTH_SETTINGS, CLOCK, DESK, HANDOFF, METRICS, SETTINGS, SOCKETS
from helpline.web.ratelimit import TokenBucket, Verdict

log = logging.getLogger(__name__)

_dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
Handler = Callable[[Frame], Awaitable[None]]
# customer-topic frames an agent needs; the rest (queue.position...) are the customer's
RELAYED = ("message.new", "conversation.status")
SESSION_ENDED = "session_ended"  # error code before the server closes a signed-out console


async def agent_ws(request: web.Request) -> web.WebSocketResponse:
    agent = await require_agent(request)  # 401 before the upgrade
    token = request_token(request)
    assert token is not None  # require_agent found a session for it
    app = request.app
    limits = app[SETTINGS].limits
    ws = web.WebSocketResponse(heartbeat=limits.heartbeat_s, max_msg_size=limits.max_frame_bytes)
    await ws.prepare(request)
    app[SOCKETS].add(ws)
    session = AgentSession(ws, agent, app[HANDOFF], app[DESK], limits, app[CLOCK])
    session.count_error = app[METRICS].error
    watcher = asyncio.create_task(
        _watch_session(ws, lambda: session_agent(app, token), app[AUTH_SETTINGS].session_refresh_s)
    )
    try:
        await session.start()
        await session.run()
    finally:
        watcher.cancel()
        app[SOCKETS].discard(ws)
        await session.stop()
    return ws


async def _watch_session(
    ws: web.WebSocketResponse, signed_in: Callable[[], Awaitable[Agent | None]], every_s: float
) -> None:
    """Close the console once its session has ended (signed out elsewhere, a new password,
    expired); checking also extends the session, as any use does."""
    while not ws.closed:
        await asyncio.sleep(every_s)
        try:
            still = await signed_in()
        except StoreError as exc:
            log.warning("session not checked (%s); next time", exc)
            continue
        if still is None:
            with contextlib.suppress(ConnectionError):
                await ws.send_str(_dumps(frames.error(SESSION_ENDED, "signed out: sign in again")))
            await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"session ended")
            return


class AgentSession:
    """This task reads the socket; one pump task per subscribed topic only sends."""

    def __init__(
        self, ws: web.WebSocketResponse, agent: Agent, service: HandoffService,
        desk: AgentDesk, limits: Limits, clock: Callable[[], float],
    ) -> None:  # fmt: skip
        self.ws, self.agent, self.service, self.desk = ws, agent, service, desk
        self.limits = limits
        self.bucket = TokenBucket(limits, clock)
        # topic -> subscription, its handler, the task pumping it (None until started)
        self.pumps: dict[str, tuple[Subscription, Handler, asyncio.Task[None] | None]] = {}
        self.sent_seq: dict[str, int] = {}  # conversation -> highest message seq sent
        self.connected = False
        self.count_error: Callable[[str], None] = lambda code: None  # the node's /metrics

    async def start(self) -> None:
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
        for topic in (topics.agent(self.agent.id), topics.QUEUE):
            self._start_pump(topic)

    async def stop(self) -> None:
        for topic in list(self.pumps):
            await self._unfollow(topic)
        if self.connected:
            await self.service.disconnected(self.agent)

    async def run(self) -> None:
        while not self.ws.closed:
            msg = await self.ws.receive()
            if msg.type is WSMsgType.TEXT:
                await self.on_text(msg.data)
            elif msg.type is WSMsgType.BINARY:
                await self.send(frames.error(frames.BAD_JSON, "binary frames are not accepted"))
            else:
                return

    async def send(self, frame: Mapping[str, Any]) -> None:
        if frame.get("type") == "error":
            self.count_error(str(frame.get("code")))
        if self.ws.closed:
            return
        with contextlib.suppress(ConnectionError):
            await self.ws.send_str(_dumps(frame))

    async def on_text(self, raw: str) -> None:
        if self.bucket.take() is not Verdict.ALLOW:
            await self.send(frames.error(frames.RATE_LIMITED, "slow down"))
            return
        try:
            frame = parse_agent_frame(raw, self.limits)
            await self.dispatch(frame)
        except ProtocolError as exc:
            await self.send(frames.error(exc.code, exc.message))
        except StoreError as exc:
            log.warning("store failed for agent %s: %s", self.agent.id, exc)
            await self.send(frames.error(frames.UNAVAILABLE, "storage unavailable; resend later"))
        except Exception:
            log.exception("unexpected failure handling a frame of agent %s", self.agent.id)
            await self.send(frames.error(frames.SERVER_ERROR, "something went wrong on our side"))

    async def dispatch(self, frame: AgentFrame) -> None:
        kind, desk, agent = frame.type, self.desk, self.agent
        cid = frame.get("conversation") or ""
        seq: int | None = None
        if kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "presence.set":
            await self.service.set_presence(agent.id, frame["status"])
        elif kind == "conversation.accept":
            await desk.accept(agent, cid)
        elif kind == "message.new":
            seq = await desk.reply(agent, cid, frame["id"], frame["text"])
        elif kind == "note.new":
            await desk.note(agent, cid, frame["id"], frame["text"])
        elif kind in ("typing.start", "typing.stop"):
            await desk.typing(agent, cid, kind)
        elif kind == "canned.search":
            results = desk.canned(cid, frame["query"])
            reply = {"conversation": cid, "query": frame["query"], "results": results}
            await self.send({"type": "canned.results", **reply})
        elif kind == "conversation.transfer":
            await desk.transfer(
                agent, cid, to_agent=frame.get("to_agent"), to_team=frame.get("to_team"),
                note=frame.get("note"),
            )  # fmt: skip
        elif kind == "conversation.release":
            await desk.release(agent, cid)
        elif kind == "conversation.close":
            await desk.close(agent, cid, frame.tags)
        elif kind == "conversation.urgent":
            await desk.mark_urgent(agent, cid, frame.urgent)
        if frame.get("id") is not None:
            ack: dict[str, Any] = {"type": "ack", "id": frame["id"]}
            await self.send(ack if seq is None else {**ack, "seq": seq})

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
        base, store = self.service.base, self.service.store
        conversation = await base.conversation(cid)
        if conversation is None:
            raise ProtocolError(frames.NOT_READY, "conversation no longer exists")
        transcript = await views.transcript(base, store, cid)
        seqs = [m["seq"] for m in transcript if "seq" in m]
        self.sent_seq[cid] = max(seqs, default=0)
        return {
            "type": "conversation.assigned", "conversation": cid,
            "status": conversation.status,
            "customer": await views.customer_view(base, conversation),
            "transcript": transcript,
            "history": await views.history(base, store, conversation),
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
            messages = await views.all_messages(self.service.base, row.conversation_id)
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
                log.warning("agent %s fell behind; closing its socket", self.agent.id)
                await self.ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"fell behind")
                return
            try:
                await handler(frame)
            except (ProtocolError, StoreError) as exc:  # one frame lost, not the feed
                log.warning("agent %s: frame not relayed: %s", self.agent.id, exc)
