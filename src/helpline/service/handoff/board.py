"""The node's in-memory view of the queue and the agents, rebuilt from the store on start."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import count
from typing import Any

from helpline import routing
from helpline.routing import AgentLoad, QueueEntry
from helpline.store.agents import Agent
from helpline.store.handoff import Handoff

RECENT_HANDLE_TIMES = 50


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


class Board:
    """Plain data and queries; the service changes it only after the store has."""

    def __init__(self) -> None:
        self.rows: dict[str, Handoff] = {}  # conversation id -> its queue row
        self._entries: dict[str, QueueEntry] = {}  # the row as routing sees it, made once
        self.agents: dict[str, Agent] = {}
        self.presence: dict[str, str] = {}  # agent id -> online | away | offline
        self.last_assigned: dict[str, float] = {}  # agent id -> when, for round robin
        self.handle_times: deque[float] = deque(maxlen=RECENT_HANDLE_TIMES)  # newest last
        self.info: dict[str, EntryInfo] = {}  # conversation id -> intent, language, name
        # queue views built since the last change, by team set: 50 agents share a few
        self.views: dict[str, tuple[list[dict[str, Any]], int]] = {}
        # conversation id -> the stamp of its row's last put, from one ever-rising counter,
        # so a read of the store can tell whether the row was written while it waited
        self._stamps: dict[str, int] = {}
        self._next_stamp = count(1)

    def put(self, row: Handoff) -> None:
        self.rows[row.conversation_id] = row
        self._entries[row.conversation_id] = _entry(row)
        self._stamps[row.conversation_id] = next(self._next_stamp)

    def drop(self, conversation_id: str) -> Handoff | None:
        self.info.pop(conversation_id, None)
        self._entries.pop(conversation_id, None)
        self._stamps.pop(conversation_id, None)
        return self.rows.pop(conversation_id, None)

    def stamp(self, conversation_id: str) -> int | None:
        """Changes whenever the conversation's row is put or dropped (never repeats)."""
        return self._stamps.get(conversation_id)

    def teams(self, fallback_team: str) -> set[str]:
        found = {team for agent in self.agents.values() for team in agent.teams}
        return found | {fallback_team}

    def loads(self, *, offers: bool = True) -> list[AgentLoad]:
        """Each agent's load; offers=False counts only accepted conversations (an offered
        one is still in the line, so it must not also count as taking a seat)."""
        active: dict[str, int] = {}
        for row in self.rows.values():
            if row.agent_id is not None and (offers or row.state == "assigned"):
                active[row.agent_id] = active.get(row.agent_id, 0) + 1
        return [
            AgentLoad(
                a.id, a.teams, self.presence.get(a.id, "offline"), active.get(a.id, 0),
                a.capacity, self.last_assigned.get(a.id, 0.0),
            )
            for a in self.agents.values()
        ]  # fmt: skip

    def mine(self, agent_id: str) -> list[Handoff]:
        return [r for r in self.rows.values() if r.agent_id == agent_id and r.state == "assigned"]

    def offers_to(self, agent_id: str) -> list[Handoff]:
        return [r for r in self.rows.values() if r.agent_id == agent_id and r.state == "offered"]

    def line(self, team: str | None = None) -> list[Handoff]:
        """Conversations not yet with a person (waiting or offered), in queue order."""
        rows = [
            r for r in self.rows.values()
            if r.state != "assigned" and (team is None or r.team == team)
        ]  # fmt: skip
        by_id = {r.conversation_id: r for r in rows}
        ordered = routing.queue_order(self._entries[r.conversation_id] for r in rows)
        return [by_id[e.conversation_id] for e in ordered]

    def places(self, team: str, loads: Iterable[AgentLoad] | None = None) -> dict[str, Place]:
        """Every waiting conversation of the team and what it should be told, in one pass
        (loads: from loads(offers=False), to share one computation between teams)."""
        found = loads if loads is not None else self.loads(offers=False)
        members = [a for a in found if team in a.teams and a.status == "online"]
        # one aggregate agent gives estimate_wait the same slots and free capacity, so each
        # place costs O(1) instead of a pass over the team
        slots = sum(a.capacity for a in members)
        free = sum(a.free for a in members)
        pool = [AgentLoad("team", (team,), "online", slots - free, slots)] if slots else []
        # the median once per pass, not once per place (it is the same for the whole line)
        recent = [routing.typical_handle_time(list(self.handle_times))]
        return {
            row.conversation_id: Place(
                n, routing.estimate_wait(n, pool, team, recent), len(members)
            )
            for n, row in enumerate(self.line(team), 1)
        }

    def agents_online(self, team: str) -> int:
        return sum(
            1 for a in self.agents.values()
            if team in a.teams and self.presence.get(a.id) == "online"
        )  # fmt: skip

    def with_state(self, conversation_id: str, **changes: object) -> Handoff | None:
        row = self.rows.get(conversation_id)
        if row is None:
            return None
        changed = replace(row, **changes)  # type: ignore[arg-type]
        self.put(changed)
        return changed


def _entry(row: Handoff) -> QueueEntry:
    return QueueEntry(
        row.conversation_id, row.team, row.priority, row.enqueued_at, row.frustration, row.urgent
    )


def entry_rank(row: Handoff) -> int:
    return routing.effective_rank(_entry(row))
