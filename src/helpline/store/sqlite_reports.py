"""The reports' reads on SQLite: plain functions run on the store's worker thread."""

from __future__ import annotations

import json
import sqlite3

from helpline.store.base import Event
from helpline.store.reports import REPORT_KINDS

# conversations_by_start finds the period's conversations, events_by_conversation their
# events; ordering by the conversation's start keeps each one's events together
_EVENTS = (
    "SELECT e.id, e.conversation_id, e.kind, e.data, e.created_at"
    " FROM conversations c JOIN events e ON e.conversation_id = c.id"
    " WHERE c.created_at >= ? AND c.created_at < ? AND e.created_at < ?"
    f" AND e.kind IN ({', '.join('?' for _ in REPORT_KINDS)})"
    " ORDER BY c.created_at, c.id, e.id"
)


def report_events(conn: sqlite3.Connection, since: float, until: float) -> list[Event]:
    rows = conn.execute(_EVENTS, (since, until, until, *REPORT_KINDS))
    return [Event(r[1], r[2], json.loads(r[3]), r[4], id=r[0]) for r in rows]


def outbox_counts(conn: sqlite3.Connection) -> dict[str, int]:
    rows = conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status")
    return {str(status): int(count) for status, count in rows}
