"""The statements SQLite's operations share: an event, a message, the next seq."""

# Every operation runs on the store's one connection inside its group commit (see
# sqlite_worker), so a function that raises halfway leaves nothing behind.

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from helpline.store.rows import EVENT_COLUMNS, MESSAGE_COLUMNS, dump, unknown

INSERT_EVENT = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?)"
INSERT_MESSAGE = f"INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"


def add_event(
    conn: sqlite3.Connection, conversation_id: str, kind: str, data: Mapping[str, Any], now: float
) -> None:
    conn.execute(INSERT_EVENT, (conversation_id, kind, dump(data), now))


def add_events(
    conn: sqlite3.Connection, conversation_id: str, events: Iterable[tuple[str, str]], now: float
) -> None:
    """Several events of one conversation, their data already JSON text."""
    conn.executemany(INSERT_EVENT, [(conversation_id, kind, data, now) for kind, data in events])


def add_message(
    conn: sqlite3.Connection, conversation_id: str, seq: int, sender: str, body: str,
    client_id: str | None, now: float,
) -> None:  # fmt: skip
    """One message, its body already JSON text."""
    conn.execute(INSERT_MESSAGE, (conversation_id, seq, sender, body, client_id, now))


def next_seq(conn: sqlite3.Connection, conversation_id: str, now: float) -> int:
    """Take the conversation's next seq (StoreError for an unknown conversation)."""
    row = conn.execute(
        "UPDATE conversations SET last_seq = last_seq + 1, updated_at = ? WHERE id = ?"
        " RETURNING last_seq",
        (now, conversation_id),
    ).fetchone()
    if row is None:
        raise unknown(conversation_id)
    return int(row[0])


def changed_one(cursor: sqlite3.Cursor) -> bool:
    """Whether a conditional UPDATE or DELETE touched exactly one row."""
    return cursor.rowcount == 1
