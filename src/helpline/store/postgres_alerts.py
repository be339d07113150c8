"""Spike alerts and incident notices on PostgreSQL: their tables, and the operations
PostgresStore runs for AlertStore (coroutines on a connection in a transaction)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import asyncpg  # type: ignore[import-untyped]

from helpline.store.alerts import Alert, Incident, StoredDecision
from helpline.store.migrations import pending
from helpline.store.sqlite_alerts import incident

# Versioned apart from the main schema in schema_parts, as on SQLite (sqlite_alerts.py).
PART = "alerts"
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE INDEX events_decisions_by_time ON events (created_at)
            WHERE kind = 'bot.decision'""",
        """CREATE TABLE alerts (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            key TEXT NOT NULL,
            count INTEGER NOT NULL,
            expected DOUBLE PRECISION NOT NULL,
            since DOUBLE PRECISION NOT NULL,
            raised_at DOUBLE PRECISION NOT NULL,
            cleared_at DOUBLE PRECISION
        )""",
        "CREATE UNIQUE INDEX alerts_standing ON alerts (key) WHERE cleared_at IS NULL",
        """CREATE TABLE incidents (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            intent TEXT NOT NULL,
            texts TEXT NOT NULL,
            posted_by TEXT NOT NULL,
            posted_at DOUBLE PRECISION NOT NULL,
            lifted_by TEXT,
            lifted_at DOUBLE PRECISION
        )""",
        "CREATE UNIQUE INDEX incidents_standing ON incidents (intent) WHERE lifted_at IS NULL",
    ),
)
# the main migration's lock number plus two (the inbox's is plus one): nodes starting
# together wait for each other
_MIGRATION_LOCK = 0x48656C72


async def migrate(conn: asyncpg.Connection) -> None:
    """Bring the alerts' tables up to date in one transaction (after the main migrate)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_parts"
            " (part TEXT PRIMARY KEY, version INTEGER NOT NULL)"
        )
        old = await conn.fetchval("SELECT version FROM schema_parts WHERE part = $1", PART)
        for step in pending(old or 0, MIGRATIONS):
            for statement in step:
                await conn.execute(statement)
        await conn.execute(
            "INSERT INTO schema_parts (part, version) VALUES ($1, $2)"
            " ON CONFLICT (part) DO UPDATE SET version = excluded.version",
            PART,
            len(MIGRATIONS),
        )


_DECISIONS = """
SELECT id, created_at, data::jsonb ->> 'decision', data::jsonb ->> 'intent'
FROM events
WHERE kind = 'bot.decision' AND created_at > $1 AND created_at <= $2
ORDER BY created_at, id
"""
_ALERT_COLUMNS = "id, key, count, expected, since, raised_at, cleared_at"
_INCIDENT_COLUMNS = "id, intent, texts, posted_by, posted_at, lifted_at"


async def decisions_between(
    conn: asyncpg.Connection, since: float, until: float
) -> list[StoredDecision]:
    rows = await conn.fetch(_DECISIONS, since, until)
    return [StoredDecision(int(r[0]), r[1], r[2], r[3]) for r in rows]


async def raise_alert(
    conn: asyncpg.Connection, key: str, *, count: int, expected: float, since: float, now: float
) -> Alert | None:
    rid = await conn.fetchval(
        "INSERT INTO alerts (key, count, expected, since, raised_at) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT DO NOTHING RETURNING id",
        key, count, expected, since, now,
    )  # fmt: skip
    return None if rid is None else Alert(int(rid), key, count, expected, since, now)


async def clear_alert(conn: asyncpg.Connection, alert_id: int, now: float) -> Alert | None:
    row = await conn.fetchrow(
        "UPDATE alerts SET cleared_at = $1 WHERE id = $2 AND cleared_at IS NULL"
        f" RETURNING {_ALERT_COLUMNS}",
        now,
        alert_id,
    )
    return None if row is None else Alert(*row)


async def active_alerts(conn: asyncpg.Connection) -> list[Alert]:
    rows = await conn.fetch(
        f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE cleared_at IS NULL ORDER BY raised_at, id"
    )
    return [Alert(*row) for row in rows]


async def post_incident(
    conn: asyncpg.Connection, intent: str, texts: Mapping[str, str], *, by: str, now: float
) -> Incident:
    await lift_incident(conn, intent, by=by, now=now)
    rid = await conn.fetchval(
        "INSERT INTO incidents (intent, texts, posted_by, posted_at) VALUES ($1, $2, $3, $4)"
        " RETURNING id",
        intent, json.dumps(dict(texts), ensure_ascii=False), by, now,
    )  # fmt: skip
    return Incident(int(rid), intent, dict(texts), by, now)


async def lift_incident(
    conn: asyncpg.Connection, intent: str, *, by: str, now: float
) -> Incident | None:
    row = await conn.fetchrow(
        "UPDATE incidents SET lifted_at = $1, lifted_by = $2"
        f" WHERE intent = $3 AND lifted_at IS NULL RETURNING {_INCIDENT_COLUMNS}",
        now, by, intent,
    )  # fmt: skip
    return None if row is None else incident(*row)


async def standing_incidents(conn: asyncpg.Connection) -> list[Incident]:
    rows = await conn.fetch(
        f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE lifted_at IS NULL ORDER BY posted_at, id"
    )
    return [incident(*row) for row in rows]
