"""Spike alerts and incident notices on SQLite: their tables, and the operations
SQLiteStore runs for AlertStore (plain functions on the worker's connection)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping

from helpline.store.alerts import Alert, Incident, StoredDecision
from helpline.store.migrations import pending

# Versioned apart from the main schema in schema_parts, like the inbox's tables
# (sqlite_inbox.py); step i takes the part from version i to i + 1, never edited once shipped.
PART = "alerts"
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # the watcher's one read per check: the decisions since its last, by time.
        # Partial, so the other events (most of them) cost no entry.
        """CREATE INDEX events_decisions_by_time ON events (created_at)
            WHERE kind = 'bot.decision'""",
        """CREATE TABLE alerts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            key TEXT NOT NULL,
            count INTEGER NOT NULL,
            expected REAL NOT NULL,
            since REAL NOT NULL,
            raised_at REAL NOT NULL,
            cleared_at REAL
        )""",
        # one standing alert per key: the node whose insert lands is the one that tells
        "CREATE UNIQUE INDEX alerts_standing ON alerts (key) WHERE cleared_at IS NULL",
        """CREATE TABLE incidents (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            intent TEXT NOT NULL,
            texts TEXT NOT NULL,  -- JSON: language -> notice
            posted_by TEXT NOT NULL,
            posted_at REAL NOT NULL,
            lifted_by TEXT,
            lifted_at REAL
        )""",
        "CREATE UNIQUE INDEX incidents_standing ON incidents (intent) WHERE lifted_at IS NULL",
    ),
)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the alerts' tables up to date in one transaction (after the main migrate)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_parts"
            " (part TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID"
        )
        row = conn.execute("SELECT version FROM schema_parts WHERE part = ?", (PART,)).fetchone()
        for step in pending(row[0] if row else 0, MIGRATIONS):
            for statement in step:
                conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_parts (part, version) VALUES (?, ?)"
            " ON CONFLICT (part) DO UPDATE SET version = excluded.version",
            (PART, len(MIGRATIONS)),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


_DECISIONS = """
SELECT id, created_at, json_extract(data, '$.decision'), json_extract(data, '$.intent')
FROM events
WHERE kind = 'bot.decision' AND created_at > ? AND created_at <= ?
ORDER BY created_at, id
"""
_ALERT = "SELECT id, key, count, expected, since, raised_at, cleared_at FROM alerts"
_INCIDENT = "SELECT id, intent, texts, posted_by, posted_at, lifted_at FROM incidents"


def decisions_between(conn: sqlite3.Connection, since: float, until: float) -> list[StoredDecision]:
    return [StoredDecision(*row) for row in conn.execute(_DECISIONS, (since, until))]


def raise_alert(
    conn: sqlite3.Connection, key: str, *, count: int, expected: float, since: float, now: float
) -> Alert | None:
    row = conn.execute(
        "INSERT INTO alerts (key, count, expected, since, raised_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING RETURNING id",
        (key, count, expected, since, now),
    ).fetchone()
    return None if row is None else Alert(row[0], key, count, expected, since, now)


def clear_alert(conn: sqlite3.Connection, alert_id: int, now: float) -> Alert | None:
    row = conn.execute(
        "UPDATE alerts SET cleared_at = ? WHERE id = ? AND cleared_at IS NULL"
        " RETURNING id, key, count, expected, since, raised_at, cleared_at",
        (now, alert_id),
    ).fetchone()
    return None if row is None else Alert(*row)


def active_alerts(conn: sqlite3.Connection) -> list[Alert]:
    rows = conn.execute(f"{_ALERT} WHERE cleared_at IS NULL ORDER BY raised_at, id")
    return [Alert(*row) for row in rows]


def post_incident(
    conn: sqlite3.Connection, intent: str, texts: Mapping[str, str], *, by: str, now: float
) -> Incident:
    lift_incident(conn, intent, by=by, now=now)
    encoded = json.dumps(dict(texts), ensure_ascii=False)
    row = conn.execute(
        "INSERT INTO incidents (intent, texts, posted_by, posted_at) VALUES (?, ?, ?, ?)"
        " RETURNING id",
        (intent, encoded, by, now),
    ).fetchone()
    return Incident(row[0], intent, dict(texts), by, now)


def lift_incident(conn: sqlite3.Connection, intent: str, *, by: str, now: float) -> Incident | None:
    row = conn.execute(
        "UPDATE incidents SET lifted_at = ?, lifted_by = ? WHERE intent = ? AND lifted_at IS NULL"
        " RETURNING id, intent, texts, posted_by, posted_at, lifted_at",
        (now, by, intent),
    ).fetchone()
    return None if row is None else incident(*row)


def standing_incidents(conn: sqlite3.Connection) -> list[Incident]:
    rows = conn.execute(f"{_INCIDENT} WHERE lifted_at IS NULL ORDER BY posted_at, id")
    return [incident(*row) for row in rows]


def incident(
    rid: int, intent: str, texts: str, by: str, at: float, lifted: float | None
) -> Incident:
    """An incidents row (either backend's) as a value."""
    return Incident(rid, intent, json.loads(texts), by, at, lifted)
