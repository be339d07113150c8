"""PostgresStore: the shared backend several nodes use at once, over an asyncpg pool."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]

from helpline.errors import StoreError
from helpline.store import postgres_ops as ops
from helpline.store.base import Appended, Conversation, Event, Message, TurnRecord
from helpline.store.postgres_agents import PostgresAgentMethods
from helpline.store.postgres_handoff import PostgresHandoffMethods
from helpline.store.postgres_mail import PostgresMailMethods
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


class PostgresStore(PostgresAgentMethods, PostgresMailMethods, PostgresHandoffMethods):
    """The Store contract (and AgentStore, OutboxStore, CustomerStore, HandoffStore) on
    PostgreSQL, the same tables as SQLiteStore.

    Every operation is one transaction on a pooled connection. Conversation writers take
    the conversation's row lock, so seqs stay gapless and unique however many nodes write;
    claims are conditional UPDATEs. A connection the server dropped makes that call raise
    StoreError; the pool opens a fresh connection for the next one. Query parameters in the
    URL other than libpq's (e.g. ?search_path=tenant) are sent as server settings.
    """

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

    async def _run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """fn(conn, *args) in one transaction on a pooled connection."""
        pool = self._pool
        if pool is None:
            raise StoreError(f"store {self.where} is closed")
        try:
            async with pool.acquire() as conn, conn.transaction():
                return await fn(conn, *args)
        except DRIVER_ERRORS as exc:
            raise StoreError(f"database {self.where}: {exc}") from exc

    async def create_conversation(
        self,
        *,
        token: str,
        language: str | None,
        customer_id: str | None = None,
        customer_name: str | None = None,
        now: float,
    ) -> Conversation:
        conv = Conversation(
            id=f"c_{uuid.uuid4().hex}",
            token=token,
            status="bot",
            language=language,
            customer_id=customer_id,
            customer_name=customer_name,
            bot_state={},
            last_seq=0,
            created_at=now,
            updated_at=now,
        )
        return await self._run(ops.create_conversation, conv)

    async def conversation(self, conversation_id: str) -> Conversation | None:
        return await self._run(ops.conversation, conversation_id, "id")

    async def conversation_by_token(self, token: str) -> Conversation | None:
        return await self._run(ops.conversation, token, "token")

    async def append_customer_message(
        self, conversation_id: str, client_id: str, body: Mapping[str, Any], now: float
    ) -> Appended:
        return await self._run(ops.append_customer_message, conversation_id, client_id, body, now)

    async def commit_turn(self, record: TurnRecord, now: float) -> list[Message]:
        return await self._run(ops.commit_turn, record, now)

    async def messages_after(
        self, conversation_id: str, seq: int, limit: int = 500
    ) -> list[Message]:
        return await self._run(ops.messages_after, conversation_id, seq, limit)

    async def unanswered_customer_messages(self, conversation_id: str) -> list[Message]:
        return await self._run(ops.unanswered_customer_messages, conversation_id)

    async def events(self, conversation_id: str) -> list[Event]:
        return await self._run(ops.events, conversation_id)
