"""The customer directory on SQLite: plain functions run on the store's worker thread."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from helpline.errors import StoreError
from helpline.store import customer_sql
from helpline.store.customer_directory import Customer, CustomerCursor, CustomerNote, CustomerPage
from helpline.store.search import Visibility
from helpline.store.sqlite_search import DIALECT


def remember_customer(
    conn: sqlite3.Connection, customer_id: str, *, name: str | None, email: str | None,
    attributes: Mapping[str, Any], now: float,
) -> None:  # fmt: skip
    sql, params = customer_sql.remember_query(DIALECT, customer_id, name, email, attributes, now)
    conn.execute(sql, params)


def find_customers(
    conn: sqlite3.Connection, query: str | None, after: CustomerCursor | None, limit: int,
    visible_to: Visibility | None,
) -> CustomerPage:  # fmt: skip
    sql, params = customer_sql.find_query(DIALECT, query, after, limit, visible_to)
    return customer_sql.to_page(conn.execute(sql, params).fetchall(), limit)


def customer(conn: sqlite3.Connection, customer_id: str) -> Customer | None:
    sql, params = customer_sql.customer_query(DIALECT, customer_id)
    row = conn.execute(sql, params).fetchone()
    return customer_sql.to_customer(row) if row else None


def customer_visible(conn: sqlite3.Connection, customer_id: str, who: Visibility) -> bool:
    sql, params = customer_sql.visible_query(DIALECT, customer_id, who)
    return conn.execute(sql, params).fetchone() is not None


def add_customer_note(
    conn: sqlite3.Connection, customer_id: str, *, agent_id: str, name: str, text: str,
    now: float,
) -> CustomerNote:  # fmt: skip
    if conn.execute("SELECT 1 FROM customers WHERE id = ?", (customer_id,)).fetchone() is None:
        raise StoreError(f"no customer {customer_id!r}")
    row = conn.execute(
        "INSERT INTO customer_notes (customer_id, agent_id, name, text, created_at)"
        f" VALUES (?, ?, ?, ?, ?) RETURNING {customer_sql.NOTE_COLUMNS}",
        (customer_id, agent_id, name, text, now),
    ).fetchone()
    return customer_sql.to_note(row)


def customer_notes(conn: sqlite3.Connection, customer_id: str) -> list[CustomerNote]:
    rows = conn.execute(
        f"SELECT {customer_sql.NOTE_COLUMNS} FROM customer_notes WHERE customer_id = ? ORDER BY id",
        (customer_id,),
    ).fetchall()
    return [customer_sql.to_note(r) for r in rows]
