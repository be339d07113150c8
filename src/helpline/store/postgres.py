"""PostgresStore: the shared backend several nodes use at once, over an asyncpg pool."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]

from helpline.errors import StoreError
from helpline.store import (
    postgres_agents,
    postgres_handoff_ops,
    postgres_inbox,
    postgres_mail,
    postgres_ops,
)
from helpline.store.agent_methods import AgentMethods, AgentOps
from helpline.store.conversation_methods import ConversationMethods, ConversationOps
from helpline.store.handoff_methods import HandoffMethods, HandoffOps
from helpline.store.inbox_methods import InboxMethods, InboxOps
from helpline.store.mail_methods import MailMethods, MailOps
from helpline.store.operation import Result
from helpline.store.postgres_migrations import migrate

log = logging.getLogger(__name__)

T = TypeVar("T")

# What a broken or refused database raises: the server's errors, the driver's (a closed
# connection, a pool being closed), and the socket's. Each becomes a StoreError.
DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, asyncio.TimeoutError)


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresStore(ConversationMethods, AgentMethods, MailMethods, HandoffMethods, InboxMethods):
    """The Store contract (and AgentStore, OutboxStore, CustomerStore, HandoffStore) on
    PostgreSQL, the same tables as SQLiteStore.

    Every operation is one transaction on a pooled connection. Conversation writers take
    the conversation's row lock, so seqs stay gapless and unique however many nodes write;
    claims are conditional UPDATEs. A connection the server dropped makes that call raise
    StoreError; the pool opens a fresh connection for the next one. Query parameters in the
    URL other than libpq's (e.g. ?search_path=tenant) are sent as server settings.
    """

    _conversation_ops: ClassVar[ConversationOps] = postgres_ops
    _agent_ops: ClassVar[AgentOps] = postgres_agents
    _mail_ops: ClassVar[MailOps] = postgres_mail
    _handoff_ops: ClassVar[HandoffOps] = postgres_handoff_ops
    _inbox_ops: ClassVar[InboxOps] = postgres_inbox

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self.url = url
        self.where = redact(url)
        self._min_size = min_size
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        if self._pool is not None:
            raise StoreError(f"store {self.where} is already open")
        try:
            pool = await asyncpg.create_pool(
                self.url, min_size=self._min_size, max_size=self._max_size, timeout=10
            )
        except (*DRIVER_ERRORS, ValueError) as exc:
            raise StoreError(f"cannot open database {self.where}: {exc}") from exc
        try:
            async with pool.acquire() as conn:
                await migrate(conn)
                await postgres_inbox.migrate(conn)
        except DRIVER_ERRORS as exc:
            await pool.close()
            raise StoreError(f"cannot open database {self.where}: {exc}") from exc
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()  # waits for the operations in flight to finish

    async def _run(self, fn: Callable[..., Result[T]], *args: Any) -> T:
        """fn(conn, *args) in one transaction on a pooled connection; PostgreSQL's
        operations are coroutine functions, so fn returns an awaitable of the result."""
        pool = self._pool
        if pool is None:
            raise StoreError(f"store {self.where} is closed")
        try:
            async with pool.acquire() as conn, conn.transaction():
                return await cast(Awaitable[T], fn(conn, *args))
        except DRIVER_ERRORS as exc:
            raise StoreError(f"database {self.where}: {exc}") from exc
