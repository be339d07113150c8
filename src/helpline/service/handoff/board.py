"""The node's in-memory view of the desk: the queue, the agents, and who is connected here.

Rebuilt from the store on start. Others ask it and change it only through its methods, so
every change of a row passes through put() and drop(), which keep each team's line in
order (line.Lines) and count each agent's seats: a pass after a change costs what changed,
not how many wait.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from itertools import count, islice
from types import MappingProxyType
from typing import Any

from helpline import routing
from helpline.routing import AgentLoad, QueueEntry
from helpline.service.handoff.line import Lines
from helpline.service.handoff.places import Place as Place  # where the desk has long found it
from helpline.service.handoff.places import Pool, Told
from helpline.store.agents import Agent
from helpline.store.handoff import Handoff

RECENT_HANDLE_TIMES = 50
QueueView = tuple[list[dict[str, Any]], int]  # the entries an agent is shown, and the total


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
        self._lines = Lines()  # the rows not yet with a person, per team, in queue order
        # agent id -> rows naming them (offered or assigned), and the assigned ones alone
        self._holding: Counter[str] = Counter()
        self._taking: Counter[str] = Counter()
        self._info: dict[str, EntryInfo] = {}  # conversation id -> intent, language, name
        # conversation id -> the stamp of its row's last put, from one ever-rising counter,
        # so a read of the store can tell whether the row was written while it waited
        self._stamps: dict[str, int] = {}
        self._next_stamp = count(1)
        self._told = Told()  # what each waiting customer was sent, and what moved since
        self._typical_handle: float | None = None  # the median of _handle_times, kept
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
        self._views_changed = False  # whether what the views show changed since last asked
        self._offered: dict[str, None] = {}  # conversations offered and not yet accepted

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
        old = self._rows.get(cid)
        self._count_seats(old, -1)
        self._rows[cid] = row
        self._count_seats(row, 1)
        self._stamps[cid] = next(self._next_stamp)
        in_line = row.state != "assigned" or (old is not None and old.state != "assigned")
        self._views_changed |= row != old and in_line  # a row in line changed, joined, left
        if row.state == "offered":
            self._offered[cid] = None
        else:
            self._offered.pop(cid, None)
        if row.state == "assigned":
            self._lines.remove(cid)
            self._offline.discard(cid)
            self._told.forget(cid, owed=False)
        else:
            self._lines.put(cid, row.team, routing.queue_key(_entry(row)))

    def drop(self, conversation_id: str) -> Handoff | None:
        """The conversation is off the queue (closed, released, or gone): all of it goes."""
        self._info.pop(conversation_id, None)
        self._lines.remove(conversation_id)
        self._stamps.pop(conversation_id, None)
        self._offline.discard(conversation_id)
        self._told.forget(conversation_id, owed=False)
        self._offered.pop(conversation_id, None)
        row = self._rows.pop(conversation_id, None)
        self._count_seats(row, -1)
        if row is not None and row.state != "assigned":
            self._views_changed = True
        return row

    def _count_seats(self, row: Handoff | None, step: int) -> None:
        if row is None or row.agent_id is None:
            return
        self._holding[row.agent_id] += step
        if row.state == "assigned":
            self._taking[row.agent_id] += step

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
        self._views_changed |= self._info.get(conversation_id) != info
        self._info[conversation_id] = info

    def mark_offline(self, conversation_id: str) -> None:
        """Its customer was told nobody can take it soon: no queue.position for them."""
        self._offline.add(conversation_id)

    def is_offline(self, conversation_id: str) -> bool:
        return conversation_id in self._offline

    # --- what waiting customers were told ----------------------------------------------

    def was_told(self, conversation_id: str, place: Place) -> bool:
        return self._told.was_told(conversation_id, place)

    def told(self, conversation_id: str, place: Place) -> None:
        self._told.told(conversation_id, place)

    def owe(self, conversation_ids: Iterable[str]) -> None:
        """These customers may not have been told their place after all (a send failed)."""
        self._told.owe(conversation_ids)

    # --- queue views, rebuilt after each change --------------------------------------

    def take_views_changed(self) -> bool:
        """Whether what agents' queue views show (the line, what is known of each entry,
        the accounts) changed since the last call."""
        changed, self._views_changed = self._views_changed, False
        return changed

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
            self._views_changed |= self._agents.get(agent.id) != agent  # teams choose views
            self._agents[agent.id] = agent

    def set_locked(self, agent_ids: Iterable[str]) -> None:
        """The locked accounts as the store has them now (the whole set)."""
        locked = frozenset(agent_ids)
        self._views_changed |= locked != self._locked
        self._locked = locked
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
        self._typical_handle = None

    def set_handle_times(self, newest_first: Iterable[float]) -> None:
        self._handle_times.clear()
        self._handle_times.extend(reversed(list(newest_first)))
        self._typical_handle = None

    def typical_handle_time(self) -> float:
        if self._typical_handle is None:
            self._typical_handle = routing.typical_handle_time(list(self._handle_times))
        return self._typical_handle

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
        if conversation_id in self._rows:  # here now: this node may have to tell them
            self._told.check_again(conversation_id)
        return self._customers[conversation_id] == 1

    def customer_left(self, conversation_id: str) -> bool:
        """Whether that was the last one; their place is told afresh when they are back."""
        self._told.forget(conversation_id, owed=conversation_id in self._rows)
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
        active = self._holding if offers else self._taking
        return [
            AgentLoad(
                a.id, a.teams, self._presence.get(a.id, "offline"), active[a.id],
                a.capacity, self._last_assigned.get(a.id, 0.0),
            )
            for a in self._routable()
        ]  # fmt: skip

    def offered(self) -> list[Handoff]:
        """Rows offered to an agent and not yet accepted."""
        return [self._rows[cid] for cid in self._offered]

    def mine(self, agent_id: str) -> list[Handoff]:
        return [r for r in self._rows.values() if r.agent_id == agent_id and r.state == "assigned"]

    def offers_to(self, agent_id: str) -> list[Handoff]:
        return [r for r in self._rows.values() if r.agent_id == agent_id and r.state == "offered"]

    # --- the line: conversations not yet with a person (waiting or offered) -----------

    def line(self, team: str | None = None) -> list[Handoff]:
        """The line in queue order: one team's, or every team's merged."""
        if team is not None:
            return [self._rows[cid] for cid in self._lines.ids(team)]
        return [self._rows[cid] for cid, _ in self._lines.in_order()]

    def head(
        self, teams: Collection[str] | None, limit: int
    ) -> tuple[list[Handoff], list[int], int]:
        """The first `limit` rows of the teams' line merged in queue order (None: every
        team), each one's place in its own team's line, and how many the line holds."""
        first = list(islice(self._lines.in_order(teams), limit))
        rows = [self._rows[cid] for cid, _ in first]
        return rows, [place for _, place in first], self._lines.size(teams)

    def waiting_in_order(self, teams: Callable[[], Collection[str]]) -> Iterator[Handoff]:
        """Rows waiting for an offer, in queue order across the teams teams() names when
        each next one is asked for (see Lines.walk)."""
        for cid in self._lines.walk(teams, self._is_waiting):
            yield self._rows[cid]

    def _is_waiting(self, conversation_id: str) -> bool:
        row = self._rows.get(conversation_id)
        return row is not None and row.state == "waiting"

    def place(self, conversation_id: str) -> Place | None:
        """What a conversation in line should be told; None when it is not in line."""
        team = self._lines.team_of(conversation_id)
        position = self._lines.position(conversation_id)
        if team is None or position is None:
            return None
        return self._pool(team).place(position, self.typical_handle_time())

    def joining_place(self, row: Handoff) -> Place:
        """Where a row not on the board would stand, and what it would be told."""
        key = routing.queue_key(_entry(row))
        position = self._lines.would_stand(row.conversation_id, row.team, key)
        return self._pool(row.team).place(position, self.typical_handle_time())

    def places(self, team: str) -> dict[str, Place]:
        """Every conversation in the team's line and what it should be told."""
        pool, typical = self._pool(team), self.typical_handle_time()
        return {cid: pool.place(n, typical) for n, cid in enumerate(self._lines.ids(team), 1)}

    def places_to_tell(self, loads: Iterable[AgentLoad]) -> list[tuple[str, Place]]:
        """Every place in line that may differ from what its customer was last told, and
        no more (see places.Told.due; loads: from loads(offers=False)); customers told
        nobody is there are left out."""
        found = list(loads)
        return self._told.due(
            self._lines, lambda team: Pool.of(team, found), self.typical_handle_time(),
            self._offline,
        )  # fmt: skip

    def _pool(self, team: str) -> Pool:
        return Pool.of(team, self.loads(offers=False))

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
