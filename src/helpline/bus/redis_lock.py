"""Per-conversation locks that hold across nodes: a Redis key with a token and an expiry."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.exceptions import RedisError

from helpline.bus.locks import LockRegistry
from helpline.errors import BusUnavailableError

log = logging.getLogger(__name__)

# Deleting or extending only our own lock: a holder that outlived its expiry must not
# free (or keep) a lock another node has taken since.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_POLL_S = (0.002, 0.005, 0.01, 0.02)  # waits between attempts while another node holds it


class LockTimeoutError(BusUnavailableError):
    """Another node held a conversation's lock for longer than we may wait."""


class RedisLockRegistry(LockRegistry):
    """LockRegistry's per-key lock, also across every node sharing one Redis.

    Tasks of this node queue on the in-process lock first (in order, and only one of them
    contends in Redis); the one in front then takes `prefix + "lock:" + key` with SET NX PX
    and a random token. The expiry frees the lock of a node that died holding it; a holder
    extends it every third of the expiry, so a slow turn (a custom action) keeps it.
    """

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "helpline:",
        ttl_s: float = 10.0,  # how long a dead node's lock keeps others waiting
        wait_s: float = 60.0,
    ) -> None:
        super().__init__()
        self._client = client
        self._prefix = prefix
        self._ttl_ms = int(ttl_s * 1000)
        self._wait_s = wait_s
        self._release = client.register_script(_RELEASE)
        self._extend = client.register_script(_EXTEND)

    def __bool__(self) -> bool:
        # LockRegistry's __len__ makes an idle registry falsy; `locks or LockRegistry()`
        # must not swap this one for an in-process one
        return True

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        async with super().hold(key):
            name, token = f"{self._prefix}lock:{key}", uuid.uuid4().hex
            await self._acquire(name, token)
            keeper = asyncio.create_task(self._keep(name, token))
            try:
                yield
            finally:
                keeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await keeper
                await self._free(name, token)

    async def _acquire(self, name: str, token: str) -> None:
        deadline = time.monotonic() + self._wait_s
        attempt = 0
        while True:
            try:
                if await self._client.set(name, token, nx=True, px=self._ttl_ms):
                    return
            except (RedisError, OSError) as exc:
                raise BusUnavailableError(name, f"cannot take the lock: {exc}") from exc
            if time.monotonic() >= deadline:
                raise LockTimeoutError(name, f"still held elsewhere after {self._wait_s:.0f}s")
            # Redis has no blocking SET NX; a short back-off keeps the wait near the
            # holder's release without hammering the server
            await asyncio.sleep(_POLL_S[min(attempt, len(_POLL_S) - 1)])
            attempt += 1

    async def _keep(self, name: str, token: str) -> None:
        while True:
            await asyncio.sleep(self._ttl_ms / 3000)
            try:
                kept = await self._extend(keys=[name], args=[token, self._ttl_ms])
            except (RedisError, OSError) as exc:
                log.warning("could not extend %s: %s", name, exc)
                continue
            if not kept:
                log.warning("lost %s: held past its expiry", name)
                return

    async def _free(self, name: str, token: str) -> None:
        try:
            await self._release(keys=[name], args=[token])
        except (RedisError, OSError) as exc:
            # it expires on its own; until then other nodes wait for it
            log.warning("could not release %s: %s", name, exc)
