"""The live-agent queue as one node runs it: escalation, offers, presence, what waiting
customers see (kept in step with other nodes by sync.DeskSync)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from helpline import routing
from helpline.bus.base import Bus, conversation_topic
from helpline.bus.locks import LockRegistry
from helpline.routing import QueueSettings
from helpline.rules.model import Config
from helpline.service.conversation import DraftTurn
from helpline.service.handoff import desk, entry, topics
from helpline.service.handoff.board import RECENT_HANDLE_TIMES, Board, EntryInfo
from helpline.service.handoff.sync import DeskSync
from helpline.service.rules_holder import RulesHolder
from helpline.store.agents import Agent, agent_store
from helpline.store.base import Message, Outgoing, Store
from helpline.store.handoff import Escalation, Handoff, handoff_store
from helpline.turn import Turn

log = logging.getLogger(__name__)


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
        # one backend, seen through the contract of each area: conversations and their
        # turns, the queue and tickets, agent accounts and presence
        self.conversations = store
        self.store = handoff_store(store)
        self.accounts = agent_store(store)
        self.bus = bus
        self.rules = rules
        self.clock = clock
        self.locks = locks
        self.board = Board()  # this node's view of the desk; changed only after the store
        self._changed_cond = asyncio.Condition()
        # one assignment pass at a time: two passes reading the same loads would offer an
        # agent more conversations than their capacity
        self._assigning = asyncio.Lock()
        self._sweeper: asyncio.Task[None] | None = None
        self._flush: asyncio.Task[None] | None = None
        self.sync = DeskSync(
            self.board, store, bus, clock, lambda: self.settings, self._notice_applied
        )

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
        now, board = self.clock(), self.board
        await self.sync.read_accounts()
        for presence in await self.accounts.presences():
            board.set_presence(presence.agent_id, presence.status)
            if presence.status != "offline":  # its socket died with the old process
                board.start_grace(presence.agent_id, now)
        await self.sync.restore(await self.store.handoffs())
        board.set_handle_times(await self.store.recent_handle_times(RECENT_HANDLE_TIMES))
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
        for row in self.board.offered():
            offered_at = row.offered_at
            if offered_at is not None and now - offered_at >= settings.accept_timeout_s:
                await self._expire(row, now)
        await self.sync.heartbeat(now)
        self.sync.track_dead_nodes(now)
        for agent_id in self.board.grace_over(now, settings.presence_grace_s):
            await self._store_presence(agent_id, "offline")
        await self.changed()

    # --- escalation -------------------------------------------------------------------

    async def take_turn(self, draft: DraftTurn) -> list[Message]:
        """Store a bot turn and fan it out, doing the desk's part once: a handover commits
        with its ticket and queue row in the status decided here; a "how long?" in line
        gets the real wait; a customer's reply to their agent reopens the ticket."""
        before, after = draft.conversation.status, draft.turn.state.status
        # from closed too: a customer writing again after a close is the bot's, and may ask
        # for a person at once (without this the conversation said "queued" with no queue row)
        if before in ("bot", "closed") and after == "queued":
            return await self._hand_over(draft)
        draft = self._with_wait(draft)
        stored = await self.conversations.commit_turn(draft.record(), self.clock())
        await self._announce(draft, stored)
        if before == "assigned":
            await self.customer_wrote(draft.conversation.id)
        elif before == "queued" and await self.sync.renew_preview(draft.conversation.id):
            await self.changed()  # the customer wrote again in line: their card shows it
        return stored

    async def _hand_over(self, draft: DraftTurn) -> list[Message]:
        """The turn, its ticket and its queue row at once, in the status it ends in: queued,
        or offline when nobody can take it (told so honestly)."""
        conversation, turn, now = draft.conversation, draft.turn, self.clock()
        lang = turn.state.language or self.config.default_language
        esc = await self._escalation(turn)
        row = entry.new_row(conversation.id, "", esc, now)
        found = desk.availability(self.config, self.board, row, now, lang, self.can_email)
        draft = replace(draft, turn=replace(turn, state=replace(turn.state, status=found.status)))
        notice = Outgoing("bot", {"text": found.notice, "kind": "offline", "buttons": []})
        record = draft.record(extra=[notice] if found.notice else [])
        messages, ticket = await self.store.escalate(record, esc, now)
        info = await entry.describe(self.conversations, conversation, turn)  # before the row:
        self.board.put(replace(row, ticket_id=ticket.id))  # no offer goes out without its card
        self.board.describe(conversation.id, info)
        if found.status == "offline":
            self.board.mark_offline(conversation.id)
        await self.sync.notify(conversation=conversation.id)
        await self.sync.row_arrived(conversation.id)
        await self._announce(draft, messages)
        await self.changed()  # offers, and the customer's place in line
        return messages

    async def _escalation(self, turn: Turn) -> Escalation:
        """Which team takes it (the intent's category, when such a team exists), how soon."""
        settings = self.settings
        intent = self.rules.current.rulebook.by_name.get(entry.about(turn) or "")
        if intent is not None and intent.category:
            await self.know_team(intent.category)
        teams = self.board.teams(settings.fallback_team)
        team = routing.team_for(intent.category if intent else None, teams, settings.fallback_team)
        priority = intent.priority if intent else "normal"
        within = self.config.sla.reopen_within_s  # back soon after solved: the same ticket
        reopen_after = self.clock() - within if within > 0 else None
        return Escalation(
            team, priority, priority == "urgent", turn.state.frustration, reopen_after
        )

    async def _announce(self, draft: DraftTurn, stored: list[Message]) -> None:
        topic = conversation_topic(draft.conversation.id)
        await draft.announce(lambda frame: self.bus.publish(topic, frame), stored)

    def _with_wait(self, draft: DraftTurn) -> DraftTurn:
        """A "how long?" while queued is answered with the real place and wait."""
        turn = draft.turn
        if turn.decision.decision != "queue" or not turn.replies:
            return draft
        text = self.wait_text(draft.conversation.id, turn.decision.language)
        if text is None:
            return draft
        replies = (replace(turn.replies[0], text=text), *turn.replies[1:])
        return replace(draft, turn=replace(turn, replies=replies))

    def wait_text(self, conversation_id: str, language: str) -> str | None:
        """The real answer to "how long?" while waiting; None when not in the line."""
        return desk.wait_text(
            self.config, self.board, conversation_id, self.clock(), language, self.can_email
        )

    def place_frame(self, conversation_id: str) -> dict[str, Any] | None:
        """queue.position for a customer who (re)connects while queued."""
        row = self.board.rows.get(conversation_id)
        if row is None or row.state == "assigned" or self.board.is_offline(conversation_id):
            return None
        place = self.board.place(conversation_id)
        if place is None:
            return None
        self.board.told(conversation_id, place)
        return topics.position(place)

    # --- assignment -------------------------------------------------------------------

    async def changed(self) -> None:
        """After any change: offer what can be offered, tell customers whose place moved,
        refresh agents' queue views when what they show changed (coalesced), wake
        wait_until. With nothing changed this costs a look at the agents, however many wait."""
        await self.assign()
        await self._tell_places()
        self.board.forget_views()  # their waited_s is as fresh as the last pass
        if self.board.take_views_changed():
            self._schedule_snapshot()
        async with self._changed_cond:
            self._changed_cond.notify_all()

    async def assign(self) -> None:
        async with self._assigning:
            await self._assign(self.clock())

    async def _assign(self, now: float) -> None:
        """Offers in queue order, walking only the lines of teams with a free seat, and
        only while one is left: with every seat taken a pass costs one look at the agents."""
        loads = {load.agent_id: load for load in self.board.loads()}

        def open_teams() -> set[str]:
            return {team for load in loads.values() if load.free for team in load.teams}

        for row in self.board.waiting_in_order(open_teams):
            pick = routing.pick_agent(loads.values(), row.team, exclude=row.passed)
            if pick is None and row.passed:  # everyone passed: go round again
                pick = routing.pick_agent(loads.values(), row.team)
            if pick is None:
                continue
            # the team as this node saw it: a pass that began before a team change (an SLA
            # escalation while the sweep re-offers an expired offer) must not hand the row,
            # now in another team's line, to the old team's agent
            offered = await self.store.offer(row.conversation_id, pick.agent_id, now, row.team)
            if offered is None:
                # this node's view is stale: the row changed elsewhere (its notice late, or
                # lost with a killed node, or it moved to another team meanwhile), or the
                # agent's seats were filled by another node's offers (the store counts
                # them); re-read the row, and leave the agent out of this pass if the row
                # still waits
                fresh = await self.sync.refresh_conversation(row.conversation_id)
                if fresh is not None and fresh.state == "waiting":
                    loads.pop(pick.agent_id, None)
                continue
            self.board.put(offered)
            self.board.assigned(pick.agent_id, now)
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
        """Only the places that may have moved since the last pass are worked out (see
        Board.places_to_tell), and only customers whose place or wait moved get a frame."""
        due = self.board.places_to_tell(self.board.loads(offers=False))
        for n, (cid, place) in enumerate(due):
            if self.board.was_told(cid, place):
                continue
            if self.sync.shared and not self.board.has_customer(cid):
                continue  # the node its customer is connected to tells them
            self.board.told(cid, place)  # before the send: a pass meanwhile does not repeat it
            try:
                await self.bus.publish(conversation_topic(cid), topics.position(place))
            except BaseException:
                self.board.owe(cid for cid, _ in due[n:])  # the next pass tells them
                raise

    def _schedule_snapshot(self) -> None:
        if self._flush is None or self._flush.done():
            self._flush = asyncio.create_task(self._publish_snapshot())

    async def _publish_snapshot(self) -> None:
        await asyncio.sleep(0)  # let the rest of this burst of changes land first
        self.board.forget_views()
        await self.bus.publish(topics.QUEUE, {"type": topics.QUEUE_CHANGED})

    def entry_view(self, row: Handoff, position: int | None = None) -> dict[str, Any]:
        info = self.board.info.get(row.conversation_id) or EntryInfo()
        return entry.view(row, info, self.clock(), position)

    def queue_view(self, agent: Agent) -> tuple[list[dict[str, Any]], int]:
        """The agent's teams' line (supervisors: every team), first `snapshot_limit`."""
        key = "*" if agent.is_supervisor else ",".join(sorted(agent.teams))
        found = self.board.view(key)
        if found is None:
            teams = None if agent.is_supervisor else agent.teams
            rows, places, total = self.board.head(teams, self.settings.snapshot_limit)
            found = ([self.entry_view(row, n) for row, n in zip(rows, places, strict=True)], total)
            self.board.keep_view(key, found)
        return found

    async def know_team(self, team: str) -> None:
        """Re-read the accounts when `team` has no member this node knows of: an agent
        added (`helpline agent add`) or given the team while the server runs, who has not
        opened a console yet, still makes the team exist for routing and transfers."""
        if team not in self.board.teams(self.settings.fallback_team):
            await self.sync.read_accounts()

    async def know_agent(self, agent_id: str) -> None:
        """Re-read the accounts when the agent is not known here (a new account)."""
        if agent_id not in self.board.agents:
            await self.sync.read_accounts()

    async def account_changed(self, agent_id: str) -> None:
        """A supervisor changed an account (teams, capacity, role, lock): routing uses it at
        once, here and, through the notice, on every other node."""
        await self.sync.read_accounts()
        if self.board.is_locked(agent_id):
            await self._store_presence(agent_id, "offline")
            self.board.end_grace(agent_id)
            for row in self.board.offers_to(agent_id):
                await self._expire(row, self.clock())
        await self.sync.notify(agent=agent_id, account=True)
        await self.changed()

    # --- presence ---------------------------------------------------------------------

    async def connected(self, agent: Agent) -> None:
        self.board.know([agent])  # the account may be new or changed
        self.board.console_opened(agent.id)
        await self.set_presence(agent.id, "online")
        await self.sync.notify(agent=agent.id, connected=True)

    async def disconnected(self, agent: Agent) -> None:
        self.board.console_closed(agent.id, self.clock())  # offline after the grace period

    async def set_presence(self, agent_id: str, status: str) -> None:
        if await self._store_presence(agent_id, status):
            await self.changed()

    async def _store_presence(self, agent_id: str, status: str) -> bool:
        """Whether the agent's presence changed (stored, told to nodes and consoles)."""
        if self.board.presence.get(agent_id) == status:
            return False
        await self.accounts.set_presence(agent_id, status, self.clock())
        self.board.set_presence(agent_id, status)
        await self.sync.notify(agent=agent_id)
        await self.bus.publish(
            topics.agent(agent_id), {"type": "presence.changed", "status": status}
        )
        return True

    async def _notice_applied(self) -> None:
        """Another node's change is on the board: correct what a console here says
        otherwise, then act on it as on one of ours."""
        for agent_id in self.board.offline_with_console():
            await self._store_presence(agent_id, "online")
        await self.changed()

    async def customer_joined(self, conversation_id: str) -> None:
        if self.board.customer_joined(conversation_id):
            await self.sync.customer_here(conversation_id, True)

    async def customer_left(self, conversation_id: str) -> None:
        """A queued customer's place is told afresh on their next connection."""
        if self.board.customer_left(conversation_id):
            await self.sync.customer_here(conversation_id, False)

    def customer_present(self, conversation_id: str) -> bool:
        """Whether the customer is in the chat: connected here or to another node."""
        return self.board.has_customer(conversation_id) or self.sync.customer_elsewhere(
            conversation_id
        )

    async def customer_wrote(self, conversation_id: str) -> None:
        """A reply from the customer makes the ticket the agent's turn again (open)."""
        row = self.board.rows.get(conversation_id)
        if row is not None and row.state == "assigned":
            await self.store.reopen_ticket(conversation_id, self.clock())
