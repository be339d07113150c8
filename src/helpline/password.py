"""Password hashing for agent accounts: argon2id, run off the event loop."""

from __future__ import annotations

import asyncio
import functools
import secrets
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from helpline.errors import ConfigError

if TYPE_CHECKING:
    from argon2 import PasswordHasher


@dataclass(frozen=True)
class HashParams:
    """argon2id cost; the defaults are argon2-cffi's (RFC 9106 low-memory profile)."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(
                    f"password.{f.name}", f"must be a positive integer, not {value!r}"
                )
        if self.memory_kib < 8 * self.parallelism:
            raise ConfigError("password.memory_kib", "must be at least 8 x parallelism")


# Before a stored hash, this marks the account locked (as `passwd -l` does): no password
# matches it, and unlocking gives back the old password unchanged.
LOCKED = "!"


def is_locked(password_hash: str) -> bool:
    return password_hash.startswith(LOCKED)


def locked(password_hash: str) -> str:
    return password_hash if is_locked(password_hash) else LOCKED + password_hash


def unlocked(password_hash: str) -> str:
    return password_hash.removeprefix(LOCKED)


@dataclass(frozen=True)
class Check:
    ok: bool
    rehash: bool = False  # the hash was made with other parameters: store a fresh one


class Passwords:
    """Hashes and verifies in worker threads, at most `max_concurrent` at a time.

    argon2 is slow and memory-hungry on purpose (64 MiB per hash by default); running it
    on the loop would stall every socket, and running unbounded in threads would let a
    burst of logins take memory and CPU from everything else.
    """

    def __init__(self, params: HashParams | None = None, *, max_concurrent: int = 2) -> None:
        self._params = params or HashParams()
        self._slots = asyncio.Semaphore(max_concurrent)
        self._dummy: str | None = None

    @functools.cached_property
    def _hasher(self) -> PasswordHasher:
        # argon2 (cffi) imported at the first hash, in its worker thread: a node starts
        # without it (20-40 ms of a start's CPU), and most never see a login
        from argon2 import PasswordHasher

        p = self._params
        return PasswordHasher(
            time_cost=p.time_cost, memory_cost=p.memory_kib, parallelism=p.parallelism
        )

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hash, password)

    def _hash(self, password: str) -> str:
        return self._hasher.hash(password)

    async def verify(self, password_hash: str | None, password: str) -> Check:
        """Check a password against a stored hash. With no hash (unknown account) or a
        locked one the password is still checked against a dummy hash, so the answer
        takes as long whether the account exists and is open or not."""
        if password_hash is None or is_locked(password_hash):
            await self.verify(await self._dummy_hash(), password)
            return Check(ok=False)
        async with self._slots:
            return await asyncio.to_thread(self._check, password_hash, password)

    def _check(self, password_hash: str, password: str) -> Check:
        from argon2.exceptions import InvalidHashError, VerificationError  # as _hasher's

        try:
            self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return Check(ok=False)
        return Check(ok=True, rehash=self._hasher.check_needs_rehash(password_hash))

    async def _dummy_hash(self) -> str:
        # made on first use, not at start-up: most nodes never see an unknown email
        if self._dummy is None:
            self._dummy = await self.hash(secrets.token_urlsafe(16))
        return self._dummy


def strength_problem(password: str, *, min_chars: int = 8, max_chars: int = 1024) -> str | None:
    """Why a new password is refused, or None. Length is what counts (NIST SP 800-63B)."""
    if len(password) < min_chars:
        return f"the password must have at least {min_chars} characters"
    if len(password) > max_chars:
        return f"the password must have at most {max_chars} characters"
    return None
