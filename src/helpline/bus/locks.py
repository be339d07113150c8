"""One asyncio.Lock per conversation, dropped as soon as nobody holds or waits for it."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from types import TracebackType


class LockRegistry:
    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """Run the block while no other task holds key's lock; waiters queue in order."""
        return _Hold(self, key)

    def _enter(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._users[key] = self._users.get(key, 0) + 1
        return lock

    def _leave(self, key: str) -> None:
        left = self._users[key] - 1
        if left:
            self._users[key] = left
        else:
            del self._users[key]
            del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)


class _Hold(AbstractAsyncContextManager[None]):
    """LockRegistry.hold as a plain class: every turn holds a lock, and a generator-based
    context manager costs a generator, its wrapper and two extra awaits per hold."""

    __slots__ = ("_key", "_lock", "_registry")

    def __init__(self, registry: LockRegistry, key: str) -> None:
        self._registry = registry
        self._key = key
        self._lock: asyncio.Lock | None = None

    async def __aenter__(self) -> None:
        lock = self._registry._enter(self._key)
        try:
            await lock.acquire()
        except BaseException:  # cancelled while waiting: no longer a user of the lock
            self._registry._leave(self._key)
            raise
        self._lock = lock

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        assert self._lock is not None
        self._lock.release()
        self._registry._leave(self._key)
