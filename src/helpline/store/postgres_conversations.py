"""The Store contract's conversation operations on PostgreSQL: coroutines on a connection."""

# Each takes the connection, then the Store method's own arguments: PostgresStore makes
# the method from the function (postgres.py), and mypy checks it against the Protocol.

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from helpline.store.base import Appended, Conversation, Event, Message, TurnRecord
from helpline.store.postgres_sql import INSERT_MESSAGE, add_event, add_events, add_message
from helpline.store.rows import (
    CONVERSATION_COLUMNS,
    EVENT_COLUMNS,
    MESSAGE_COLUMNS,
    dump,
    new_conversation,
    qualified,
    to_conversation,
    to_event,
    to_message,
    unknown,
)


async def insert_conversation(conn: asyncpg.Connection, conv: Conversation) -> Conversation:
    await conn.execute(
        f"INSERT INTO conversations ({CONVERSATION_COLUMNS})"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        conv.id, conv.token, conv.status, conv.language, conv.customer_id, conv.customer_name,
        dump(conv.bot_state), conv.last_seq, conv.created_at, conv.updated_at, conv.answered_seq,
    )  # fmt: skip
    data = {"language": conv.language}
    await add_event(conn, conv.id, "conversation.started", data, conv.created_at)
    return conv


async def create_conversation(
    conn: asyncpg.Connection, *, token: str, language: str | None,
    customer_id: str | None = None, customer_name: str | None = None, now: float,
) -> Conversation:  # fmt: skip
    conv = new_conversation(
        token=token, language=language, customer_id=customer_id,
        customer_name=customer_name, now=now,
    )  # fmt: skip
    return await insert_conversation(conn, conv)


async def _conversation_where(
    conn: asyncpg.Connection, column: str, key: str
) -> Conversation | None:
    row = await conn.fetchrow(
        f"SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE {column} = $1", key
    )
    return to_conversation(row) if row else None


async def conversation(conn: asyncpg.Connection, conversation_id: str) -> Conversation | None:
    return await _conversation_where(conn, "id", conversation_id)


async def conversation_by_token(conn: asyncpg.Connection, token: str) -> Conversation | None:
    return await _conversation_where(conn, "token", token)


async def append_customer_message(
    conn: asyncpg.Connection,
    conversation_id: str,
    client_id: str,
    body: Mapping[str, Any],
    now: float,
) -> Appended:
    cid = conversation_id
    # lock first, then look for the earlier copy: a resend racing its original on another
    # node waits here and then sees it, instead of failing on the unique index
    locked = await conn.fetchrow(
        f"SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1 FOR UPDATE", cid
    )
    if locked is None:
        raise unknown(cid)
    earlier = await conn.fetchrow(
        f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND client_id = $2",
        cid,
        client_id,
    )
    if earlier:
        conv = to_conversation(locked)
        answered = earlier[1] <= conv.answered_seq
        return Appended(to_message(earlier), duplicate=True, answered=answered, conversation=conv)
    # the row comes back whole: the caller answers from it without reading it again
    row = await conn.fetchrow(
        "UPDATE conversations SET last_seq = last_seq + 1, updated_at = $1 WHERE id = $2"
        f" RETURNING {CONVERSATION_COLUMNS}",
        now,
        cid,
    )
    conv = to_conversation(row)
    seq = conv.last_seq
    await add_message(conn, cid, seq, "customer", dump(body), client_id, now)
    message = Message(cid, seq, "customer", dict(body), client_id, now)
    return Appended(message, duplicate=False, answered=False, conversation=conv)


async def commit_turn(conn: asyncpg.Connection, record: TurnRecord, now: float) -> list[Message]:
    cid = record.conversation_id
    row = await conn.fetchrow(
        "SELECT status, last_seq FROM conversations WHERE id = $1 FOR UPDATE", cid
    )
    if row is None:
        raise unknown(cid)
    old_status, last_seq = row["status"], row["last_seq"]
    events = [(kind, dump(data)) for kind, data in record.events]
    if old_status != record.status and all(k != "status.changed" for k, _ in events):
        events.append(("status.changed", dump({"from": old_status, "to": record.status})))
    rows = [
        (cid, last_seq + i, out.sender, dump(out.body), None, now)
        for i, out in enumerate(record.messages, 1)
    ]
    if rows:
        await conn.executemany(INSERT_MESSAGE, rows)
    await add_events(conn, cid, events, now)
    await conn.execute(
        "UPDATE conversations SET status = $1, bot_state = $2, language = $3, last_seq = $4,"
        " answered_seq = GREATEST(answered_seq, $5), updated_at = $6 WHERE id = $7",
        record.status, dump(record.bot_state), record.language, last_seq + len(rows),
        record.answers_seq or 0, now, cid,
    )  # fmt: skip
    return [
        Message(cid, r[1], r[2], dict(out.body), None, now)
        for r, out in zip(rows, record.messages, strict=True)
    ]


async def messages_after(
    conn: asyncpg.Connection, conversation_id: str, seq: int, limit: int = 500
) -> list[Message]:
    rows = await conn.fetch(
        f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND seq > $2"
        " ORDER BY seq LIMIT $3",
        conversation_id,
        seq,
        limit,
    )
    return [to_message(r) for r in rows]


async def unanswered_customer_messages(
    conn: asyncpg.Connection, conversation_id: str
) -> list[Message]:
    rows = await conn.fetch(
        f"SELECT {qualified(MESSAGE_COLUMNS, 'm')}"
        " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE m.conversation_id = $1 AND m.seq > c.answered_seq AND m.sender = 'customer'"
        " ORDER BY m.seq",
        conversation_id,
    )
    return [to_message(r) for r in rows]


async def events(conn: asyncpg.Connection, conversation_id: str) -> list[Event]:
    rows = await conn.fetch(
        f"SELECT id, {EVENT_COLUMNS} FROM events WHERE conversation_id = $1 ORDER BY id",
        conversation_id,
    )
    return [to_event(r) for r in rows]
