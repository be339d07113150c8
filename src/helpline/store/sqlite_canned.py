"""The CannedStore operations on SQLite: plain functions on a connection."""

from __future__ import annotations

import json
import sqlite3

from helpline.store.canned import CANNED_COLUMNS, CannedAnswer, CannedChange, changed, taken
from helpline.store.canned import to_canned as _row


def _values(answer: CannedAnswer) -> tuple[object, ...]:
    bodies = json.dumps(dict(answer.bodies), ensure_ascii=False)
    return (answer.id, answer.shortcut, answer.title, bodies, answer.team,
            answer.created_by, answer.updated_at)  # fmt: skip


def canned_answers(conn: sqlite3.Connection) -> list[CannedAnswer]:
    rows = conn.execute(f"SELECT {CANNED_COLUMNS} FROM canned_answers ORDER BY shortcut")
    return [_row(r) for r in rows.fetchall()]


def add_canned(conn: sqlite3.Connection, answer: CannedAnswer) -> CannedAnswer:
    try:
        conn.execute(
            f"INSERT INTO canned_answers ({CANNED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            _values(answer),
        )
    except sqlite3.IntegrityError as exc:  # the unique shortcut: the statement wrote nothing
        raise taken(answer.shortcut) from exc
    return answer


def change_canned(
    conn: sqlite3.Connection, canned_id: str, change: CannedChange, now: float
) -> CannedAnswer | None:
    row = conn.execute(
        f"SELECT {CANNED_COLUMNS} FROM canned_answers WHERE id = ?", (canned_id,)
    ).fetchone()
    if row is None:
        return None
    new = changed(_row(row), change, now)
    try:
        conn.execute(
            "UPDATE canned_answers SET shortcut = ?, title = ?, bodies = ?, team = ?,"
            " updated_at = ? WHERE id = ?",
            (*_values(new)[1:5], new.updated_at, canned_id),
        )
    except sqlite3.IntegrityError as exc:
        raise taken(new.shortcut) from exc
    return new


def delete_canned(conn: sqlite3.Connection, canned_id: str) -> bool:
    cursor = conn.execute("DELETE FROM canned_answers WHERE id = ?", (canned_id,))
    return cursor.rowcount == 1
