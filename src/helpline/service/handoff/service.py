"""The live-agent queue as one node runs it: escalation, offers, presence, what waiting
customers see (kept in step with other nodes by sync.DeskSync)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from helpline import routing
from helpline.bus.base import Bus, conversation_topic
from helpline.bus.locks import LockRegistry
from helpline.hours import Hours, is_open
from helpline.routing import QueueSettings
from helpline.rules.model import Config
from helpline.service.handoff import desk, entry, topics
from helpline.service.handoff.board import Board, EntryInfo, Place
from helpline.service.handoff.sync import DeskSync
from helpline.service.rules_holder import RulesHolder
from helpline.store.agents import Agent, agent_store
from helpline.store.base import Conversation, Message, Outgoing, Store, TurnRecord
from helpline.store.handoff import Escalation, Handoff, handoff_store
from helpline.turn import Turn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Availability:
    status: str  # queued | offline
    notice: str | None  # an honest bot message (kind "offline") when nobody can take it soon


class HandoffService:
    """Changes go to the store first, then to the board, then out on the bus."""

    def __init__(
        self,
        store: Store,
        bus: Bus,
        rules: RulesHolder,
        clock: Callable[[], float],
        locks: LockRegistry,
        can_email: bool = False,  # SMTP is set up: a customer nobody can answer may leave an email
    ) -> None:
        self.can_email = can_email
        self.base = store
        self.store = handoff_store(store)
        self.accounts = agent_store(store)
        self.bus = bus
        self.rules = rules
        self.clock = clock
        self.locks = locks
        self.board = Board()
        self.sockets: dict[str, int] = {}  # agent id -> open agent sockets on this node
        self.dropped: dict[str, float] = {}  # agent id -> when its last socket closed
        self.told: dict[str, Place] = {}  # the last queue.position each customer was sent
        self.offline: set[str] = set()  # conversations told nobody is there (status offline)
        self.customers: dict[str, int] = {}  # conversation id -> customer sockets open here
        self._changed_cond = asyncio.Condition()
        # one assignment pass at a time: two passes reading the same loads would offer an
        # agent more conversations than their capacity
        self._assigning = asyncio.Lock()
        self._sweeper: asyncio.Task[None] | None = None
        self._flush: asyncio.Task[None] | None = None
        self.sync = DeskSync(self)

    @property
    def config(self) -> Config:
        return self.rules.current.rulebook.config

    @property
    def settings(self) -> QueueSettings:
        return self.config.queue

    # --- lifetime ---------------------------------------------------------------------

    async def start(self) -> None:
        """Rebuild the board from the store: nothing the queue knew is lost on a restart."""
        await self.sync.start()  # listening before reading: no change falls in between
        now = self.clock()
        for agent in await self.accounts.agents():
            self.board.agents[agent.id] = agent
        for presence in await self.accounts.presences():
            self.board.presence[presence.agent_id] = presence.status
            if presence.status != "offline":  # its socket died with the old process
                self.dropped[presence.agent_id] = now
        for row in await self.store.handoffs():
            self.board.put(row)
            conversation = await self.base.conversation(row.conversation_id)
            if conversation is not None:
                self.board.info[row.conversation_id] = entry.info(conversation, None)
                if conversation.status == "offline":
                    self.offline.add(row.conversation_id)
        recent = await self.store.recent_handle_times(self.board.handle_times.maxlen or 50)
        self.board.handle_times.extend(reversed(recent))
        await self.sweep()
        self._sweeper = asyncio.create_task(self._sweep_forever())
        log.info("handoff queue restored: %d conversations", len(self.board.rows))

    async def stop(self) -> None:
        for task in (self._sweeper, self._flush):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.sync.stop()

    async def wait_until(self, predicate: Callable[[HandoffService], bool]) -> None:
        """Return once predicate(self) holds (checked after every change and sweep)."""
        async with self._changed_cond:
            await self._changed_cond.wait_for(lambda: predicate(self))

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.tick_s)
            try:
                await self.sweep()
            except Exception:
                log.exception("handoff sweep failed; retrying next tick")

    async def sweep(self) -> None:
        """Expire offers nobody accepted, mark dropped agents offline (also those whose
        node died, on several nodes), assign what can be."""
        now, settings = self.clock(), self.settings
        for row in list(self.board.rows.values()):
            offered_at = row.offered_at if row.state == "offered" else None
            if offered_at is not None and now - offered_at >= settings.accept_timeout_s:
                await self._expire(row, now)
        await self.sync.heartbeat(now)
        self.sync.track_dead_nodes(now)
        for agent_id, at in list(self.dropped.items()):
            if now - at >= settings.presence_grace_s and not self.sockets.get(agent_id):
                del self.dropped[agent_id]
                await self.set_presence(agent_id, "offline")
        await self.changed()

    # --- escalation -------------------------------------------------------------------

    async def escalate(
        self, conversation: Conversation, turn: Turn, record: TurnRecord
    ) -> tuple[list[Message], str]:
        """Commit the turn that hands over, with its ticket and queue row; the status it
        ends in: queued, or offline when nobody can take it (told so honestly)."""
        rulebook, settings, now = self.rules.current.rulebook, self.settings, self.clock()
        intent = rulebook.by_name.get(entry.about(turn) or "")
        teams = self.board.teams(settings.fallback_team)
        team = routing.team_for(intent.category if intent else None, teams, settings.fallback_team)
        priority = intent.priority if intent else "normal"
        lang = turn.state.language or self.config.default_language
        esc = Escalation(team, priority, priority == "urgent", turn.state.frustration)
        found = self._availability(conversation.id, esc, now, lang)
        if found.status != "queued":
            record = replace(
                record, status=found.status, bot_state={**record.bot_state, "status": found.status}
            )
        if found.notice:
            notice = Outgoing("bot", {"text": found.notice, "kind": "offline", "buttons": []})
            record = replace(record, messages=[*record.messages, notice])
        messages, ticket = await self.store.escalate(record, esc, now)
        self.board.put(entry.new_row(conversation.id, ticket.id, esc, now))
        self.board.info[conversation.id] = entry.info(conversation, turn)
        if found.status == "offline":
            self.offline.add(conversation.id)
        await self.sync.notify(conversation=conversation.id)
        await self.sync.row_arrived(conversation.id)
        return messages, found.status

    def _availability(self, cid: str, esc: Escalation, now: float, lang: str) -> Availability:
        away = self._nobody_there(esc.team, now, lang)
        if away is not None:
            return Availability("offline", away)
        self.board.put(entry.new_row(cid, "", esc, now))  # provisional, to see where it would stand
        try:
            eta = self.board.places(esc.team)[cid].eta_s
        finally:
            self.board.drop(cid)
        if eta is not None and eta > self.settings.max_wait_s:
            minutes = max(1, round(eta / 60))
            return Availability("queued", self._say("long_wait", lang, minutes=minutes))
        return Availability("queued", None)

    def _nobody_there(self, team: str, now: float, lang: str) -> str | None:
        """What to tell a customer when the team is closed or nobody of it is online: when
        it is back, and what they can do meanwhile; None when someone is there."""
        hours = self.team_hours(team)
        closed = not is_open(hours, datetime.fromtimestamp(now, UTC))
        when = desk.when_back(hours, now, lang) if closed else None
        if when is not None:
            return self._say("offline_closed", lang, when=when)
        if closed or self.board.agents_online(team) == 0:  # closed for good: no "back at"
            return self._say("offline_nobody", lang)
        return None

    def _say(self, key: str, lang: str, **values: object) -> str:
        """A text that offers email, or its _no_email version where none can be sent."""
        return desk.text(self.config, key if self.can_email else key + "_no_email", lang, **values)

    def team_hours(self, team: str) -> Hours:
        return self.config.business_hours.of(team)

    def wait_text(self, conversation_id: str, language: str) -> str | None:
        """The real answer to "how long?" while waiting; None when not in the line. With
        the team closed or nobody there it is when they are back, never "shortly"."""
        row = self.board.rows.get(conversation_id)
        if row is None or row.state == "assigned":
            return None
        away = self._nobody_there(row.team, self.clock(), language)
        if away is not None:
            return away
        place = self.board.places(row.team).get(conversation_id)
        if place is None:
            return None
        if place.eta_s is None:
            return desk.text(
                self.config, "queue_position_unknown", language, position=place.position
            )
        minutes = max(1, round(place.eta_s / 60))
        return desk.text(
            self.config, "queue_position", language, position=place.position, minutes=minutes
        )

    def place_frame(self, conversation_id: str) -> dict[str, Any] | None:
        """queue.position for a customer who (re)connects while queued."""
        row = self.board.rows.get(conversation_id)
        if row is None or row.state == "assigned" or conversation_id in self.offline:
            return None
        place = self.board.places(row.team).get(conversation_id)
        if place is None:
            return None
        self.told[conversation_id] = place
        return topics.position(place)

    # --- assignment -------------------------------------------------------------------

    async def changed(self) -> None:
        """After any change: offer what can be offered, tell customers whose place moved,
        refresh agents' queue views (coalesced), wake wait_until."""
        await self.assign()
        await self._tell_places()
        self._schedule_snapshot()
        async with self._changed_cond:
            self._changed_cond.notify_all()

    async def assign(self) -> None:
        async with self._assigning:
            await self._assign(self.clock())

    async def _assign(self, now: float) -> None:
        loads = {load.agent_id: load for load in self.board.loads()}
        for row in self.board.line():
            if not any(load.free for load in loads.values()):
                return
            if row.state != "waiting":
                continue
            pick = routing.pick_agent(loads.values(), row.team, exclude=row.passed)
            if pick is None and row.passed:  # everyone passed: go round again
                pick = routing.pick_agent(loads.values(), row.team)
            if pick is None:
                continue
            offered = await self.store.offer(row.conversation_id, pick.agent_id, now)
            if offered is None:
                # this node's view is stale: the row changed elsewhere (its notice late, or
                # lost with a killed node), or the agent's seats were filled by another
                # node's offers (the store counts them); re-read the row, and leave the
                # agent out of this pass if the row still waits
                fresh = await self.sync.refresh_conversation(row.conversation_id)
                if fresh is not None and fresh.state == "waiting":
                    loads.pop(pick.agent_id, None)
                continue
            self.board.put(offered)
            self.board.last_assigned[pick.agent_id] = now
            loads[pick.agent_id] = replace(pick, active=pick.active + 1, last_assigned_at=now)
            frame = topics.offered(
                offered, self.settings.accept_timeout_s, self.entry_view(offered)
            )
            await self.bus.publish(topics.agent(pick.agent_id), frame)
            await self.sync.notify(conversation=row.conversation_id)

    async def _expire(self, row: Handoff, now: float) -> None:
        assert row.agent_id is not None
        if not await self.store.expire_offer(row.conversation_id, row.agent_id, now):
            await self.sync.refresh_conversation(row.conversation_id)  # accepted elsewhere
            return
        passed = (*row.passed, row.agent_id)
        self.board.with_state(
            row.conversation_id, state="waiting", agent_id=None, offered_at=None, passed=passed
        )
        await self.bus.publish(
            topics.agent(row.agent_id), topics.released(row.conversation_id, "offer_expired")
        )
        await self.sync.notify(conversation=row.conversation_id)

    async def _tell_places(self) -> None:
        """One recompute per change; only customers whose place or wait moved get a frame."""
        loads = self.board.loads(offers=False)
        for team in {r.team for r in self.board.rows.values() if r.state != "assigned"}:
            for cid, place in self.board.places(team, loads).items():
                if cid in self.offline or self.told.get(cid) == place:
                    continue
                if self.sync.shared and cid not in self.customers:
                    continue  # the node its customer is connected to tells them
                self.told[cid] = place
                await self.bus.publish(conversation_topic(cid), topics.position(place))

    def _schedule_snapshot(self) -> None:
        if self._flush is None or self._flush.done():
            self._flush = asyncio.create_task(self._publish_snapshot())

    async def _publish_snapshot(self) -> None:
        await asyncio.sleep(0)  # let the rest of this burst of changes land first
        self.board.views.clear()
        await self.bus.publish(topics.QUEUE, {"type": topics.QUEUE_CHANGED})

    def entry_view(self, row: Handoff, position: int | None = None) -> dict[str, Any]:
        info = self.board.info.get(row.conversation_id) or EntryInfo()
        return entry.view(row, info, self.clock(), position)

    def queue_view(self, agent: Agent) -> tuple[list[dict[str, Any]], int]:
        """The agent's teams' line (supervisors: every team), first `snapshot_limit`."""
        key = "*" if agent.is_supervisor else ",".join(sorted(agent.teams))
        if key not in self.board.views:
            counters: dict[str, int] = {}
            mine = []
            for row in self.board.line():
                counters[row.team] = counters.get(row.team, 0) + 1
                if key == "*" or row.team in agent.teams:
                    mine.append((row, counters[row.team]))
            limit = self.settings.snapshot_limit
            entries = [self.entry_view(row, n) for row, n in mine[:limit]]
            self.board.views[key] = (entries, len(mine))
        return self.board.views[key]

    # --- presence ---------------------------------------------------------------------

    async def connected(self, agent: Agent) -> None:
        self.board.agents[agent.id] = agent  # the account may be new or changed
        self.sockets[agent.id] = self.sockets.get(agent.id, 0) + 1
        self.dropped.pop(agent.id, None)
        await self.set_presence(agent.id, "online")
        await self.sync.notify(agent=agent.id, connected=True)

    async def disconnected(self, agent: Agent) -> None:
        self.sockets[agent.id] = max(self.sockets.get(agent.id, 1) - 1, 0)
        if not self.sockets[agent.id]:
            self.dropped[agent.id] = self.clock()  # offline after the grace period

    async def set_presence(self, agent_id: str, status: str) -> None:
        if self.board.presence.get(agent_id) == status:
            return
        await self.accounts.set_presence(agent_id, status, self.clock())
        self.board.presence[agent_id] = status
        await self.sync.notify(agent=agent_id)
        await self.bus.publish(
            topics.agent(agent_id), {"type": "presence.changed", "status": status}
        )
        await self.changed()

    def info_of(self, conversation: Conversation) -> EntryInfo:
        return entry.info(conversation, None)

    async def customer_joined(self, conversation_id: str) -> None:
        self.customers[conversation_id] = self.customers.get(conversation_id, 0) + 1
        if self.customers[conversation_id] == 1:
            await self.sync.customer_here(conversation_id, True)

    async def customer_left(self, conversation_id: str) -> None:
        """A queued customer's place is told afresh on their next connection."""
        self.told.pop(conversation_id, None)
        left = self.customers.get(conversation_id, 1) - 1
        if left > 0:
            self.customers[conversation_id] = left
        else:
            self.customers.pop(conversation_id, None)
            await self.sync.customer_here(conversation_id, False)

    def customer_present(self, conversation_id: str) -> bool:
        """Whether the customer is in the chat: connected here or to another node."""
        return bool(self.customers.get(conversation_id)) or self.sync.customer_elsewhere(
            conversation_id
        )

    async def customer_wrote(self, conversation_id: str) -> None:
        """A reply from the customer makes the ticket the agent's turn again (open)."""
        row = self.board.rows.get(conversation_id)
        if row is not None and row.state == "assigned":
            await self.store.reopen_ticket(conversation_id, self.clock())
