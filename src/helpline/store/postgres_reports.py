"""The reports' reads on PostgreSQL: coroutines on a connection in a transaction."""

from __future__ import annotations

import json

import asyncpg  # type: ignore[import-untyped]

from helpline.store.base import Event
from helpline.store.reports import REPORT_KINDS

# the same query as sqlite_reports, on the same indexes
_EVENTS = (
    "SELECT e.id, e.conversation_id, e.kind, e.data, e.created_at"
    " FROM conversations c JOIN events e ON e.conversation_id = c.id"
    " WHERE c.created_at >= $1 AND c.created_at < $2 AND e.created_at < $2"
    " AND e.kind = ANY($3::text[])"
    " ORDER BY c.created_at, c.id, e.id"
)


async def report_events(conn: asyncpg.Connection, since: float, until: float) -> list[Event]:
    rows = await conn.fetch(_EVENTS, since, until, list(REPORT_KINDS))
    return [
        Event(r["conversation_id"], r["kind"], json.loads(r["data"]), r["created_at"], id=r["id"])
        for r in rows
    ]


async def outbox_counts(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await conn.fetch("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
    return {str(r["status"]): int(r["n"]) for r in rows}
