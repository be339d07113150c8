"""The unanswered inbox on SQLite: its table, and the operations SQLiteStore runs for
InboxMethods."""

# Like sqlite_ops: plain functions on a connection, each run atomically on the store's
# worker thread (inside a savepoint).

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from helpline.store.inbox import (
    Closing,
    Unanswered,
    first_of_each,
    message_text,
    resolution_rows,
)
from helpline.store.migrations import pending

# The inbox's tables are versioned apart from the main schema (store/migrations.py), in
# schema_parts, so the two lists of steps grow without renumbering each other. Step i
# takes the part from version i to i + 1; never edit a step that has shipped.
PART = "inbox"
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # what authors did with flagged messages; the messages themselves stay in the
        # stored turns
        """CREATE TABLE inbox_resolutions (
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('added', 'dismissed')),
            intent TEXT,
            resolved_by TEXT NOT NULL,  -- an agent id, or cli:<user> for `helpline inbox`
            resolved_at REAL NOT NULL,
            PRIMARY KEY (conversation_id, seq)
        ) WITHOUT ROWID""",
    ),
    # 2: the author role (agents who add examples from the inbox). SQLite cannot alter a
    # CHECK constraint; a wider one changes no stored row, so the table's definition is
    # rewritten in place, the procedure sqlite.org/lang_altertable.html gives for such
    # changes (migrate() then bumps the schema cookie so every connection rereads it).
    (
        "PRAGMA writable_schema = ON",
        """UPDATE sqlite_master SET sql = replace(sql,
            'CHECK (role IN (''agent'', ''supervisor''))',
            'CHECK (role IN (''agent'', ''supervisor'', ''author''))')
            WHERE type = 'table' AND name = 'agents'""",
        "PRAGMA writable_schema = OFF",
    ),
)
_REWRITES_SCHEMA = 1  # the step (from 0) that edits sqlite_master itself


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the inbox's tables up to date in one transaction (after the main migrate)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_parts"
            " (part TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID"
        )
        row = conn.execute("SELECT version FROM schema_parts WHERE part = ?", (PART,)).fetchone()
        old = row[0] if row else 0
        for step in pending(old, MIGRATIONS):
            for statement in step:
                conn.execute(statement)
        if old <= _REWRITES_SCHEMA < len(MIGRATIONS):
            cookie = int(conn.execute("PRAGMA schema_version").fetchone()[0])
            conn.execute(f"PRAGMA schema_version = {cookie + 1:d}")
        conn.execute(
            "INSERT INTO schema_parts (part, version) VALUES (?, ?)"
            " ON CONFLICT (part) DO UPDATE SET version = excluded.version",
            (PART, len(MIGRATIONS)),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


_DECISION = "json_extract(e.data, '$.decision')"
# A thumbs-down (the rating button or "that didn't help") is a `feedback` decision with
# the reason negative_feedback; what it judges is the question of the answer before it.
_SELECT_UNANSWERED = f"""
WITH flagged AS (
    SELECT e.id, e.conversation_id, e.created_at, e.data,
        CASE {_DECISION} WHEN 'feedback' THEN 'thumbs_down' ELSE {_DECISION} END AS flag
    FROM events e
    WHERE e.kind = 'bot.decision' AND e.created_at >= ?
        AND ({_DECISION} IN ('fallback', 'clarify')
            OR ({_DECISION} = 'feedback' AND EXISTS (
                SELECT 1 FROM json_each(e.data, '$.reasons') WHERE value = 'negative_feedback'
            )))
), judged AS (
    SELECT f.*, CASE f.flag WHEN 'thumbs_down' THEN (
        SELECT p.data FROM events p
        WHERE p.conversation_id = f.conversation_id AND p.kind = 'bot.decision'
            AND p.id < f.id AND json_extract(p.data, '$.decision') = 'answer'
        ORDER BY p.id DESC LIMIT 1
    ) ELSE f.data END AS about
    FROM flagged f
)
SELECT j.conversation_id, m.seq, m.body, json_extract(j.data, '$.language'), j.flag,
    json_extract(j.about, '$.intent'), json_extract(j.about, '$.score'), j.created_at
FROM judged j
JOIN messages m ON m.conversation_id = j.conversation_id
    AND m.seq = json_extract(j.about, '$.reply_to') AND m.sender = 'customer'
LEFT JOIN inbox_resolutions r ON r.conversation_id = m.conversation_id AND r.seq = m.seq
WHERE r.seq IS NULL
ORDER BY j.id DESC
LIMIT ?
"""


def unanswered_messages(
    conn: sqlite3.Connection, since: float, limit: int = 5000
) -> list[Unanswered]:
    found = []
    for cid, seq, body, language, flag, intent, score, at in conn.execute(
        _SELECT_UNANSWERED, (since, limit)
    ):
        text = message_text(json.loads(body))
        if text is not None:
            found.append(Unanswered(cid, seq, text, language or "", flag, intent, score or 0.0, at))
    return first_of_each(found)


def closed_by_agents(conn: sqlite3.Connection, since: float, limit: int = 200) -> list[Closing]:
    rows = conn.execute(
        "SELECT conversation_id, json_extract(data, '$.agent'), id, created_at FROM events"
        " WHERE kind = 'ticket.solved' AND created_at >= ? ORDER BY id DESC LIMIT ?",
        (since, limit),
    )
    return [Closing(*row) for row in rows]


def resolve_messages(
    conn: sqlite3.Connection,
    keys: Sequence[tuple[str, int]],
    *,
    action: str,
    intent: str | None,
    by: str,
    now: float,
) -> int:
    rows = resolution_rows(keys, action, intent, by, now)
    before = conn.total_changes
    conn.executemany(
        "INSERT INTO inbox_resolutions"
        " (conversation_id, seq, action, intent, resolved_by, resolved_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        rows,
    )
    return conn.total_changes - before
