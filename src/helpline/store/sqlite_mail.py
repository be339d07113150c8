"""The OutboxStore and CustomerStore operations on SQLite: plain functions on a connection."""

# Like sqlite_conversations: the connection, then the Protocol method's own arguments.

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from helpline.errors import StoreError
from helpline.store.base import Appended, Conversation, Message
from helpline.store.outbox import CLAIM_LEASE_S, OutboxEmail
from helpline.store.rows import (
    CONVERSATION_COLUMNS,
    OUTBOX_COLUMNS,
    dump,
    new_conversation,
    to_conversation,
    to_email,
    unknown,
)
from helpline.store.sqlite_conversations import insert_conversation, messages_after
from helpline.store.sqlite_sql import add_event, add_message, next_seq

_CONVERSATIONS = f"SELECT {CONVERSATION_COLUMNS} FROM conversations"


def enqueue_email(
    conn: sqlite3.Connection, *, recipient: str, subject: str, body: str,
    conversation_id: str | None, now: float,
) -> OutboxEmail:  # fmt: skip
    row = conn.execute(
        "INSERT INTO outbox (recipient, subject, body, conversation_id, status, attempts,"
        " next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'queued', 0, ?, ?)"
        f" RETURNING {OUTBOX_COLUMNS}",
        (recipient, subject, body, conversation_id, now, now),
    ).fetchone()
    if conversation_id is not None:
        add_event(conn, conversation_id, "email.queued", {"email": row[0]}, now)
    return to_email(row)


def due_emails(conn: sqlite3.Connection, now: float, limit: int) -> list[OutboxEmail]:
    """The due emails, oldest due first, each pushed a lease ahead so no other sender
    takes it (the workers of `serve --workers N` share one file; the operation's write
    transaction keeps theirs out meanwhile); returned as they were before the lease."""
    rows = conn.execute(
        f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE status = 'queued' AND next_attempt_at <= ?"
        " ORDER BY next_attempt_at, id LIMIT ?",
        (now, limit),
    ).fetchall()
    conn.executemany(
        "UPDATE outbox SET next_attempt_at = ? WHERE id = ?",
        [(now + CLAIM_LEASE_S, row[0]) for row in rows],
    )
    return [to_email(r) for r in rows]


def next_email_due_at(conn: sqlite3.Connection) -> float | None:
    row = conn.execute("SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'queued'").fetchone()
    return row[0] if row else None


def outbox_email(conn: sqlite3.Connection, email_id: int) -> OutboxEmail | None:
    row = conn.execute(f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = ?", (email_id,)).fetchone()
    return to_email(row) if row else None


def mark_email_sent(conn: sqlite3.Connection, email_id: int, now: float) -> None:
    row = conn.execute(
        "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?,"
        " last_error = NULL WHERE id = ? RETURNING conversation_id",
        (now, email_id),
    ).fetchone()
    if row is None:
        raise StoreError(f"no email {email_id} in the outbox")
    if row[0] is not None:
        add_event(conn, row[0], "email.sent", {"email": email_id}, now)


def mark_email_failed(
    conn: sqlite3.Connection, email_id: int, error: str, retry_at: float | None, now: float
) -> OutboxEmail:
    status = "queued" if retry_at is not None else "failed"
    row = conn.execute(
        "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?,"
        f" next_attempt_at = COALESCE(?, next_attempt_at) WHERE id = ? RETURNING {OUTBOX_COLUMNS}",
        (status, error[:1000], retry_at, email_id),
    ).fetchone()
    if row is None:
        raise StoreError(f"no email {email_id} in the outbox")
    email = to_email(row)
    if status == "failed" and email.conversation_id is not None:
        data = {"email": email_id, "attempts": email.attempts}
        add_event(conn, email.conversation_id, "email.failed", data, now)
    return email


def create_identified_conversation(
    conn: sqlite3.Connection, *, token: str, language: str | None, customer_id: str,
    customer_name: str | None, customer_email: str | None, now: float,
) -> Conversation:  # fmt: skip
    conv = new_conversation(
        token=token, language=language, customer_id=customer_id,
        customer_name=customer_name, now=now,
    )  # fmt: skip
    insert_conversation(conn, conv)
    add_event(conn, conv.id, "customer.identified", {"customer_id": customer_id}, now)
    if customer_email:
        _keep_email(conn, conv.id, customer_email, "identity", None, None, now)
    return conv


def _keep_email(
    conn: sqlite3.Connection, conversation_id: str, email: str, source: str,
    client_id: str | None, seq: int | None, now: float,
) -> None:  # fmt: skip
    cur = conn.execute(
        "UPDATE conversations SET customer_email = ? WHERE id = ?", (email, conversation_id)
    )
    if cur.rowcount == 0:
        raise unknown(conversation_id)
    data = {"email": email, "source": source, "client_id": client_id, "seq": seq}
    add_event(conn, conversation_id, "customer.email", data, now)


def _earlier_submission(
    conn: sqlite3.Connection, conversation_id: str, client_id: str
) -> int | None:
    # a conversation has few events; its index (conversation_id, id) bounds this scan
    row = conn.execute(
        "SELECT json_extract(data, '$.seq') FROM events WHERE conversation_id = ?"
        " AND kind = 'customer.email' AND json_extract(data, '$.client_id') = ?",
        (conversation_id, client_id),
    ).fetchone()
    return int(row[0]) if row else None


def submit_customer_email(
    conn: sqlite3.Connection, conversation_id: str, *, client_id: str, email: str,
    confirmation: Mapping[str, Any], now: float,
) -> Appended:  # fmt: skip
    earlier = _earlier_submission(conn, conversation_id, client_id)
    if earlier is not None:
        stored = messages_after(conn, conversation_id, earlier - 1, 1)
        return Appended(stored[0], duplicate=True, answered=True)
    seq = next_seq(conn, conversation_id, now)
    add_message(conn, conversation_id, seq, "bot", dump(confirmation), None, now)
    _keep_email(conn, conversation_id, email, "customer", client_id, seq, now)
    message = Message(conversation_id, seq, "bot", dict(confirmation), None, now)
    return Appended(message, duplicate=False, answered=True)


def customer_email(conn: sqlite3.Connection, conversation_id: str) -> str | None:
    row = conn.execute(
        "SELECT customer_email FROM conversations WHERE id = ?", (conversation_id,)
    ).fetchone()
    return row[0] if row else None


def customer_conversations(
    conn: sqlite3.Connection, customer_id: str, limit: int = 20
) -> list[Conversation]:
    rows = conn.execute(
        f"{_CONVERSATIONS} WHERE customer_id = ? ORDER BY created_at DESC, id LIMIT ?",
        (customer_id, limit),
    ).fetchall()
    return [to_conversation(r) for r in rows]


def latest_open_conversation(conn: sqlite3.Connection, customer_id: str) -> Conversation | None:
    row = conn.execute(
        f"{_CONVERSATIONS} WHERE customer_id = ? AND status != 'closed'"
        " ORDER BY updated_at DESC, id LIMIT 1",
        (customer_id,),
    ).fetchone()
    return to_conversation(row) if row else None
