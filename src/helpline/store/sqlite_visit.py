"""The VisitStore operations on SQLite: plain functions on a connection."""

from __future__ import annotations

import sqlite3

from helpline.store.visit import Visit

# Only for a conversation that exists (the SELECT finds none otherwise): a report from a
# widget of a conversation since deleted writes nothing.
_SET_PAGE = """
    INSERT INTO conversation_visits (conversation_id, page_url, updated_at)
    SELECT id, ?, ? FROM conversations WHERE id = ?
    ON CONFLICT (conversation_id) DO UPDATE
    SET page_url = excluded.page_url, updated_at = excluded.updated_at
"""
_MARK_SEEN = """
    INSERT INTO conversation_visits (conversation_id, seen_seq, updated_at)
    SELECT id, MIN(?, last_seq), ? FROM conversations WHERE id = ?
    ON CONFLICT (conversation_id) DO UPDATE
    SET seen_seq = MAX(seen_seq, excluded.seen_seq), updated_at = excluded.updated_at
"""


def set_page(conn: sqlite3.Connection, conversation_id: str, page_url: str, now: float) -> None:
    conn.execute(_SET_PAGE, (page_url, now, conversation_id))


def mark_seen(conn: sqlite3.Connection, conversation_id: str, seq: int, now: float) -> int:
    conn.execute(_MARK_SEEN, (seq, now, conversation_id))
    return visit(conn, conversation_id).seen_seq


def visit(conn: sqlite3.Connection, conversation_id: str) -> Visit:
    row = conn.execute(
        "SELECT page_url, seen_seq FROM conversation_visits WHERE conversation_id = ?",
        (conversation_id,),
    ).fetchone()
    return Visit() if row is None else Visit(row[0], row[1])
