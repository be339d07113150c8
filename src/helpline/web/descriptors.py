"""File-descriptor head-room: how many this process has open, and when to refuse sockets.

Every socket is a descriptor. When a process reaches RLIMIT_NOFILE, accept() fails and so
does everything else that opens a file: SQLite answered "unable to open database file"
and /healthz failed with ~1,000 idle sockets under `ulimit -n 1024`. So new sockets are
refused while fewer than `reserve` descriptors are left, and the store keeps working.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Callable
from dataclasses import dataclass

from helpline.errors import ConfigError

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
    """The soft RLIMIT_NOFILE of this process as it started, less the reserve."""

    def __init__(self, reserve: int, count: Callable[[], int | None] = count_open) -> None:
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        self.limit = soft if soft != resource.RLIM_INFINITY else 1 << 20
        if reserve >= self.limit:
            raise ConfigError(
                "connections.fd_reserve",
                f"{reserve} is not below this process's descriptor limit {self.limit} "
                "(raise `ulimit -n` or lower the reserve)",
            )
        self.reserve = reserve
        self._count = count

    def now(self) -> Descriptors:
        return Descriptors(self._count(), self.limit, self.reserve)
