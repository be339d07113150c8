"""Per-conversation locks that hold across the processes of one machine: fcntl locks on
one file, a byte per stripe of conversations.

For the workers of `helpline serve --workers N`, which share one machine: taking and
freeing a lock is one system call each, where a Redis lock is two round trips (SET NX,
then a script to free it) and cost about a fifth of a message's CPU. The kernel frees a
dead process's locks at once, so a worker killed with -9 keeps nobody waiting (a Redis
lock waits out its expiry). Nodes on several machines need the Redis locks instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

from helpline.bus.locks import LockRegistry
from helpline.errors import BusUnavailableError

# Conversations are hashed onto this many bytes of the file: two of them on one stripe
# only wait for each other when two processes run their turns at the same moment.
STRIPES = 1 << 16
_POLL_S = (0.0005, 0.001, 0.002, 0.005)  # waits between tries while another process holds it


class FileLockRegistry(LockRegistry):
    """LockRegistry's per-key lock, also across every process locking the same file.

    Tasks of this process queue on the in-process lock first (in order); the one in front
    then takes its stripe's byte with a non-blocking F_SETLK. fcntl locks belong to the
    process, not the task, so a stripe two keys of this process share is locked once and
    freed when the last of them lets go (a count per stripe).
    """

    def __init__(self, path: str | os.PathLike[str], *, wait_s: float = 60.0) -> None:
        super().__init__()
        self.path = Path(path)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        self._wait_s = wait_s
        self._held: dict[int, int] = {}  # stripe -> keys of this process holding it

    def __bool__(self) -> bool:
        return True  # an idle registry is still this one (see RedisLockRegistry)

    def close(self) -> None:
        os.close(self._fd)  # frees every stripe this process holds

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        async with super().hold(key):
            stripe = zlib.crc32(key.encode()) % STRIPES
            await self._acquire(stripe, key)
            try:
                yield
            finally:
                self._release(stripe)

    async def _acquire(self, stripe: int, key: str) -> None:
        if self._held.get(stripe):
            self._held[stripe] += 1
            return
        deadline = time.monotonic() + self._wait_s
        attempt = 0
        while not self._try(stripe):
            if time.monotonic() >= deadline:
                raise BusUnavailableError(key, f"still locked elsewhere after {self._wait_s:.0f}s")
            await asyncio.sleep(_POLL_S[min(attempt, len(_POLL_S) - 1)])
            attempt += 1
        # a key of ours that took the stripe meanwhile holds it too: locking it again
        # succeeded at once, and the count keeps it until both let go
        self._held[stripe] = self._held.get(stripe, 0) + 1

    def _try(self, stripe: int) -> bool:
        try:
            fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, stripe)
        except (BlockingIOError, PermissionError):  # EAGAIN or EACCES: held elsewhere
            return False
        return True

    def _release(self, stripe: int) -> None:
        self._held[stripe] -= 1
        if not self._held[stripe]:
            del self._held[stripe]
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, stripe)
