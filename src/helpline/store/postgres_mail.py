"""Outbox and customers on PostgreSQL: the operations PostgresStore runs for MailMethods."""

# Like postgres_ops: coroutines on a connection, each run in its own transaction.

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from helpline.errors import StoreError
from helpline.store import postgres_ops as ops
from helpline.store.base import Appended, Conversation, Message
from helpline.store.outbox import OutboxEmail

# How long an email taken by one node's sender stays out of every other node's batches.
# Longer than a batch takes to send (each attempt is bounded by the SMTP timeout); if the
# node dies holding it, the email is due again after this and is sent at least once.
CLAIM_LEASE_S = 900.0

_OUTBOX_COLUMNS = (
    "id, recipient, subject, body, conversation_id, status, attempts, next_attempt_at,"
    " last_error, created_at, sent_at"
)
_CONVERSATIONS = f"SELECT {ops.CONVERSATION_COLUMNS} FROM conversations"


def _email(row: asyncpg.Record) -> OutboxEmail:
    return OutboxEmail(**{name: row[name] for name in _OUTBOX_COLUMNS.split(", ")})


async def insert_email(
    conn: asyncpg.Connection,
    recipient: str,
    subject: str,
    body: str,
    conversation_id: str | None,
    now: float,
) -> OutboxEmail:
    row = await conn.fetchrow(
        "INSERT INTO outbox (recipient, subject, body, conversation_id, status, attempts,"
        " next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 'queued', 0, $5, $5)"
        f" RETURNING {_OUTBOX_COLUMNS}",
        recipient,
        subject,
        body,
        conversation_id,
        now,
    )
    if conversation_id is not None:
        await ops.event(conn, conversation_id, "email.queued", {"email": row["id"]}, now)
    return _email(row)


async def claim_due(conn: asyncpg.Connection, now: float, limit: int) -> list[OutboxEmail]:
    """The due emails no other sender holds, each pushed a lease ahead so no other node
    takes it; returned as they were before the lease (mark_email_* settles them)."""
    rows = await conn.fetch(
        "WITH due AS (SELECT * FROM outbox WHERE status = 'queued' AND next_attempt_at <= $1"
        " ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)"
        " UPDATE outbox o SET next_attempt_at = $1 + $3 FROM due WHERE o.id = due.id"
        f" RETURNING {', '.join('due.' + c for c in _OUTBOX_COLUMNS.split(', '))}",
        now,
        limit,
        CLAIM_LEASE_S,
    )
    return sorted((_email(r) for r in rows), key=lambda e: (e.next_attempt_at, e.id))


async def select_next_due(conn: asyncpg.Connection) -> float | None:
    due = await conn.fetchval("SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'queued'")
    return float(due) if due is not None else None


async def select_email(conn: asyncpg.Connection, email_id: int) -> OutboxEmail | None:
    row = await conn.fetchrow(f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE id = $1", email_id)
    return _email(row) if row else None


async def update_sent(conn: asyncpg.Connection, email_id: int, now: float) -> None:
    row = await conn.fetchrow(
        "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = $1,"
        " last_error = NULL WHERE id = $2 RETURNING conversation_id",
        now,
        email_id,
    )
    if row is None:
        raise StoreError(f"no email {email_id} in the outbox")
    if row["conversation_id"] is not None:
        await ops.event(conn, row["conversation_id"], "email.sent", {"email": email_id}, now)


async def update_failed(
    conn: asyncpg.Connection, email_id: int, error: str, retry_at: float | None, now: float
) -> OutboxEmail:
    status = "queued" if retry_at is not None else "failed"
    # a give-up keeps the time it was due before the claim's lease, as SQLite's does
    row = await conn.fetchrow(
        "UPDATE outbox SET status = $1, attempts = attempts + 1, last_error = $2,"
        " next_attempt_at = COALESCE($3, LEAST(next_attempt_at, $4))"
        f" WHERE id = $5 RETURNING {_OUTBOX_COLUMNS}",
        status,
        error[:1000],
        retry_at,
        now,
        email_id,
    )
    if row is None:
        raise StoreError(f"no email {email_id} in the outbox")
    email = _email(row)
    if status == "failed" and email.conversation_id is not None:
        data = {"email": email_id, "attempts": email.attempts}
        await ops.event(conn, email.conversation_id, "email.failed", data, now)
    return email


async def insert_identified(
    conn: asyncpg.Connection, conv: Conversation, email: str | None
) -> None:
    await ops.create_conversation(conn, conv)
    data = {"customer_id": conv.customer_id}
    await ops.event(conn, conv.id, "customer.identified", data, conv.created_at)
    if email:
        await _keep_email(conn, conv.id, email, "identity", None, None, conv.created_at)


async def _keep_email(
    conn: asyncpg.Connection,
    cid: str,
    email: str,
    source: str,
    client_id: str | None,
    seq: int | None,
    now: float,
) -> None:
    status = await conn.execute(
        "UPDATE conversations SET customer_email = $1 WHERE id = $2", email, cid
    )
    if status == "UPDATE 0":
        raise ops.unknown(cid)
    data = {"email": email, "source": source, "client_id": client_id, "seq": seq}
    await ops.event(conn, cid, "customer.email", data, now)


async def submit_email(
    conn: asyncpg.Connection,
    cid: str,
    client_id: str,
    email: str,
    confirmation: Mapping[str, Any],
    now: float,
) -> Appended:
    # the row lock first, so a resend on another node waits and then finds the first one
    if await conn.fetchval("SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE", cid) is None:
        raise ops.unknown(cid)
    earlier = await conn.fetchval(
        "SELECT (data::jsonb ->> 'seq')::int FROM events WHERE conversation_id = $1"
        " AND kind = 'customer.email' AND data::jsonb ->> 'client_id' = $2",
        cid,
        client_id,
    )
    if earlier is not None:
        stored = await ops.messages_after(conn, cid, earlier - 1, 1)
        return Appended(stored[0], duplicate=True, answered=True)
    seq = await ops.next_seq(conn, cid, now)
    await conn.execute(
        f"INSERT INTO messages ({ops.MESSAGE_COLUMNS}) VALUES ($1, $2, 'bot', $3, NULL, $4)",
        cid,
        seq,
        ops.dump(confirmation),
        now,
    )
    await _keep_email(conn, cid, email, "customer", client_id, seq, now)
    message = Message(cid, seq, "bot", dict(confirmation), None, now)
    return Appended(message, duplicate=False, answered=True)


async def select_customer_email(conn: asyncpg.Connection, cid: str) -> str | None:
    found: str | None = await conn.fetchval(
        "SELECT customer_email FROM conversations WHERE id = $1", cid
    )
    return found


async def select_by_customer(
    conn: asyncpg.Connection, customer_id: str, limit: int
) -> list[Conversation]:
    rows = await conn.fetch(
        f"{_CONVERSATIONS} WHERE customer_id = $1 ORDER BY created_at DESC, id LIMIT $2",
        customer_id,
        limit,
    )
    return [ops.to_conversation(r) for r in rows]


async def select_latest_open(conn: asyncpg.Connection, customer_id: str) -> Conversation | None:
    row = await conn.fetchrow(
        f"{_CONVERSATIONS} WHERE customer_id = $1 AND status != 'closed'"
        " ORDER BY updated_at DESC, id LIMIT 1",
        customer_id,
    )
    return ops.to_conversation(row) if row else None
