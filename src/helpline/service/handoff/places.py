"""What waiting customers are told of their place in line, and which places may have moved
since: the bookkeeping that lets a pass after a change work out only those."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import cached_property
from itertools import chain

from helpline import routing
from helpline.routing import AgentLoad
from helpline.service.handoff.line import Lines


@dataclass(frozen=True)
class Place:
    """What a waiting customer is told: queue.position's fields."""

    position: int
    eta_s: float | None
    agents_online: int


@dataclass(frozen=True)
class Pool:
    """A team's online agents as the wait estimate sees them: a place in the team's line
    depends on nothing else but its position and the typical handling time."""

    team: str
    slots: int
    free: int
    members: int

    @classmethod
    def of(cls, team: str, loads: Iterable[AgentLoad]) -> Pool:
        members = [a for a in loads if team in a.teams and a.status == "online"]
        slots = sum(a.capacity for a in members)
        return cls(team, slots, sum(a.free for a in members), len(members))

    @cached_property
    def _as_one_agent(self) -> list[AgentLoad]:
        # one aggregate agent gives estimate_wait the same slots and free capacity, so each
        # place costs O(1) instead of a pass over the team
        if not self.slots:
            return []
        return [AgentLoad("team", (self.team,), "online", self.slots - self.free, self.slots)]

    def place(self, position: int, typical_handle_s: float) -> Place:
        eta = routing.estimate_wait(position, self._as_one_agent, self.team, [typical_handle_s])
        return Place(position, eta, self.members)


class Told:
    """The last place each customer was sent, and what may make it stale: a move in their
    team's line (Lines.take_moved), a change of the team's pool or of the typical handling
    time, or the customer being owed one anew (what they were told was forgotten)."""

    def __init__(self) -> None:
        self._told: dict[str, Place] = {}  # the last queue.position each customer was sent
        self._owed: set[str] = set()
        # team -> what its places were last worked out from: when that changes, every
        # place in the line may have
        self._pools: dict[str, tuple[Pool, float]] = {}

    def was_told(self, conversation_id: str, place: Place) -> bool:
        return self._told.get(conversation_id) == place

    def told(self, conversation_id: str, place: Place) -> None:
        self._told[conversation_id] = place

    def forget(self, conversation_id: str, *, owed: bool) -> None:
        """What the customer was told no longer holds (owed: they are still in line, and
        may be told again though their place did not move)."""
        self._told.pop(conversation_id, None)
        if owed:
            self._owed.add(conversation_id)
        else:
            self._owed.discard(conversation_id)

    def check_again(self, conversation_id: str) -> None:
        """The customer may be owed their place though it did not move (they came here)."""
        self._owed.add(conversation_id)

    def owe(self, conversation_ids: Iterable[str]) -> None:
        """What these customers were told may not have reached them: tell them again."""
        for cid in conversation_ids:
            self.forget(cid, owed=True)

    def due(
        self, lines: Lines, pool_of: Callable[[str], Pool], typical_handle_s: float,
        left_out: Collection[str],
    ) -> list[tuple[str, Place]]:  # fmt: skip
        """Every place in line that may differ from what its customer was told, and no
        more (left_out: customers not to be told any); resets what made them due."""
        moved, owed = lines.take_moved(), self._owed_by_team(lines)
        teams = lines.teams()
        for gone in set(self._pools) - set(teams):
            del self._pools[gone]
        found: list[tuple[str, Place]] = []
        for team in teams:
            pool, start = pool_of(team), moved.get(team)
            if self._pools.get(team) != (pool, typical_handle_s):
                self._pools[team], start = (pool, typical_handle_s), 0
            moved_on = enumerate(lines.ids(team, start), start + 1) if start is not None else ()
            before = [(n, cid) for n, cid in owed.get(team, ()) if start is None or n <= start]
            found += [
                (cid, pool.place(n, typical_handle_s)) for n, cid in chain(moved_on, before)
                if cid not in left_out
            ]  # fmt: skip
        return found

    def _owed_by_team(self, lines: Lines) -> dict[str, list[tuple[int, str]]]:
        owed: dict[str, list[tuple[int, str]]] = {}
        for cid in self._owed:
            team, position = lines.team_of(cid), lines.position(cid)
            if team is not None and position is not None:
                owed.setdefault(team, []).append((position, cid))
        self._owed = set()
        return owed
