"""The reports' reads on PostgreSQL: coroutines on a connection in a transaction."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]

from helpline.store.base import Event
from helpline.store.reports import REPORT_FIELDS, REPORT_KINDS
from helpline.store.sqlite_reports import fields

# the same query as sqlite_reports, on the same indexes; each event's JSON parsed once
# (data is TEXT, kept as written), reasons back as JSON text and rating as a number
_COLUMNS = {
    "reasons": "j -> 'reasons'",
    "rating": "(j ->> 'rating')::int",
    "reply_to": "(j ->> 'reply_to')::int",
}
EVENTS = (
    "SELECT e.id, e.conversation_id, e.kind, e.created_at, "
    + ", ".join(_COLUMNS.get(name, f"j ->> '{name}'") for name in REPORT_FIELDS)
    + " FROM conversations c JOIN events e ON e.conversation_id = c.id,"
    " LATERAL (SELECT e.data::jsonb AS j) parsed"
    " WHERE c.created_at >= $1 AND c.created_at < $2 AND e.created_at < $2"
    " AND e.kind = ANY($3::text[])"
    " ORDER BY c.created_at, c.id, e.id"
)


async def report_events(conn: asyncpg.Connection, since: float, until: float) -> list[Event]:
    rows = await conn.fetch(EVENTS, since, until, list(REPORT_KINDS))
    return [Event(r[1], r[2], fields(tuple(r)[4:]), r[3], id=r[0]) for r in rows]


async def outbox_counts(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await conn.fetch("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
    return {str(r["status"]): int(r["n"]) for r in rows}
