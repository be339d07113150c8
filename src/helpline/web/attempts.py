"""Failed login attempts per key (an email at an address, an address) in a sliding window."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable


class FailedAttempts:
    """At most `limit` failures per key within `window_s`; then `retry_after` says how long
    to wait. Kept in memory: with several nodes each node counts its own, so a client
    spreading attempts over N nodes gets up to N x limit tries per window."""

    def __init__(
        self,
        limit: int,
        window_s: float,
        clock: Callable[[], float],
        *,
        sweep_above: int = 10_000,
    ) -> None:
        self._limit = limit
        self._window_s = window_s
        self._clock = clock
        self._sweep_above = sweep_above  # keys kept before stale ones are swept out
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, *keys: str, limit: int | None = None) -> int | None:
        """Whole seconds until every key may try again, or None if all may try now
        (limit: this call's failures allowed per key, instead of the default)."""
        now = self._clock()
        waits = [self._wait(key, now, limit or self._limit) for key in keys]
        longest = max((w for w in waits if w is not None), default=None)
        return None if longest is None else max(1, math.ceil(longest))

    def record(self, *keys: str) -> None:
        """Count one failure for each key. Call it before checking the password, so that
        guesses sent at once cannot all pass the limit while the first is being checked."""
        now = self._clock()
        if len(self._failures) > self._sweep_above:
            self._sweep(now)
        for key in keys:
            self._failures.setdefault(key, deque()).append(now)

    def forgive(self, key: str) -> None:
        """Take back the latest failure of key (the attempt succeeded after all)."""
        times = self._failures.get(key)
        if times:
            times.pop()
            if not times:
                del self._failures[key]

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    def __len__(self) -> int:
        return len(self._failures)

    def _wait(self, key: str, now: float, limit: int) -> float | None:
        times = self._failures.get(key)
        if not times:
            return None
        self._drop_old(times, now)
        if len(times) < limit:
            return None
        return times[-limit] + self._window_s - now

    def _drop_old(self, times: deque[float], now: float) -> None:
        while times and times[0] <= now - self._window_s:
            times.popleft()

    def _sweep(self, now: float) -> None:
        for key in list(self._failures):
            times = self._failures[key]
            self._drop_old(times, now)
            if not times:
                del self._failures[key]
