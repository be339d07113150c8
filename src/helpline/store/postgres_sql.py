"""The statements PostgreSQL's operations share: an event, a message, the next seq."""

# Every operation runs in one transaction on a pooled connection (PostgresStore._run), so
# a function that raises halfway leaves nothing behind. Writers to one conversation take
# its row lock first (FOR UPDATE, or the UPDATE of next_seq): that serialises seqs across
# every node.

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from helpline.store.rows import EVENT_COLUMNS, MESSAGE_COLUMNS, dump, unknown

INSERT_EVENT = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES ($1, $2, $3, $4)"
INSERT_MESSAGE = f"INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"


async def add_event(
    conn: asyncpg.Connection, conversation_id: str, kind: str, data: Mapping[str, Any], now: float
) -> None:
    await conn.execute(INSERT_EVENT, conversation_id, kind, dump(data), now)


async def add_events(
    conn: asyncpg.Connection, conversation_id: str, events: Iterable[tuple[str, str]], now: float
) -> None:
    """Several events of one conversation, their data already JSON text."""
    rows = [(conversation_id, kind, data, now) for kind, data in events]
    if rows:
        await conn.executemany(INSERT_EVENT, rows)


async def add_message(
    conn: asyncpg.Connection, conversation_id: str, seq: int, sender: str, body: str,
    client_id: str | None, now: float,
) -> None:  # fmt: skip
    """One message, its body already JSON text."""
    await conn.execute(INSERT_MESSAGE, conversation_id, seq, sender, body, client_id, now)


async def next_seq(conn: asyncpg.Connection, conversation_id: str, now: float) -> int:
    """Take the conversation's next seq; holds its row lock until the transaction ends
    (StoreError for an unknown conversation)."""
    seq = await conn.fetchval(
        "UPDATE conversations SET last_seq = last_seq + 1, updated_at = $1 WHERE id = $2"
        " RETURNING last_seq",
        now,
        conversation_id,
    )
    if seq is None:
        raise unknown(conversation_id)
    return int(seq)


def changed_one(status: str) -> bool:
    """Whether a conditional UPDATE or DELETE (its command status, "UPDATE 1") touched
    exactly one row."""
    return status.rpartition(" ")[2] == "1"
