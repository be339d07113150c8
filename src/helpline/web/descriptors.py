"""File-descriptor head-room: how many this process has open, and when to refuse sockets.

Every socket is a descriptor. When a process reaches RLIMIT_NOFILE, accept() fails and so
does everything else that opens a file: SQLite answered "unable to open database file"
and /healthz failed with ~1,000 idle sockets under `ulimit -n 1024`. So new sockets are
refused while fewer than `reserve` descriptors are left, and the store keeps working.
"""

from __future__ import annotations

import logging
import math
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass

from helpline.errors import ConfigError

log = logging.getLogger(__name__)

# Linux and macOS list a process's open descriptors here; elsewhere nothing is counted
_FD_DIRS = ("/proc/self/fd", "/dev/fd")


@dataclass(frozen=True)
class Descriptors:
    """A snapshot: open descriptors, the soft limit read at start, the reserve kept free."""

    open: int | None  # None: this system cannot say
    limit: int
    reserve: int

    @property
    def refusing(self) -> bool:
        return self.open is not None and self.open >= self.limit - self.reserve

    def as_json(self) -> dict[str, object]:
        return {
            "open": self.open, "limit": self.limit, "reserve": self.reserve,
            "refusing": self.refusing,
        }  # fmt: skip


def count_open() -> int | None:
    """This process's open descriptors (a directory listing: well under a millisecond for
    a thousand), or None where no listing exists."""
    for folder in _FD_DIRS:
        try:
            return len(os.listdir(folder)) - 1  # the listing's own descriptor
        except OSError:
            continue
    return None


class DescriptorBudget:
    """The soft RLIMIT_NOFILE of this process as it started, less the reserve.

    Listing the descriptors costs time in proportion to how many are open (milliseconds at
    tens of thousands), so an upgrade does not list them every time: it counts the sockets
    admitted since the last listing on top of it, and lists again after RECOUNT_S (more
    often when that estimate comes near the line)."""

    RECOUNT_S = 0.5
    NEAR_RECOUNT_S = 0.05
    NEAR = 64  # descriptors from the line within which they are listed every NEAR_RECOUNT_S

    def __init__(
        self,
        reserve: int,
        count: Callable[[], int | None] = count_open,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        self.limit = soft if soft != resource.RLIM_INFINITY else 1 << 20
        if reserve >= self.limit:
            raise ConfigError(
                "connections.fd_reserve",
                f"{reserve} is not below this process's descriptor limit {self.limit} "
                "(raise `ulimit -n` or lower the reserve)",
            )
        self.reserve = reserve
        self._count, self._clock = count, clock
        self._listed: int | None = None
        self._listed_at = -math.inf
        self._admitted_since = 0
        self._short = False

    def now(self) -> Descriptors:
        """A fresh listing (for /healthz)."""
        self._listed, self._listed_at, self._admitted_since = self._count(), self._clock(), 0
        found = Descriptors(self._listed, self.limit, self.reserve)
        if found.refusing != self._short:  # said once per change, never once per refusal
            self._short = found.refusing
            if found.refusing:
                log.warning("refusing new connections: %s of %d descriptors open, reserve %d",
                            found.open, self.limit, self.reserve)  # fmt: skip
            else:
                log.warning("taking new connections again: descriptors back above the reserve")
        return found

    def last(self) -> Descriptors:
        """The last listing, with the sockets admitted since (no new listing)."""
        estimate = None if self._listed is None else self._listed + self._admitted_since
        return Descriptors(estimate, self.limit, self.reserve)

    def refusing(self) -> bool:
        """Whether a new connection must be refused: the estimate, or a listing when due
        (every RECOUNT_S; every NEAR_RECOUNT_S close to the line, so closed sockets are seen
        soon while a flood of refused connections costs one listing per interval)."""
        estimate = self.last()
        line = self.limit - self.reserve
        near = estimate.open is not None and estimate.open >= line - self.NEAR
        due = self.NEAR_RECOUNT_S if near else self.RECOUNT_S
        if self._clock() - self._listed_at >= due:
            return self.now().refusing
        return estimate.refusing

    def admitted(self) -> None:
        """One more descriptor (an accepted connection) since the last listing."""
        self._admitted_since += 1
