"""Outbox and customers on SQLite: the operations SQLiteStore runs for MailMethods."""

# Like sqlite_ops: plain functions on a connection, each run atomically on the store's
# worker thread (inside a savepoint), so a failure halfway leaves nothing behind.

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from helpline.errors import StoreError
from helpline.store import sqlite_ops as ops
from helpline.store.base import Appended, Conversation, Message
from helpline.store.outbox import OutboxEmail

_OUTBOX_COLUMNS = (
    "id, recipient, subject, body, conversation_id, status, attempts, next_attempt_at,"
    " last_error, created_at, sent_at"
)
_CONVERSATIONS = f"SELECT {ops._CONVERSATION_COLUMNS} FROM conversations"
_EVENT = "INSERT INTO events (conversation_id, kind, data, created_at) VALUES (?, ?, ?, ?)"


def _email(row: tuple[Any, ...]) -> OutboxEmail:
    # RETURNING gives values before the column's REAL affinity applies: 2.0 can come back as 2
    return OutboxEmail(
        id=row[0],
        recipient=row[1],
        subject=row[2],
        body=row[3],
        conversation_id=row[4],
        status=row[5],
        attempts=row[6],
        next_attempt_at=float(row[7]),
        last_error=row[8],
        created_at=float(row[9]),
        sent_at=float(row[10]) if row[10] is not None else None,
    )


def insert_email(
    conn: sqlite3.Connection,
    recipient: str,
    subject: str,
    body: str,
    conversation_id: str | None,
    now: float,
) -> OutboxEmail:
    row = conn.execute(
        "INSERT INTO outbox (recipient, subject, body, conversation_id, status, attempts,"
        " next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'queued', 0, ?, ?)"
        f" RETURNING {_OUTBOX_COLUMNS}",
        (recipient, subject, body, conversation_id, now, now),
    ).fetchone()
    if conversation_id is not None:
        conn.execute(_EVENT, (conversation_id, "email.queued", ops._dump({"email": row[0]}), now))
    return _email(row)


def claim_due(conn: sqlite3.Connection, now: float, limit: int) -> list[OutboxEmail]:
    """The due emails, oldest due first. Claiming them is only reading them: one node
    sends from a SQLite file, so no other sender can take them meanwhile."""
    rows = conn.execute(
        f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE status = 'queued' AND next_attempt_at <= ?"
        " ORDER BY next_attempt_at, id LIMIT ?",
        (now, limit),
    ).fetchall()
    return [_email(r) for r in rows]


def select_next_due(conn: sqlite3.Connection) -> float | None:
    row = conn.execute("SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'queued'").fetchone()
    return row[0] if row else None


def select_email(conn: sqlite3.Connection, email_id: int) -> OutboxEmail | None:
    row = conn.execute(f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE id = ?", (email_id,)).fetchone()
    return _email(row) if row else None


def update_sent(conn: sqlite3.Connection, email_id: int, now: float) -> None:
    row = conn.execute(
        "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?,"
        " last_error = NULL WHERE id = ? RETURNING conversation_id",
        (now, email_id),
    ).fetchone()
    if row is None:
        raise StoreError(f"no email {email_id} in the outbox")
    if row[0] is not None:
        conn.execute(_EVENT, (row[0], "email.sent", ops._dump({"email": email_id}), now))


def update_failed(
    conn: sqlite3.Connection, email_id: int, error: str, retry_at: float | None, now: float
) -> OutboxEmail:
    status = "queued" if retry_at is not None else "failed"
    row = conn.execute(
        "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?,"
        f" next_attempt_at = COALESCE(?, next_attempt_at) WHERE id = ? RETURNING {_OUTBOX_COLUMNS}",
        (status, error[:1000], retry_at, email_id),
    ).fetchone()
    if row is None:
        raise StoreError(f"no email {email_id} in the outbox")
    email = _email(row)
    if status == "failed" and email.conversation_id is not None:
        data = ops._dump({"email": email_id, "attempts": email.attempts})
        conn.execute(_EVENT, (email.conversation_id, "email.failed", data, now))
    return email


def insert_identified(conn: sqlite3.Connection, conv: Conversation, email: str | None) -> None:
    ops.create_conversation(conn, conv)
    conn.execute(
        _EVENT,
        (
            conv.id,
            "customer.identified",
            ops._dump({"customer_id": conv.customer_id}),
            conv.created_at,
        ),
    )
    if email:
        _keep_email(conn, conv.id, email, "identity", None, None, conv.created_at)


def _keep_email(
    conn: sqlite3.Connection,
    conversation_id: str,
    email: str,
    source: str,
    client_id: str | None,
    seq: int | None,
    now: float,
) -> None:
    cur = conn.execute(
        "UPDATE conversations SET customer_email = ? WHERE id = ?", (email, conversation_id)
    )
    if cur.rowcount == 0:
        raise ops._unknown(conversation_id)
    data = {"email": email, "source": source, "client_id": client_id, "seq": seq}
    conn.execute(_EVENT, (conversation_id, "customer.email", ops._dump(data), now))


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


def submit_email(
    conn: sqlite3.Connection,
    conversation_id: str,
    client_id: str,
    email: str,
    confirmation: Mapping[str, Any],
    now: float,
) -> Appended:
    earlier = _earlier_submission(conn, conversation_id, client_id)
    if earlier is not None:
        stored = ops.messages_after(conn, conversation_id, earlier - 1, 1)
        return Appended(stored[0], duplicate=True, answered=True)
    row = conn.execute(
        "UPDATE conversations SET last_seq = last_seq + 1, updated_at = ? WHERE id = ?"
        " RETURNING last_seq",
        (now, conversation_id),
    ).fetchone()
    if row is None:
        raise ops._unknown(conversation_id)
    seq = row[0]
    conn.execute(
        f"INSERT INTO messages ({ops._MESSAGE_COLUMNS}) VALUES (?, ?, 'bot', ?, NULL, ?)",
        (conversation_id, seq, ops._dump(confirmation), now),
    )
    _keep_email(conn, conversation_id, email, "customer", client_id, seq, now)
    message = Message(conversation_id, seq, "bot", dict(confirmation), None, now)
    return Appended(message, duplicate=False, answered=True)


def select_customer_email(conn: sqlite3.Connection, conversation_id: str) -> str | None:
    row = conn.execute(
        "SELECT customer_email FROM conversations WHERE id = ?", (conversation_id,)
    ).fetchone()
    return row[0] if row else None


def select_by_customer(
    conn: sqlite3.Connection, customer_id: str, limit: int
) -> list[Conversation]:
    rows = conn.execute(
        f"{_CONVERSATIONS} WHERE customer_id = ? ORDER BY created_at DESC, id LIMIT ?",
        (customer_id, limit),
    ).fetchall()
    return [ops._conversation(r) for r in rows]


def select_latest_open(conn: sqlite3.Connection, customer_id: str) -> Conversation | None:
    row = conn.execute(
        f"{_CONVERSATIONS} WHERE customer_id = ? AND status != 'closed'"
        " ORDER BY updated_at DESC, id LIMIT 1",
        (customer_id,),
    ).fetchone()
    return ops._conversation(row) if row else None
