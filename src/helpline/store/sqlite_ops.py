"""The SQLite store's operations: plain functions on a connection, each run atomically."""

# The caller (sqlite_worker) wraps each call in a savepoint inside a transaction, so a
# function that raises halfway leaves nothing behind.

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from helpline.errors import StoreError
from helpline.store.base import Appended, Conversation, Event, Message, TurnRecord

_CONVERSATION_COLUMNS = (
    "id, token, status, language, customer_id, customer_name, bot_state, last_seq,"
    " created_at, updated_at, answered_seq"
)
_MESSAGE_COLUMNS = "conversation_id, seq, sender, body, client_id, created_at"


# One encoder for every value: json.dumps with options builds a new JSONEncoder per call,
# about as costly as encoding the small values stored here. Same text as json.dumps.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dump(value: Mapping[str, Any]) -> str:
    return _ENCODER.encode(value)


def _conversation(row: tuple[Any, ...]) -> Conversation:
    return Conversation(
        id=row[0],
        token=row[1],
        status=row[2],
        language=row[3],
        customer_id=row[4],
        customer_name=row[5],
        bot_state=json.loads(row[6]),
        last_seq=row[7],
        created_at=row[8],
        updated_at=row[9],
        answered_seq=row[10],
    )


def _message(row: tuple[Any, ...]) -> Message:
    return Message(
        conversation_id=row[0],
        seq=row[1],
        sender=row[2],
        body=json.loads(row[3]),
        client_id=row[4],
        created_at=row[5],
    )


def _unknown(conversation_id: str) -> StoreError:
    return StoreError(f"no conversation {conversation_id!r}")


def create_conversation(conn: sqlite3.Connection, conv: Conversation) -> Conversation:
    conn.execute(
        f"INSERT INTO conversations ({_CONVERSATION_COLUMNS})"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            conv.id,
            conv.token,
            conv.status,
            conv.language,
            conv.customer_id,
            conv.customer_name,
            _dump(conv.bot_state),
            conv.last_seq,
            conv.created_at,
            conv.updated_at,
            conv.answered_seq,
        ),
    )
    conn.execute(
        "INSERT INTO events (conversation_id, kind, data, created_at) VALUES (?, ?, ?, ?)",
        (conv.id, "conversation.started", _dump({"language": conv.language}), conv.created_at),
    )
    return conv


def conversation(conn: sqlite3.Connection, key: str, by: str) -> Conversation | None:
    column = {"id": "id", "token": "token"}[by]
    row = conn.execute(
        f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE {column} = ?", (key,)
    ).fetchone()
    return _conversation(row) if row else None


def append_customer_message(
    conn: sqlite3.Connection,
    conversation_id: str,
    client_id: str,
    body: Mapping[str, Any],
    now: float,
) -> Appended:
    earlier = conn.execute(
        f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND client_id = ?",
        (conversation_id, client_id),
    ).fetchone()
    if earlier:
        conv = conversation(conn, conversation_id, "id")
        if conv is None:
            raise _unknown(conversation_id)
        answered = earlier[1] <= conv.answered_seq
        return Appended(_message(earlier), duplicate=True, answered=answered, conversation=conv)
    # the row comes back whole: the caller answers from it without reading it again
    row = conn.execute(
        "UPDATE conversations SET last_seq = last_seq + 1, updated_at = ?"
        f" WHERE id = ? RETURNING {_CONVERSATION_COLUMNS}",
        (now, conversation_id),
    ).fetchone()
    if row is None:
        raise _unknown(conversation_id)
    conv = _conversation(row)
    seq = conv.last_seq
    conn.execute(
        f"INSERT INTO messages ({_MESSAGE_COLUMNS}) VALUES (?, ?, 'customer', ?, ?, ?)",
        (conversation_id, seq, _dump(body), client_id, now),
    )
    conn.execute(
        "INSERT INTO events (conversation_id, kind, data, created_at) VALUES (?, ?, ?, ?)",
        (conversation_id, "message.in", _dump({"seq": seq, "client_id": client_id}), now),
    )
    message = Message(conversation_id, seq, "customer", dict(body), client_id, now)
    return Appended(message, duplicate=False, answered=False, conversation=conv)


def commit_turn(conn: sqlite3.Connection, record: TurnRecord, now: float) -> list[Message]:
    cid = record.conversation_id
    bodies = [_dump(out.body) for out in record.messages]
    events = [(kind, _dump(data)) for kind, data in record.events]
    row = conn.execute("SELECT status, last_seq FROM conversations WHERE id = ?", (cid,)).fetchone()
    if row is None:
        raise _unknown(cid)
    old_status, last_seq = row
    if old_status != record.status and all(k != "status.changed" for k, _ in events):
        events.append(("status.changed", _dump({"from": old_status, "to": record.status})))
    rows = [
        (cid, last_seq + i, out.sender, body, None, now)
        for i, (out, body) in enumerate(zip(record.messages, bodies, strict=True), 1)
    ]
    conn.executemany(f"INSERT INTO messages ({_MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.executemany(
        "INSERT INTO events (conversation_id, kind, data, created_at) VALUES (?, ?, ?, ?)",
        [(cid, kind, data, now) for kind, data in events],
    )
    conn.execute(
        "UPDATE conversations SET status = ?, bot_state = ?, language = ?, last_seq = ?,"
        " answered_seq = MAX(answered_seq, ?), updated_at = ? WHERE id = ?",
        (
            record.status,
            _dump(record.bot_state),
            record.language,
            last_seq + len(rows),
            record.answers_seq or 0,
            now,
            cid,
        ),
    )
    return [
        Message(cid, r[1], r[2], dict(out.body), None, now)
        for r, out in zip(rows, record.messages, strict=True)
    ]


def messages_after(
    conn: sqlite3.Connection, conversation_id: str, seq: int, limit: int
) -> list[Message]:
    rows = conn.execute(
        f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND seq > ?"
        " ORDER BY seq LIMIT ?",
        (conversation_id, seq, limit),
    ).fetchall()
    return [_message(r) for r in rows]


def unanswered_customer_messages(conn: sqlite3.Connection, conversation_id: str) -> list[Message]:
    rows = conn.execute(
        "SELECT m.conversation_id, m.seq, m.sender, m.body, m.client_id, m.created_at"
        " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE m.conversation_id = ? AND m.seq > c.answered_seq AND m.sender = 'customer'"
        " ORDER BY m.seq",
        (conversation_id,),
    ).fetchall()
    return [_message(r) for r in rows]


def events(conn: sqlite3.Connection, conversation_id: str) -> list[Event]:
    rows = conn.execute(
        "SELECT id, conversation_id, kind, data, created_at FROM events"
        " WHERE conversation_id = ? ORDER BY id",
        (conversation_id,),
    ).fetchall()
    return [Event(r[1], r[2], json.loads(r[3]), r[4], id=r[0]) for r in rows]
