"""The reports' reads on SQLite: plain functions run on the store's worker thread."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from helpline.store.base import Event
from helpline.store.reports import REPORT_FIELDS, REPORT_KINDS

# conversations_by_start finds the period's conversations, events_by_conversation their
# events; ordering by the conversation's start keeps each one's events together
EVENTS = (
    "SELECT e.id, e.conversation_id, e.kind, e.created_at, "
    + ", ".join(f"json_extract(e.data, '$.{name}')" for name in REPORT_FIELDS)
    + " FROM conversations c JOIN events e ON e.conversation_id = c.id"
    " WHERE c.created_at >= ? AND c.created_at < ? AND e.created_at < ?"
    f" AND e.kind IN ({', '.join('?' for _ in REPORT_KINDS)})"
    " ORDER BY c.created_at, c.id, e.id"
)
_REASONS = REPORT_FIELDS.index("reasons")


def report_events(conn: sqlite3.Connection, since: float, until: float) -> list[Event]:
    rows = conn.execute(EVENTS, (since, until, until, *REPORT_KINDS))
    return [Event(r[1], r[2], fields(r[4:]), r[3], id=r[0]) for r in rows]


def fields(values: Sequence[Any]) -> dict[str, Any]:
    """The fields an event has (json_extract gives a list as its JSON text)."""
    found = {name: v for name, v in zip(REPORT_FIELDS, values, strict=True) if v is not None}
    if values[_REASONS] is not None:
        found["reasons"] = json.loads(values[_REASONS])
    return found


def outbox_counts(conn: sqlite3.Connection) -> dict[str, int]:
    rows = conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status")
    return {str(status): int(count) for status, count in rows}
