"""The unanswered inbox on PostgreSQL: its table, and the operations PostgresStore runs
for InboxMethods."""

# Like postgres_ops: coroutines on a connection, each run in its own transaction.

from __future__ import annotations

import json
from collections.abc import Sequence

import asyncpg  # type: ignore[import-untyped]

from helpline.store.inbox import (
    Closing,
    Unanswered,
    first_of_each,
    message_text,
    resolution_rows,
)
from helpline.store.migrations import pending

# Versioned apart from the main schema in schema_parts, as on SQLite (sqlite_inbox.py).
PART = "inbox"
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE inbox_resolutions (
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('added', 'dismissed')),
            intent TEXT,
            resolved_by TEXT NOT NULL,
            resolved_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (conversation_id, seq)
        )""",
    ),
    # 2: the author role (agents who add examples from the inbox)
    (
        "ALTER TABLE agents DROP CONSTRAINT agents_role_check",
        """ALTER TABLE agents ADD CONSTRAINT agents_role_check
            CHECK (role IN ('agent', 'supervisor', 'author'))""",
    ),
)
# the main migration's lock number plus one: nodes starting together wait for each other
_MIGRATION_LOCK = 0x48656C71


async def migrate(conn: asyncpg.Connection) -> None:
    """Bring the inbox's tables up to date in one transaction (after the main migrate)."""
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


_DECISION = "(e.data::jsonb ->> 'decision')"
# as on SQLite: a thumbs-down judges the question of the answer before it
_SELECT_UNANSWERED = f"""
WITH flagged AS (
    SELECT e.id, e.conversation_id, e.created_at, e.data::jsonb AS data,
        CASE {_DECISION} WHEN 'feedback' THEN 'thumbs_down' ELSE {_DECISION} END AS flag
    FROM events e
    WHERE e.kind = 'bot.decision' AND e.created_at >= $1
        AND ({_DECISION} IN ('fallback', 'clarify')
            OR ({_DECISION} = 'feedback'
                AND (e.data::jsonb -> 'reasons') ? 'negative_feedback'))
), judged AS (
    SELECT f.*, CASE f.flag WHEN 'thumbs_down' THEN (
        SELECT p.data::jsonb FROM events p
        WHERE p.conversation_id = f.conversation_id AND p.kind = 'bot.decision'
            AND p.id < f.id AND (p.data::jsonb ->> 'decision') = 'answer'
        ORDER BY p.id DESC LIMIT 1
    ) ELSE f.data END AS about
    FROM flagged f
)
SELECT j.conversation_id, m.seq, m.body, j.data ->> 'language' AS language, j.flag,
    j.about ->> 'intent' AS intent, (j.about ->> 'score')::float8 AS score, j.created_at
FROM judged j
JOIN messages m ON m.conversation_id = j.conversation_id
    AND m.seq = (j.about ->> 'reply_to')::integer AND m.sender = 'customer'
LEFT JOIN inbox_resolutions r ON r.conversation_id = m.conversation_id AND r.seq = m.seq
WHERE r.seq IS NULL
ORDER BY j.id DESC
LIMIT $2
"""


async def unanswered_messages(
    conn: asyncpg.Connection, since: float, limit: int = 5000
) -> list[Unanswered]:
    found = []
    for row in await conn.fetch(_SELECT_UNANSWERED, since, limit):
        text = message_text(json.loads(row["body"]))
        if text is not None:
            found.append(
                Unanswered(
                    row["conversation_id"],
                    row["seq"],
                    text,
                    row["language"] or "",
                    row["flag"],
                    row["intent"],
                    row["score"] or 0.0,
                    row["created_at"],
                )  # fmt: skip
            )
    return first_of_each(found)


async def closed_by_agents(
    conn: asyncpg.Connection, since: float, limit: int = 200
) -> list[Closing]:
    rows = await conn.fetch(
        "SELECT conversation_id, data::jsonb ->> 'agent' AS agent, id, created_at FROM events"
        " WHERE kind = 'ticket.solved' AND created_at >= $1 ORDER BY id DESC LIMIT $2",
        since,
        limit,
    )
    return [Closing(r["conversation_id"], r["agent"], r["id"], r["created_at"]) for r in rows]


async def resolve_messages(
    conn: asyncpg.Connection,
    keys: Sequence[tuple[str, int]],
    *,
    action: str,
    intent: str | None,
    by: str,
    now: float,
) -> int:
    rows = resolution_rows(keys, action, intent, by, now)
    inserted = 0
    for row in rows:
        status = await conn.execute(
            "INSERT INTO inbox_resolutions"
            " (conversation_id, seq, action, intent, resolved_by, resolved_at)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            *row,
        )
        inserted += int(status.rpartition(" ")[2])
    return inserted
