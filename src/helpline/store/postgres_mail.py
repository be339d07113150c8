"""The OutboxStore and CustomerStore operations on PostgreSQL: coroutines on a connection."""

# Like postgres_conversations: the connection, then the Protocol method's own arguments.

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from helpline.errors import StoreError
from helpline.store.base import Appended, Conversation, Message
from helpline.store.outbox import CLAIM_LEASE_S, OutboxEmail
from helpline.store.postgres_conversations import insert_conversation, messages_after
from helpline.store.postgres_sql import add_event, add_message, changed_one, next_seq
from helpline.store.rows import (
    CONVERSATION_COLUMNS,
    OUTBOX_COLUMNS,
    dump,
    new_conversation,
    qualified,
    to_conversation,
    to_email,
    unknown,
)

_CONVERSATIONS = f"SELECT {CONVERSATION_COLUMNS} FROM conversations"


async def enqueue_email(
    conn: asyncpg.Connection, *, recipient: str, subject: str, body: str,
    conversation_id: str | None, now: float,
) -> OutboxEmail:  # fmt: skip
    row = await conn.fetchrow(
        "INSERT INTO outbox (recipient, subject, body, conversation_id, status, attempts,"
        " next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 'queued', 0, $5, $5)"
        f" RETURNING {OUTBOX_COLUMNS}",
        recipient, subject, body, conversation_id, now,
    )  # fmt: skip
    if conversation_id is not None:
        await add_event(conn, conversation_id, "email.queued", {"email": row[0]}, now)
    return to_email(row)


async def due_emails(conn: asyncpg.Connection, now: float, limit: int) -> list[OutboxEmail]:
    """The due emails no other sender holds, each pushed a lease ahead so no other node
    takes it; returned as they were before the lease (mark_email_* settles them)."""
    rows = await conn.fetch(
        "WITH due AS (SELECT * FROM outbox WHERE status = 'queued' AND next_attempt_at <= $1"
        " ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)"
        " UPDATE outbox o SET next_attempt_at = $1 + $3 FROM due WHERE o.id = due.id"
        f" RETURNING {qualified(OUTBOX_COLUMNS, 'due')}",
        now, limit, CLAIM_LEASE_S,
    )  # fmt: skip
    return sorted((to_email(r) for r in rows), key=lambda e: (e.next_attempt_at, e.id))


async def next_email_due_at(conn: asyncpg.Connection) -> float | None:
    due = await conn.fetchval("SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'queued'")
    return float(due) if due is not None else None


async def outbox_email(conn: asyncpg.Connection, email_id: int) -> OutboxEmail | None:
    row = await conn.fetchrow(f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = $1", email_id)
    return to_email(row) if row else None


async def mark_email_sent(conn: asyncpg.Connection, email_id: int, now: float) -> None:
    row = await conn.fetchrow(
        "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = $1,"
        " last_error = NULL WHERE id = $2 RETURNING conversation_id",
        now,
        email_id,
    )
    if row is None:
        raise StoreError(f"no email {email_id} in the outbox")
    if row[0] is not None:
        await add_event(conn, row[0], "email.sent", {"email": email_id}, now)


async def mark_email_failed(
    conn: asyncpg.Connection, email_id: int, error: str, retry_at: float | None, now: float
) -> OutboxEmail:
    status = "queued" if retry_at is not None else "failed"
    # a give-up keeps the time it was due before the claim's lease, as SQLite's does
    row = await conn.fetchrow(
        "UPDATE outbox SET status = $1, attempts = attempts + 1, last_error = $2,"
        " next_attempt_at = COALESCE($3, LEAST(next_attempt_at, $4))"
        f" WHERE id = $5 RETURNING {OUTBOX_COLUMNS}",
        status, error[:1000], retry_at, now, email_id,
    )  # fmt: skip
    if row is None:
        raise StoreError(f"no email {email_id} in the outbox")
    email = to_email(row)
    if status == "failed" and email.conversation_id is not None:
        data = {"email": email_id, "attempts": email.attempts}
        await add_event(conn, email.conversation_id, "email.failed", data, now)
    return email


async def create_identified_conversation(
    conn: asyncpg.Connection, *, token: str, language: str | None, customer_id: str,
    customer_name: str | None, customer_email: str | None, now: float,
) -> Conversation:  # fmt: skip
    conv = new_conversation(
        token=token, language=language, customer_id=customer_id,
        customer_name=customer_name, now=now,
    )  # fmt: skip
    await insert_conversation(conn, conv)
    await add_event(conn, conv.id, "customer.identified", {"customer_id": customer_id}, now)
    if customer_email:
        await _keep_email(conn, conv.id, customer_email, "identity", None, None, now)
    return conv


async def _keep_email(
    conn: asyncpg.Connection, conversation_id: str, email: str, source: str,
    client_id: str | None, seq: int | None, now: float,
) -> None:  # fmt: skip
    status = await conn.execute(
        "UPDATE conversations SET customer_email = $1 WHERE id = $2", email, conversation_id
    )
    if not changed_one(status):
        raise unknown(conversation_id)
    data = {"email": email, "source": source, "client_id": client_id, "seq": seq}
    await add_event(conn, conversation_id, "customer.email", data, now)


async def submit_customer_email(
    conn: asyncpg.Connection, conversation_id: str, *, client_id: str, email: str,
    confirmation: Mapping[str, Any], now: float,
) -> Appended:  # fmt: skip
    cid = conversation_id
    # the row lock first, so a resend on another node waits and then finds the first one
    if await conn.fetchval("SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE", cid) is None:
        raise unknown(cid)
    earlier = await conn.fetchval(
        "SELECT (data::jsonb ->> 'seq')::int FROM events WHERE conversation_id = $1"
        " AND kind = 'customer.email' AND data::jsonb ->> 'client_id' = $2",
        cid,
        client_id,
    )
    if earlier is not None:
        stored = await messages_after(conn, cid, earlier - 1, 1)
        return Appended(stored[0], duplicate=True, answered=True)
    seq = await next_seq(conn, cid, now)
    await add_message(conn, cid, seq, "bot", dump(confirmation), None, now)
    await _keep_email(conn, cid, email, "customer", client_id, seq, now)
    message = Message(cid, seq, "bot", dict(confirmation), None, now)
    return Appended(message, duplicate=False, answered=True)


async def customer_email(conn: asyncpg.Connection, conversation_id: str) -> str | None:
    found: str | None = await conn.fetchval(
        "SELECT customer_email FROM conversations WHERE id = $1", conversation_id
    )
    return found


async def customer_conversations(
    conn: asyncpg.Connection, customer_id: str, limit: int = 20
) -> list[Conversation]:
    rows = await conn.fetch(
        f"{_CONVERSATIONS} WHERE customer_id = $1 ORDER BY created_at DESC, id LIMIT $2",
        customer_id,
        limit,
    )
    return [to_conversation(r) for r in rows]


async def latest_open_conversation(
    conn: asyncpg.Connection, customer_id: str
) -> Conversation | None:
    row = await conn.fetchrow(
        f"{_CONVERSATIONS} WHERE customer_id = $1 AND status != 'closed'"
        " ORDER BY updated_at DESC, id LIMIT 1",
        customer_id,
    )
    return to_conversation(row) if row else None
