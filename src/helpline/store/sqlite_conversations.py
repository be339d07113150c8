"""The Store contract's conversation operations on SQLite: plain functions on a connection."""

# Each takes the connection, then the Store method's own arguments: SQLiteStore makes the
# method from the function (sqlite.py), and mypy checks it against the Protocol.

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from helpline.store.base import Appended, Conversation, Event, Message, TurnRecord
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
from helpline.store.sqlite_sql import INSERT_MESSAGE, add_event, add_events, add_message


def insert_conversation(conn: sqlite3.Connection, conv: Conversation) -> Conversation:
    conn.execute(
        f"INSERT INTO conversations ({CONVERSATION_COLUMNS})"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            conv.id, conv.token, conv.status, conv.language, conv.customer_id,
            conv.customer_name, dump(conv.bot_state), conv.last_seq, conv.created_at,
            conv.updated_at, conv.answered_seq,
        ),
    )  # fmt: skip
    add_event(conn, conv.id, "conversation.started", {"language": conv.language}, conv.created_at)
    return conv


def create_conversation(
    conn: sqlite3.Connection, *, token: str, language: str | None,
    customer_id: str | None = None, customer_name: str | None = None, now: float,
) -> Conversation:  # fmt: skip
    conv = new_conversation(
        token=token, language=language, customer_id=customer_id,
        customer_name=customer_name, now=now,
    )  # fmt: skip
    return insert_conversation(conn, conv)


def _conversation_where(conn: sqlite3.Connection, column: str, key: str) -> Conversation | None:
    row = conn.execute(
        f"SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE {column} = ?", (key,)
    ).fetchone()
    return to_conversation(row) if row else None


def conversation(conn: sqlite3.Connection, conversation_id: str) -> Conversation | None:
    return _conversation_where(conn, "id", conversation_id)


def conversation_by_token(conn: sqlite3.Connection, token: str) -> Conversation | None:
    return _conversation_where(conn, "token", token)


def append_customer_message(
    conn: sqlite3.Connection,
    conversation_id: str,
    client_id: str,
    body: Mapping[str, Any],
    now: float,
) -> Appended:
    earlier = conn.execute(
        f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND client_id = ?",
        (conversation_id, client_id),
    ).fetchone()
    if earlier:
        conv = conversation(conn, conversation_id)
        if conv is None:
            raise unknown(conversation_id)
        answered = earlier[1] <= conv.answered_seq
        return Appended(to_message(earlier), duplicate=True, answered=answered, conversation=conv)
    # The caller answers from the row as it stands after the UPDATE, read back by a SELECT:
    # RETURNING costs more (SQLite gathers its rows in an ephemeral table), 1.5% of the
    # instructions of a message and its turn (bench/store_instructions.py)
    conn.execute(
        "UPDATE conversations SET last_seq = last_seq + 1, updated_at = ? WHERE id = ?",
        (now, conversation_id),
    )
    conv = conversation(conn, conversation_id)
    if conv is None:
        raise unknown(conversation_id)
    seq = conv.last_seq
    add_message(conn, conversation_id, seq, "customer", dump(body), client_id, now)
    message = Message(conversation_id, seq, "customer", dict(body), client_id, now)
    return Appended(message, duplicate=False, answered=False, conversation=conv)


def commit_turn(conn: sqlite3.Connection, record: TurnRecord, now: float) -> list[Message]:
    cid = record.conversation_id
    bodies = [dump(out.body) for out in record.messages]
    events = [(kind, dump(data)) for kind, data in record.events]
    row = conn.execute("SELECT status, last_seq FROM conversations WHERE id = ?", (cid,)).fetchone()
    if row is None:
        raise unknown(cid)
    old_status, last_seq = row
    if old_status != record.status and all(k != "status.changed" for k, _ in events):
        events.append(("status.changed", dump({"from": old_status, "to": record.status})))
    rows = [
        (cid, last_seq + i, out.sender, body, None, now)
        for i, (out, body) in enumerate(zip(record.messages, bodies, strict=True), 1)
    ]
    conn.executemany(INSERT_MESSAGE, rows)
    add_events(conn, cid, events, now)
    conn.execute(
        "UPDATE conversations SET status = ?, bot_state = ?, language = ?, last_seq = ?,"
        " answered_seq = MAX(answered_seq, ?), updated_at = ? WHERE id = ?",
        (
            record.status, dump(record.bot_state), record.language, last_seq + len(rows),
            record.answers_seq or 0, now, cid,
        ),
    )  # fmt: skip
    return [
        Message(cid, r[1], r[2], dict(out.body), None, now)
        for r, out in zip(rows, record.messages, strict=True)
    ]


def messages_after(
    conn: sqlite3.Connection, conversation_id: str, seq: int, limit: int = 500
) -> list[Message]:
    rows = conn.execute(
        f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND seq > ?"
        " ORDER BY seq LIMIT ?",
        (conversation_id, seq, limit),
    ).fetchall()
    return [to_message(r) for r in rows]


def unanswered_customer_messages(conn: sqlite3.Connection, conversation_id: str) -> list[Message]:
    rows = conn.execute(
        f"SELECT {qualified(MESSAGE_COLUMNS, 'm')}"
        " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE m.conversation_id = ? AND m.seq > c.answered_seq AND m.sender = 'customer'"
        " ORDER BY m.seq",
        (conversation_id,),
    ).fetchall()
    return [to_message(r) for r in rows]


def events(conn: sqlite3.Connection, conversation_id: str) -> list[Event]:
    rows = conn.execute(
        f"SELECT id, {EVENT_COLUMNS} FROM events WHERE conversation_id = ? ORDER BY id",
        (conversation_id,),
    ).fetchall()
    return [to_event(r) for r in rows]
