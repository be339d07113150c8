"""The VisitStore operations on PostgreSQL: coroutines on a connection."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]

from helpline.store.visit import Visit

# Only for a conversation that exists (the SELECT finds none otherwise): a report from a
# widget of a conversation since deleted writes nothing.
_SET_PAGE = """
    INSERT INTO conversation_visits (conversation_id, page_url, updated_at)
    SELECT id, $2, $3 FROM conversations WHERE id = $1
    ON CONFLICT (conversation_id) DO UPDATE
    SET page_url = EXCLUDED.page_url, updated_at = EXCLUDED.updated_at
"""
# GREATEST in the one statement: two nodes reporting at once cannot lower the seq
_MARK_SEEN = """
    INSERT INTO conversation_visits (conversation_id, seen_seq, updated_at)
    SELECT id, LEAST($2, last_seq), $3 FROM conversations WHERE id = $1
    ON CONFLICT (conversation_id) DO UPDATE
    SET seen_seq = GREATEST(conversation_visits.seen_seq, EXCLUDED.seen_seq),
        updated_at = EXCLUDED.updated_at
    RETURNING seen_seq
"""


async def set_page(
    conn: asyncpg.Connection, conversation_id: str, page_url: str, now: float
) -> None:
    await conn.execute(_SET_PAGE, conversation_id, page_url, now)


async def mark_seen(conn: asyncpg.Connection, conversation_id: str, seq: int, now: float) -> int:
    seen = await conn.fetchval(_MARK_SEEN, conversation_id, seq, now)
    return int(seen or 0)


async def visit(conn: asyncpg.Connection, conversation_id: str) -> Visit:
    row = await conn.fetchrow(
        "SELECT page_url, seen_seq FROM conversation_visits WHERE conversation_id = $1",
        conversation_id,
    )
    return Visit() if row is None else Visit(row[0], row[1])
