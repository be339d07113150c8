"""Live-agent queue policy: queue order, team choice, agent assignment, expected wait."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields

from helpline.errors import ConfigError

PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
DEFAULT_HANDLE_S = 300.0  # assumed handling time until real ones have been recorded


@dataclass(frozen=True)
class QueueEntry:
    conversation_id: str
    team: str
    priority: str  # low | normal | high | urgent, from the intent
    enqueued_at: float
    frustration: float = 0.0  # conversation level when it was queued or last updated
    urgent: bool = False  # set by a supervisor or by the product (e.g. account hacked)


@dataclass(frozen=True)
class AgentLoad:
    agent_id: str
    teams: tuple[str, ...]
    status: str  # online | away | offline
    active: int  # conversations assigned now (accepted or pending)
    capacity: int
    last_assigned_at: float = 0.0

    @property
    def free(self) -> int:
        return max(self.capacity - self.active, 0) if self.status == "online" else 0


def effective_rank(entry: QueueEntry, frustration_bump_at: float = 0.7) -> int:
    """Priority rank, raised one step by frustration and set to the top by `urgent`."""
    if entry.urgent:
        return PRIORITY_RANK["urgent"]
    rank = PRIORITY_RANK.get(entry.priority, PRIORITY_RANK["normal"])
    if entry.frustration >= frustration_bump_at:
        rank = min(rank + 1, PRIORITY_RANK["urgent"])
    return rank


QueueKey = tuple[int, float, str]  # where an entry stands: smaller is served sooner


def queue_key(entry: QueueEntry) -> QueueKey:
    """Highest priority first, then longest waiting; the id breaks exact ties stably.
    Unique per conversation, so a line kept sorted by it needs no other tie-break."""
    return (-effective_rank(entry), entry.enqueued_at, entry.conversation_id)


def queue_order(entries: Iterable[QueueEntry]) -> list[QueueEntry]:
    """The queue's order: the definition every ordered line must match."""
    return sorted(entries, key=queue_key)


def team_queue(entries: Iterable[QueueEntry], team: str) -> list[QueueEntry]:
    return queue_order(e for e in entries if e.team == team)


def position(entries: Iterable[QueueEntry], conversation_id: str) -> int | None:
    """1-based place of a conversation within its own team's queue."""
    entries = list(entries)
    mine = next((e for e in entries if e.conversation_id == conversation_id), None)
    if mine is None:
        return None
    ordered = team_queue(entries, mine.team)
    return next(i for i, e in enumerate(ordered, 1) if e.conversation_id == conversation_id)


def team_for(category: str | None, teams: Iterable[str], fallback_team: str) -> str:
    """The intent's category names the team when such a team exists."""
    return category if category and category in set(teams) else fallback_team


def pick_agent(
    agents: Iterable[AgentLoad], team: str, exclude: Sequence[str] = ()
) -> AgentLoad | None:
    """Online team member with free capacity: least busy first, round robin among equals."""
    eligible = [
        a for a in agents if team in a.teams and a.free > 0 and a.agent_id not in exclude
    ]
    if not eligible:
        return None
    return min(eligible, key=lambda a: (a.active, a.last_assigned_at, a.agent_id))


def typical_handle_time(recent_handle_s: Sequence[float]) -> float:
    """Median of recent handling times: robust to the odd conversation left open for hours."""
    return statistics.median(recent_handle_s) if recent_handle_s else DEFAULT_HANDLE_S


def estimate_wait(
    place: int, agents: Iterable[AgentLoad], team: str, recent_handle_s: Sequence[float]
) -> float | None:
    """Expected seconds until a person picks up the conversation at `place`.

    Each online team slot frees up about once per handling time, so the line ahead of the
    customer drains at slots / handle-time. None means nobody online can take it at all.
    """
    team_agents = [a for a in agents if team in a.teams and a.status == "online"]
    slots = sum(a.capacity for a in team_agents)
    if slots == 0:
        return None
    free = sum(a.free for a in team_agents)
    waiting_for_a_slot = max(place - free, 0)
    return math.ceil(waiting_for_a_slot * typical_handle_time(recent_handle_s) / slots)


@dataclass(frozen=True)
class QueueSettings:
    """config.yaml `queue:`; tick_s is how often offers and presence are checked."""

    fallback_team: str = "general"
    accept_timeout_s: float = 30.0  # an offer not accepted by then goes to the next agent
    max_wait_s: float = 900.0  # an expected wait above this is said honestly, with email
    presence_grace_s: float = 60.0  # a dropped agent socket counts as offline after this
    tick_s: float = 1.0
    snapshot_limit: int = 100  # queue entries an agent's queue.snapshot lists

    def __post_init__(self) -> None:
        if not self.fallback_team or not isinstance(self.fallback_team, str):
            raise ConfigError("queue.fallback_team", "must be a team name")
        for name in ("accept_timeout_s", "max_wait_s", "presence_grace_s", "tick_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"queue.{name}", f"must be a number, not {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise ConfigError(f"queue.{name}", f"must be positive, not {value!r}")


def settings_from(queue: Mapping[str, object]) -> QueueSettings:
    """config.yaml's `queue:`; keys it does not know are the loader's to warn about."""
    known = {f.name for f in fields(QueueSettings)}
    return QueueSettings(**{k: v for k, v in queue.items() if k in known})  # type: ignore[arg-type]
