"""Per-connection frame rate: a token bucket plus a count of refusals that means "flood"."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from helpline.settings import Limits


class Verdict(Enum):
    ALLOW = "allow"
    LIMITED = "limited"  # refuse this frame, the client may resend later
    FLOOD = "flood"  # the client ignores refusals: close the connection


class TokenBucket:
    """`burst` frames at once, then `rate_per_s`; `flood_strikes` refusals in a row is a flood."""

    # one per open socket: slots keep an idle one small
    __slots__ = ("_at", "_clock", "_rate", "_size", "_strike_limit", "_strikes", "_tokens")

    def __init__(self, limits: Limits, clock: Callable[[], float]) -> None:
        self._rate = limits.rate_per_s
        self._size = float(limits.burst)
        self._strike_limit = limits.flood_strikes
        self._clock = clock
        self._tokens = self._size
        self._at = clock()
        self._strikes = 0

    def take(self) -> Verdict:
        now = self._clock()
        self._tokens = min(self._size, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            self._strikes = 0
            return Verdict.ALLOW
        self._strikes += 1
        return Verdict.FLOOD if self._strikes >= self._strike_limit else Verdict.LIMITED
