"""The PostgreSQL store's conversation operations: coroutines on a connection in a transaction."""

# The caller (PostgresStore._run) opens the transaction, so a function that raises halfway
# leaves nothing behind. Writers to one conversation take its row lock first (FOR UPDATE,
# or the UPDATE that moves last_seq): that serialises seqs across every node.

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from helpline.errors import StoreError
from helpline.store.base import Appended, Conversation, Event, Message, TurnRecord

CONVERSATION_COLUMNS = (
    "id, token, status, language, customer_id, customer_name, bot_state, last_seq,"
    " created_at, updated_at, answered_seq"
)
MESSAGE_COLUMNS = "conversation_id, seq, sender, body, client_id, created_at"
_EVENT = "INSERT INTO events (conversation_id, kind, data, created_at) VALUES ($1, $2, $3, $4)"


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def to_conversation(row: asyncpg.Record) -> Conversation:
    return Conversation(
        id=row["id"],
        token=row["token"],
        status=row["status"],
        language=row["language"],
        customer_id=row["customer_id"],
        customer_name=row["customer_name"],
        bot_state=json.loads(row["bot_state"]),
        last_seq=row["last_seq"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        answered_seq=row["answered_seq"],
    )


def to_message(row: asyncpg.Record) -> Message:
    return Message(
        conversation_id=row["conversation_id"],
        seq=row["seq"],
        sender=row["sender"],
        body=json.loads(row["body"]),
        client_id=row["client_id"],
        created_at=row["created_at"],
    )


def unknown(conversation_id: str) -> StoreError:
    return StoreError(f"no conversation {conversation_id!r}")


async def event(
    conn: asyncpg.Connection, cid: str, kind: str, data: Mapping[str, Any], now: float
) -> None:
    await conn.execute(_EVENT, cid, kind, dump(data), now)


async def next_seq(conn: asyncpg.Connection, cid: str, now: float) -> int:
    """Take the conversation's next seq; holds its row lock until the transaction ends."""
    seq = await conn.fetchval(
        "UPDATE conversations SET last_seq = last_seq + 1, updated_at = $1 WHERE id = $2"
        " RETURNING last_seq",
        now,
        cid,
    )
    if seq is None:
        raise unknown(cid)
    return int(seq)


async def create_conversation(conn: asyncpg.Connection, conv: Conversation) -> Conversation:
    await conn.execute(
        f"INSERT INTO conversations ({CONVERSATION_COLUMNS})"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        conv.id,
        conv.token,
        conv.status,
        conv.language,
        conv.customer_id,
        conv.customer_name,
        dump(conv.bot_state),
        conv.last_seq,
        conv.created_at,
        conv.updated_at,
        conv.answered_seq,
    )
    await event(conn, conv.id, "conversation.started", {"language": conv.language}, conv.created_at)
    return conv


async def conversation(conn: asyncpg.Connection, key: str, by: str) -> Conversation | None:
    column = {"id": "id", "token": "token"}[by]
    row = await conn.fetchrow(
        f"SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE {column} = $1", key
    )
    return to_conversation(row) if row else None


async def append_customer_message(
    conn: asyncpg.Connection,
    cid: str,
    client_id: str,
    body: Mapping[str, Any],
    now: float,
) -> Appended:
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
        answered = earlier["seq"] <= conv.answered_seq
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
    await conn.execute(
        f"INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES ($1, $2, 'customer', $3, $4, $5)",
        cid,
        seq,
        dump(body),
        client_id,
        now,
    )
    await event(conn, cid, "message.in", {"seq": seq, "client_id": client_id}, now)
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
        await conn.executemany(
            f"INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)", rows
        )
    if events:
        await conn.executemany(_EVENT, [(cid, kind, data, now) for kind, data in events])
    await conn.execute(
        "UPDATE conversations SET status = $1, bot_state = $2, language = $3, last_seq = $4,"
        " answered_seq = GREATEST(answered_seq, $5), updated_at = $6 WHERE id = $7",
        record.status,
        dump(record.bot_state),
        record.language,
        last_seq + len(rows),
        record.answers_seq or 0,
        now,
        cid,
    )
    return [
        Message(cid, r[1], r[2], dict(out.body), None, now)
        for r, out in zip(rows, record.messages, strict=True)
    ]


async def messages_after(conn: asyncpg.Connection, cid: str, seq: int, limit: int) -> list[Message]:
    rows = await conn.fetch(
        f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND seq > $2"
        " ORDER BY seq LIMIT $3",
        cid,
        seq,
        limit,
    )
    return [to_message(r) for r in rows]


async def unanswered_customer_messages(conn: asyncpg.Connection, cid: str) -> list[Message]:
    rows = await conn.fetch(
        "SELECT m.conversation_id, m.seq, m.sender, m.body, m.client_id, m.created_at"
        " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE m.conversation_id = $1 AND m.seq > c.answered_seq AND m.sender = 'customer'"
        " ORDER BY m.seq",
        cid,
    )
    return [to_message(r) for r in rows]


async def events(conn: asyncpg.Connection, cid: str) -> list[Event]:
    rows = await conn.fetch(
        "SELECT id, conversation_id, kind, data, created_at FROM events"
        " WHERE conversation_id = $1 ORDER BY id",
        cid,
    )
    return [
        Event(r["conversation_id"], r["kind"], json.loads(r["data"]), r["created_at"], id=r["id"])
        for r in rows
    ]
