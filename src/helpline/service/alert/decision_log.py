"""A node's running copy of the recent decisions' times, per key, so a spike check reads
only what was decided since the last one (a day re-read every minute is a second and a
half of SQLite on a busy desk: bench/spike_check.py)."""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from helpline.spike import decision_key
from helpline.store.alerts import StoredDecision

# A turn reads the clock before its commit lands, so a decision can become readable a
# little after its own time: each read starts this far before the last one ended (decisions
# read twice are told apart by id). A commit minutes late would be a stuck database.
OVERLAP_S = 60.0


class DecisionLog:
    """Times of the decisions in (covered_from, read_until], per key (spike.decision_key)."""

    def __init__(self) -> None:
        self._times: dict[str, list[float]] = {}
        self._recent_ids: dict[int, float] = {}  # id -> time, for decisions in the overlap
        self.covered_from: float | None = None  # None: nothing read yet
        self.read_until = 0.0

    def to_read(self, since: float, until: float) -> list[tuple[float, float]]:
        """The (since, until] spans still to read for the log to cover (since, until]:
        what is new (from OVERLAP_S before the last read), and what is older than the log
        reaches (a longer baseline in reloaded rules)."""
        if self.covered_from is None or since >= self.read_until:
            return [(since, until)]
        spans = [(max(since, self.read_until - OVERLAP_S), until)]
        if since < self.covered_from:
            spans.insert(0, (since, self.covered_from))
        return spans

    def add(self, decisions: Iterable[StoredDecision], since: float, until: float) -> None:
        """What a read of (since, until] found."""
        for found in decisions:
            key = decision_key(found.decision, found.intent)
            if key is None or found.id in self._recent_ids:
                continue
            self._recent_ids[found.id] = found.created_at
            times = self._times.setdefault(key, [])
            if not times or times[-1] <= found.created_at:
                times.append(found.created_at)
            else:  # committed late, or an older span read after a newer one
                bisect.insort(times, found.created_at)
        self.covered_from = since if self.covered_from is None else min(self.covered_from, since)
        self.read_until = max(self.read_until, until)

    def forget_before(self, since: float) -> None:
        """Drop what no window reaches any more (at or before since), and the ids of
        decisions no later read can find again."""
        for key in list(self._times):
            times = self._times[key]
            del times[: bisect.bisect_right(times, since)]
            if not times:
                del self._times[key]
        horizon = self.read_until - OVERLAP_S
        self._recent_ids = {i: t for i, t in self._recent_ids.items() if t > horizon}
        if self.covered_from is not None:
            self.covered_from = max(self.covered_from, since)

    def counts(
        self, since: float, split: float, until: float
    ) -> tuple[dict[str, int], dict[str, int]]:
        """Per key: decisions in (split, until] (recent) and in (since, split] (baseline)."""
        recent: dict[str, int] = {}
        baseline: dict[str, int] = {}
        for key, times in self._times.items():
            low = bisect.bisect_right(times, since)
            middle = bisect.bisect_right(times, split)
            high = bisect.bisect_right(times, until)
            if high > middle:
                recent[key] = high - middle
            if middle > low:
                baseline[key] = middle - low
        return recent, baseline
