"""The queue's lines, one per team, kept in queue order as conversations join, move and
leave, and from where in each line places may have moved since last asked."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterable, Iterator
from heapq import merge

from helpline.routing import QueueKey


class Lines:
    """Each team's line is a list of routing.queue_key values kept sorted, so it is always
    routing.queue_order of its entries without sorting them: finding a place is a binary
    search, and a join or a leave shifts the list's tail (one memmove: microseconds at
    thousands waiting, against milliseconds for a sort with a Python key)."""

    def __init__(self) -> None:
        self._lines: dict[str, list[QueueKey]] = {}
        self._where: dict[str, tuple[str, QueueKey]] = {}  # conversation id -> (team, key)
        # team -> the lowest index whose occupant may have changed since take_moved(): each
        # place from there to the end may have moved, none before it has
        self._moved_from: dict[str, int] = {}

    def put(self, conversation_id: str, team: str, key: QueueKey) -> None:
        """The conversation stands in team's line at key (joining, or moving there)."""
        found = self._where.get(conversation_id)
        if found == (team, key):
            return  # an offer, or a row read again unchanged: nobody's place moved
        if found is not None:
            self._take_out(*found)
        line = self._lines.setdefault(team, [])
        index = bisect_left(line, key)
        line.insert(index, key)
        self._where[conversation_id] = (team, key)
        self._moved(team, index)

    def remove(self, conversation_id: str) -> None:
        found = self._where.pop(conversation_id, None)
        if found is not None:
            self._take_out(*found)

    def _take_out(self, team: str, key: QueueKey) -> None:
        line = self._lines[team]
        index = bisect_left(line, key)
        del line[index]
        if line:
            self._moved(team, index)
        else:
            del self._lines[team]
            self._moved_from.pop(team, None)

    def _moved(self, team: str, index: int) -> None:
        self._moved_from[team] = min(index, self._moved_from.get(team, index))

    def take_moved(self) -> dict[str, int]:
        """Per team, the index from which places may have moved since the last call."""
        moved, self._moved_from = self._moved_from, {}
        return moved

    # --- queries -------------------------------------------------------------------------

    def teams(self) -> list[str]:
        """Teams with anyone in line."""
        return list(self._lines)

    def team_of(self, conversation_id: str) -> str | None:
        found = self._where.get(conversation_id)
        return found[0] if found is not None else None

    def position(self, conversation_id: str) -> int | None:
        """1-based place in its team's line; None when not in any."""
        found = self._where.get(conversation_id)
        if found is None:
            return None
        team, key = found
        return bisect_left(self._lines[team], key) + 1

    def would_stand(self, conversation_id: str, team: str, key: QueueKey) -> int:
        """The 1-based place the conversation would have at key in team's line (where it
        stands now, if anywhere, does not count)."""
        line = self._lines.get(team, [])
        index = bisect_left(line, key)
        found = self._where.get(conversation_id)
        if found is not None and found[0] == team and found[1] < key:
            index -= 1  # it is ahead of key now: the place it leaves closes up
        return index + 1

    def size(self, teams: Iterable[str] | None = None) -> int:
        lines = self._lines.values() if teams is None else map(self._line, teams)
        return sum(map(len, lines))

    def ids(self, team: str, start: int = 0) -> list[str]:
        """The team's line from index start on, in order."""
        return [key[2] for key in self._line(team)[start:]]

    def in_order(self, teams: Collection[str] | None = None) -> Iterator[tuple[str, int]]:
        """(conversation id, place in its own team's line) across the teams (None: all),
        in queue order; lazy, so the first few cost only what they take."""
        chosen = self._lines if teams is None else {t: self._line(t) for t in set(teams)}
        numbered = (zip(line, range(1, len(line) + 1), strict=True) for line in chosen.values())
        return ((key[2], place) for key, place in merge(*numbered))

    def walk(
        self, teams: Callable[[], Collection[str]], wanted: Callable[[str], bool]
    ) -> Iterator[str]:
        """Conversation ids for which wanted(id) holds, of the teams teams() names, in queue
        order across them, each once. Both are asked again at every step and the lines read
        as they are then, so a team that stopped being named (its seats filled) is left at
        once; a conversation that joins ahead of where the walk has got waits for the next."""
        after: dict[str, QueueKey] = {}  # team -> the last key handed out from its line
        exhausted: set[str] = set()  # teams with nothing wanted past `after`
        while True:
            best: tuple[QueueKey, str] | None = None
            for team in teams():
                key = None if team in exhausted else self._first(team, after.get(team), wanted)
                if key is None:
                    exhausted.add(team)
                elif best is None or key < best[0]:
                    best = (key, team)
            if best is None:
                return
            after[best[1]] = best[0]
            yield best[0][2]

    def _first(
        self, team: str, after: QueueKey | None, wanted: Callable[[str], bool]
    ) -> QueueKey | None:
        line = self._line(team)
        index = 0 if after is None else bisect_right(line, after)
        while index < len(line):
            if wanted(line[index][2]):
                return line[index]
            index += 1
        return None

    def _line(self, team: str) -> list[QueueKey]:
        return self._lines.get(team, [])
