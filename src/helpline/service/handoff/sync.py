"""Several nodes as one desk: notices of handoff changes on the bus, rows re-read on each."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from helpline.bus.base import Bus, Frame, Subscription
from helpline.bus.memory import MemoryBus
from helpline.errors import BusOverflowError, BusUnavailableError, StoreError
from helpline.routing import QueueSettings
from helpline.service.handoff import entry
from helpline.service.handoff.board import RECENT_HANDLE_TIMES, Board
from helpline.store.agents import agent_store
from helpline.store.base import Store
from helpline.store.handoff import Handoff, handoff_store

log = logging.getLogger(__name__)

DESK = "desk"  # {"type": DESK_CHANGED, "node", "conversation" | "agent"}: re-read it
DESK_CHANGED = "desk.changed"
# {"type": DESK_ALIVE, "node", "agents": [ids]}: this node is up, with these agents'
# consoles open on it. A node that stops sending it has died with its sockets.
DESK_ALIVE = "desk.alive"
# {"type": DESK_CUSTOMER, "node", "conversation", "here": bool}: the first customer socket
# of a queued or assigned conversation opened on this node, or its last one closed. With
# the heartbeat's "customers" it tells the node of a replying agent whether the customer
# is in the chat on some node, or away and to be emailed.
DESK_CUSTOMER = "desk.customer"
HEARTBEAT_TICKS = 5  # a heartbeat every this many ticks (5 s at the default tick_s of 1)
HEARTBEATS_MISSED = 3  # a node not heard for this many heartbeat intervals is gone


def is_shared(bus: Bus) -> bool:
    """Whether other nodes may listen: only then do notices go out (one node stays as it was)."""
    return not isinstance(bus, MemoryBus)


class DeskSync:
    """Tells the other nodes what this one committed; applies what they committed.

    A notice carries only ids: the store stays the one source of truth, and a notice
    that arrives late or twice does no harm because the rows are read afresh. What it
    reads goes on the board; then on_change lets the desk act on it (offers, places).
    """

    def __init__(
        self, board: Board, store: Store, bus: Bus, clock: Callable[[], float],
        settings: Callable[[], QueueSettings], on_change: Callable[[], Awaitable[None]],
    ) -> None:  # fmt: skip
        self.board = board
        self.conversations = store
        self.handoffs = handoff_store(store)
        self.accounts = agent_store(store)
        self.bus = bus
        self.clock = clock
        self.settings = settings  # read when needed: a rules reload may change them
        self.on_change = on_change
        self.node = uuid.uuid4().hex
        self.shared = is_shared(bus)
        self._subscription: Subscription | None = None
        self._task: asyncio.Task[None] | None = None
        self.nodes: dict[str, tuple[float, frozenset[str]]] = {}  # other node -> (heard, agents)
        # other node -> queued or assigned conversations whose customer is connected there
        self.customers_at: dict[str, set[str]] = {}
        self._started_at: float | None = None
        self._last_beat: float | None = None

    async def start(self) -> None:
        self._started_at = self.clock()
        if self.shared:
            self._subscription = await self.bus.subscribe(DESK)
            self._task = asyncio.create_task(self._listen(), name="helpline-desk-sync")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._subscription is not None:
            await self._subscription.close()

    async def notify(
        self, *, conversation: str | None = None, agent: str | None = None,
        connected: bool = False, account: bool = False, preview: bool = False,
    ) -> None:  # fmt: skip
        """After a handoff change this node committed (connected: an agent's socket opened
        here, so another node's grace period for it is over; account: a supervisor changed
        the agent's account, so every node re-reads the accounts; preview: the waiting
        customer wrote again, so every node re-reads their card's newest message)."""
        if not self.shared:
            return
        frame: dict[str, Any] = {"type": DESK_CHANGED, "node": self.node}
        if conversation is not None:
            frame["conversation"] = conversation
        if preview:
            frame["preview"] = True
        if agent is not None:
            frame.update(agent=agent, connected=connected, account=account)
        await self.bus.publish(DESK, frame)

    async def _listen(self) -> None:
        while True:
            assert self._subscription is not None
            try:
                frame = await self._subscription.get()
            except BusOverflowError:
                # notices may be lost (Redis link broke or this node fell behind): read all
                await self._resubscribe()
                continue
            if frame.get("node") == self.node:
                continue
            if frame.get("type") == DESK_ALIVE:
                self._heard(frame)
                continue
            if frame.get("type") == DESK_CUSTOMER:
                self._customer_moved(frame)
                continue
            try:
                await self.apply(frame)
            except StoreError as exc:
                log.warning("desk notice not applied (%s); the next one re-reads", exc)

    # --- which agents' consoles are open on a live node ------------------------------

    def _interval(self) -> float:
        return HEARTBEAT_TICKS * self.settings().tick_s

    def _heard(self, frame: Frame) -> None:
        agents, customers = frame.get("agents"), frame.get("customers")
        node = str(frame.get("node"))
        if isinstance(agents, list):
            self.nodes[node] = (self.clock(), frozenset(map(str, agents)))
        if isinstance(customers, list):  # the whole list: it corrects any notice lost
            self.customers_at[node] = set(map(str, customers))

    async def heartbeat(self, now: float) -> None:
        """Tell the other nodes this one is up, with the agents connected here (each sweep
        calls this; it sends once per heartbeat interval)."""
        if not self.shared or (
            self._last_beat is not None and now - self._last_beat < self._interval()
        ):
            return
        self._last_beat = now
        # only conversations on the queue's board can get an agent's reply
        frame = {
            "type": DESK_ALIVE, "node": self.node, "agents": self.board.agents_here(),
            "customers": self.board.customers_here(),
        }  # fmt: skip
        await self.bus.publish(DESK, frame)

    # --- which customers are in the chat on some node -------------------------------

    async def customer_here(self, conversation: str, here: bool) -> None:
        """Tell the other nodes a customer of a conversation on the board is connected to
        this node now (or no longer); the heartbeat repeats it, so a lost one does no harm
        for long."""
        if not self.shared or conversation not in self.board.rows:
            return
        frame = {"type": DESK_CUSTOMER, "node": self.node, "conversation": conversation,
                 "here": here}  # fmt: skip
        await self.bus.publish(DESK, frame)

    async def row_arrived(self, conversation: str) -> None:
        """A conversation reached this node's board: if its customer is connected here,
        say so at once rather than at the next heartbeat."""
        if self.board.has_customer(conversation):
            await self.customer_here(conversation, True)

    def _customer_moved(self, frame: Frame) -> None:
        conversation, node = frame.get("conversation"), str(frame.get("node"))
        if not isinstance(conversation, str):
            return
        self.nodes.setdefault(node, (self.clock(), frozenset()))  # pruned if it dies
        at = self.customers_at.setdefault(node, set())
        if frame.get("here"):
            at.add(conversation)
        else:
            at.discard(conversation)

    def customer_elsewhere(self, conversation: str) -> bool:
        """Whether a customer of the conversation is connected to another live node."""
        return any(conversation in at for at in self.customers_at.values())

    def held_elsewhere(self, agent_id: str, now: float) -> bool | None:
        """Whether a node heard within the timeout has a console of agent_id open; None
        while this node has not been up long enough to have heard from every live node."""
        gone_after = HEARTBEATS_MISSED * self._interval()
        for heard, agents in self.nodes.values():
            if now - heard <= gone_after and agent_id in agents:
                return True
        if self._started_at is None or now - self._started_at <= gone_after:
            return None
        return False

    def track_dead_nodes(self, now: float) -> None:
        """Give the grace period to agents shown online or away whose console is open on no
        live node (their node died), and end it for agents in it whose console is open on
        another node after all."""
        if not self.shared:
            return
        gone_after = HEARTBEATS_MISSED * self._interval()
        for node, (heard, _) in list(self.nodes.items()):
            if now - heard > gone_after:
                del self.nodes[node]  # a node died or stopped: its sockets went with it
                self.customers_at.pop(node, None)
        for agent_id, status in self.board.presence.items():
            if self.board.has_console(agent_id):
                continue
            held = self.held_elsewhere(agent_id, now)
            if held is True:
                self.board.end_grace(agent_id)
            elif held is False and status != "offline":
                self.board.start_grace(agent_id, now)

    async def _resubscribe(self) -> None:
        assert self._subscription is not None
        await self._subscription.close()
        while True:
            try:
                self._subscription = await self.bus.subscribe(DESK)
                break
            except BusUnavailableError as exc:
                log.warning("desk notices unavailable (%s); retrying", exc)
                await asyncio.sleep(self.settings().tick_s)  # Redis is down: back off
        await self.reload()

    async def apply(self, frame: Frame) -> None:
        conversation, agent = frame.get("conversation"), frame.get("agent")
        if isinstance(conversation, str):
            await self.refresh_conversation(conversation)
            if frame.get("preview"):
                await entry.renew_preview(self.board, self.conversations, conversation)
        if isinstance(agent, str):
            await self.refresh_agent(
                agent, connected=bool(frame.get("connected")), account=bool(frame.get("account"))
            )
        await self.on_change()

    async def renew_preview(self, cid: str) -> bool:
        """The waiting customer wrote again: their card shows it here, then on every node;
        False when the conversation is not in line here or its card had it already."""
        if not await entry.renew_preview(self.board, self.conversations, cid):
            return False
        await self.notify(conversation=cid, preview=True)
        return True

    async def restore(self, rows: list[Handoff]) -> None:
        """The rows the store holds at start, each put with its card."""
        for row in rows:
            cid = row.conversation_id
            conversation = await self.conversations.conversation(cid)
            if conversation is not None:
                info = await entry.describe(self.conversations, conversation, None)
                self.board.describe(cid, info)
            self.board.put(row)
            if conversation is not None and conversation.status == "offline":
                self.board.mark_offline(cid)

    async def refresh_conversation(self, cid: str) -> Handoff | None:
        """The board's row for cid as the store has it now."""
        board = self.board
        # A row new here gets its card (intent, page, preview) before it is put: between
        # the two a queue view or an offer would otherwise go out with an empty card.
        conversation = None
        info = board.info.get(cid)
        if cid not in board.rows or info is None:
            conversation = await self.conversations.conversation(cid)
            if conversation is not None:
                info = await entry.describe(self.conversations, conversation, None)
        while True:
            # a row put here while the read was on its way (this node's own commit, or a
            # fresher read) may be newer than what the read returns: read again, so a
            # stale row never overwrites it
            stamp = board.stamp(cid)
            row = await self.handoffs.handoff(cid)
            if board.stamp(cid) == stamp:
                break
        if row is None:
            if board.drop(cid) is not None:
                await self._reload_handle_times()
            return None
        known = cid in board.rows
        if info is not None and cid not in board.info:
            board.describe(cid, info)
        board.put(row)
        if not known:
            await self.row_arrived(cid)
        offline = conversation is not None and conversation.status == "offline"
        if offline and row.state != "assigned":
            board.mark_offline(cid)
        return row

    async def read_accounts(self) -> None:
        """Every account, and which are locked, as the store has them now."""
        self.board.know(await self.accounts.agents())
        self.board.set_locked(await self.accounts.locked_agent_ids())

    async def refresh_agent(self, agent_id: str, *, connected: bool, account: bool = False) -> None:
        """The agent's account and presence as the store has them (a console open here
        that the store calls offline is the desk's to correct, in on_change)."""
        if agent_id not in self.board.agents or connected or account:  # new, or changed
            await self.read_accounts()
        if connected:
            self.board.end_grace(agent_id)
        status = "offline"
        for presence in await self.accounts.presences():
            if presence.agent_id == agent_id:
                status = presence.status
        self.board.set_presence(agent_id, status)

    async def reload(self) -> None:
        """Every row and presence afresh, after notices may have been missed."""
        rows = {row.conversation_id: row for row in await self.handoffs.handoffs()}
        for cid in set(self.board.rows) - set(rows):
            self.board.drop(cid)
        for cid in rows:
            await self.refresh_conversation(cid)
        await self.read_accounts()
        for presence in await self.accounts.presences():
            self.board.set_presence(presence.agent_id, presence.status)
        await self._reload_handle_times()
        await self.on_change()

    async def _reload_handle_times(self) -> None:
        self.board.set_handle_times(await self.handoffs.recent_handle_times(RECENT_HANDLE_TIMES))
