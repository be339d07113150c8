"""The node's in-memory view of the desk: the queue, the agents, and who is connected here.

Rebuilt from the store on start. Others ask it and change it only through its methods, so
every change of a row passes through put() and drop(): the one place a faster structure
(an ordered line per team, positions kept up to date) would have to be maintained.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from itertools import count
from types import MappingProxyType
from typing import Any

from helpline import routing
from helpline.routing import AgentLoad, QueueEntry
from helpline.store.agents import Agent
from helpline.store.handoff import Handoff

RECENT_HANDLE_TIMES = 50
QueueView = tuple[list[dict[str, Any]], int]  # the entries an agent is shown, and the total


@dataclass(frozen=True)
class Place:
    """What a waiting customer is told: queue.position's fields."""

    position: int
    eta_s: float | None
    agents_online: int


@dataclass(frozen=True)
class EntryInfo:
    """What agents see of a waiting conversation besides its queue row."""

    intent: str | None = None
    language: str | None = None
    customer_name: str | None = None
    page_url: str | None = None  # where the customer's widget is (store/visit.py)
    preview: str | None = None  # the start of the customer's newest message


class Board:
    """Plain data and queries; the desk (service, sync, actions) changes it only after
    the store has."""

    def __init__(self) -> None:
        self._rows: dict[str, Handoff] = {}  # conversation id -> its queue row
        self._entries: dict[str, QueueEntry] = {}  # the row as routing sees it, made once
        self._info: dict[str, EntryInfo] = {}  # conversation id -> intent, language, name
        # conversation id -> the stamp of its row's last put, from one ever-rising counter,
        # so a read of the store can tell whether the row was written while it waited
        self._stamps: dict[str, int] = {}
        self._next_stamp = count(1)
        self._told: dict[str, Place] = {}  # the last queue.position each customer was sent
        self._offline: set[str] = set()  # conversations told nobody is there (status offline)
        self._customers: dict[str, int] = {}  # conversation id -> customer sockets open here
        self._agents: dict[str, Agent] = {}
        # agents whose login is locked: kept (their conversations name them) but routed nothing
        self._locked: frozenset[str] = frozenset()
        self._presence: dict[str, str] = {}  # agent id -> online | away | offline
        self._last_assigned: dict[str, float] = {}  # agent id -> when, for round robin
        self._consoles: dict[str, int] = {}  # agent id -> agent sockets open on this node
        self._dropped: dict[str, float] = {}  # agent id -> when its grace period began
        self._handle_times: deque[float] = deque(maxlen=RECENT_HANDLE_TIMES)  # newest last
        # queue views built since the last change, by team set: 50 agents share a few
        self._views: dict[str, QueueView] = {}

    # --- read-only views, for queries from outside ----------------------------------

    @property
    def rows(self) -> Mapping[str, Handoff]:
        return MappingProxyType(self._rows)

    @property
    def info(self) -> Mapping[str, EntryInfo]:
        return MappingProxyType(self._info)

    @property
    def agents(self) -> Mapping[str, Agent]:
        return MappingProxyType(self._agents)

    @property
    def presence(self) -> Mapping[str, str]:
        return MappingProxyType(self._presence)

    # --- the queue's rows ------------------------------------------------------------

    def put(self, row: Handoff) -> None:
        """The row as the store has it now; an assigned one has left the line, so its
        customer is no longer told a place or that nobody is there."""
        cid = row.conversation_id
        self._rows[cid] = row
        self._entries[cid] = _entry(row)
        self._stamps[cid] = next(self._next_stamp)
        if row.state == "assigned":
            self._offline.discard(cid)
            self._told.pop(cid, None)

    def drop(self, conversation_id: str) -> Handoff | None:
        """The conversation is off the queue (closed, released, or gone): all of it goes."""
        self._info.pop(conversation_id, None)
        self._entries.pop(conversation_id, None)
        self._stamps.pop(conversation_id, None)
        self._offline.discard(conversation_id)
        self._told.pop(conversation_id, None)
        return self._rows.pop(conversation_id, None)

    def with_state(self, conversation_id: str, **changes: object) -> Handoff | None:
        row = self._rows.get(conversation_id)
        if row is None:
            return None
        changed = replace(row, **changes)  # type: ignore[arg-type]
        self.put(changed)
        return changed

    def stamp(self, conversation_id: str) -> int | None:
        """Changes whenever the conversation's row is put or dropped (never repeats)."""
        return self._stamps.get(conversation_id)

    def describe(self, conversation_id: str, info: EntryInfo) -> None:
        self._info[conversation_id] = info

    def mark_offline(self, conversation_id: str) -> None:
        """Its customer was told nobody can take it soon: no queue.position for them."""
        self._offline.add(conversation_id)

    def is_offline(self, conversation_id: str) -> bool:
        return conversation_id in self._offline

    # --- what waiting customers were told ----------------------------------------------

    def was_told(self, conversation_id: str, place: Place) -> bool:
        return self._told.get(conversation_id) == place

    def told(self, conversation_id: str, place: Place) -> None:
        self._told[conversation_id] = place

    # --- queue views, rebuilt after each change --------------------------------------

    def view(self, key: str) -> QueueView | None:
        return self._views.get(key)

    def keep_view(self, key: str, view: QueueView) -> None:
        self._views[key] = view

    def forget_views(self) -> None:
        self._views.clear()

    # --- agents ------------------------------------------------------------------------

    def know(self, agents: Iterable[Agent]) -> None:
        """Accounts as the store has them (new or changed ones replace what was known)."""
        for agent in agents:
            self._agents[agent.id] = agent

    def set_locked(self, agent_ids: Iterable[str]) -> None:
        """The locked accounts as the store has them now (the whole set)."""
        self._locked = frozenset(agent_ids)
        self.forget_views()

    def is_locked(self, agent_id: str) -> bool:
        return agent_id in self._locked

    def _routable(self) -> list[Agent]:
        return [a for a in self._agents.values() if a.id not in self._locked]

    def set_presence(self, agent_id: str, status: str) -> None:
        self._presence[agent_id] = status

    def assigned(self, agent_id: str, now: float) -> None:
        """The agent was offered or took a conversation: last in round robin's turn."""
        self._last_assigned[agent_id] = now

    def handled(self, seconds: float) -> None:
        self._handle_times.append(seconds)

    def set_handle_times(self, newest_first: Iterable[float]) -> None:
        self._handle_times.clear()
        self._handle_times.extend(reversed(list(newest_first)))

    # --- agents' consoles on this node, and the grace period after the last closes ----

    def console_opened(self, agent_id: str) -> None:
        self._consoles[agent_id] = self._consoles.get(agent_id, 0) + 1
        self._dropped.pop(agent_id, None)

    def console_closed(self, agent_id: str, now: float) -> None:
        self._consoles[agent_id] = max(self._consoles.get(agent_id, 1) - 1, 0)
        if not self._consoles[agent_id]:
            self.start_grace(agent_id, now)  # offline once it is over

    def has_console(self, agent_id: str) -> bool:
        return bool(self._consoles.get(agent_id))

    def agents_here(self) -> list[str]:
        """Agents with a console open on this node."""
        return sorted(agent for agent, open_ in self._consoles.items() if open_)

    def start_grace(self, agent_id: str, now: float) -> None:
        self._dropped.setdefault(agent_id, now)

    def end_grace(self, agent_id: str) -> None:
        self._dropped.pop(agent_id, None)

    def in_grace(self, agent_id: str) -> bool:
        return agent_id in self._dropped

    def grace_over(self, now: float, grace_s: float) -> list[str]:
        """Agents whose grace period ran out with no console open here (it ends for them)."""
        over = [
            agent for agent, at in self._dropped.items()
            if now - at >= grace_s and not self.has_console(agent)
        ]  # fmt: skip
        for agent in over:
            del self._dropped[agent]
        return over

    # --- customers connected to this node ----------------------------------------------

    def customer_joined(self, conversation_id: str) -> bool:
        """Whether this is the customer's first socket open here."""
        self._customers[conversation_id] = self._customers.get(conversation_id, 0) + 1
        return self._customers[conversation_id] == 1

    def customer_left(self, conversation_id: str) -> bool:
        """Whether that was the last one; their place is told afresh when they are back."""
        self._told.pop(conversation_id, None)
        left = self._customers.get(conversation_id, 1) - 1
        if left > 0:
            self._customers[conversation_id] = left
            return False
        self._customers.pop(conversation_id, None)
        return True

    def has_customer(self, conversation_id: str) -> bool:
        return bool(self._customers.get(conversation_id))

    def customers_here(self) -> list[str]:
        """Conversations on the board whose customer is connected here: a bounded list."""
        return sorted(cid for cid in self._customers if cid in self._rows)

    # --- queries -------------------------------------------------------------------------

    def teams(self, fallback_team: str) -> set[str]:
        found = {team for agent in self._routable() for team in agent.teams}
        return found | {fallback_team}

    def loads(self, *, offers: bool = True) -> list[AgentLoad]:
        """Each agent's load; offers=False counts only accepted conversations (an offered
        one is still in the line, so it must not also count as taking a seat)."""
        active: dict[str, int] = {}
        for row in self._rows.values():
            if row.agent_id is not None and (offers or row.state == "assigned"):
                active[row.agent_id] = active.get(row.agent_id, 0) + 1
        return [
            AgentLoad(
                a.id, a.teams, self._presence.get(a.id, "offline"), active.get(a.id, 0),
                a.capacity, self._last_assigned.get(a.id, 0.0),
            )
            for a in self._routable()
        ]  # fmt: skip

    def mine(self, agent_id: str) -> list[Handoff]:
        return [r for r in self._rows.values() if r.agent_id == agent_id and r.state == "assigned"]

    def offers_to(self, agent_id: str) -> list[Handoff]:
        return [r for r in self._rows.values() if r.agent_id == agent_id and r.state == "offered"]

    def line(self, team: str | None = None, joining: Handoff | None = None) -> list[Handoff]:
        """Conversations not yet with a person (waiting or offered), in queue order
        (joining: a row not on the board, placed as if it were)."""
        joining_id = joining.conversation_id if joining is not None else None
        rows = [
            r for r in self._rows.values()
            if r.state != "assigned" and (team is None or r.team == team)
            and r.conversation_id != joining_id
        ]  # fmt: skip
        entries = [self._entries[r.conversation_id] for r in rows]
        if joining is not None:
            rows.append(joining)
            entries.append(_entry(joining))
        by_id = {r.conversation_id: r for r in rows}
        return [by_id[e.conversation_id] for e in routing.queue_order(entries)]

    def places(
        self, team: str, loads: Iterable[AgentLoad] | None = None, joining: Handoff | None = None
    ) -> dict[str, Place]:
        """Every waiting conversation of the team and what it should be told, in one pass
        (loads: from loads(offers=False), to share one computation between teams; joining:
        a row not on the board yet, to see where it would stand)."""
        found = loads if loads is not None else self.loads(offers=False)
        members = [a for a in found if team in a.teams and a.status == "online"]
        # one aggregate agent gives estimate_wait the same slots and free capacity, so each
        # place costs O(1) instead of a pass over the team
        slots = sum(a.capacity for a in members)
        free = sum(a.free for a in members)
        pool = [AgentLoad("team", (team,), "online", slots - free, slots)] if slots else []
        # the median once per pass, not once per place (it is the same for the whole line)
        recent = [routing.typical_handle_time(list(self._handle_times))]
        return {
            row.conversation_id: Place(
                n, routing.estimate_wait(n, pool, team, recent), len(members)
            )
            for n, row in enumerate(self.line(team, joining), 1)
        }

    def agents_online(self, team: str) -> int:
        return sum(
            1 for a in self._routable()
            if team in a.teams and self._presence.get(a.id) == "online"
        )  # fmt: skip

    def offline_with_console(self) -> list[str]:
        """Agents the store says are offline while their console is open here (another
        node's grace ran out as the agent moved here, or a starting node counted them gone)."""
        return [
            agent for agent, status in self._presence.items()
            if status == "offline" and self.has_console(agent)
        ]  # fmt: skip


def _entry(row: Handoff) -> QueueEntry:
    return QueueEntry(
        row.conversation_id, row.team, row.priority, row.enqueued_at, row.frustration, row.urgent
    )
