"""The customer directory on PostgreSQL: the same SQL as SQLite's (customer_sql)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from helpline.errors import StoreError
from helpline.store import customer_sql
from helpline.store.customer_directory import Customer, CustomerCursor, CustomerNote, CustomerPage
from helpline.store.postgres_search import DIALECT
from helpline.store.search import Visibility


async def remember_customer(
    conn: asyncpg.Connection, customer_id: str, *, name: str | None, email: str | None,
    attributes: Mapping[str, Any], now: float,
) -> None:  # fmt: skip
    sql, params = customer_sql.remember_query(DIALECT, customer_id, name, email, attributes, now)
    await conn.execute(sql, *params)


async def find_customers(
    conn: asyncpg.Connection, query: str | None, after: CustomerCursor | None, limit: int,
    visible_to: Visibility | None,
) -> CustomerPage:  # fmt: skip
    sql, params = customer_sql.find_query(DIALECT, query, after, limit, visible_to)
    return customer_sql.to_page(await conn.fetch(sql, *params), limit)


async def customer(conn: asyncpg.Connection, customer_id: str) -> Customer | None:
    sql, params = customer_sql.customer_query(DIALECT, customer_id)
    row = await conn.fetchrow(sql, *params)
    return customer_sql.to_customer(row) if row else None


async def customer_visible(conn: asyncpg.Connection, customer_id: str, who: Visibility) -> bool:
    sql, params = customer_sql.visible_query(DIALECT, customer_id, who)
    return await conn.fetchval(sql, *params) is not None


async def add_customer_note(
    conn: asyncpg.Connection, customer_id: str, *, agent_id: str, name: str, text: str,
    now: float,
) -> CustomerNote:  # fmt: skip
    if await conn.fetchval("SELECT 1 FROM customers WHERE id = $1", customer_id) is None:
        raise StoreError(f"no customer {customer_id!r}")
    row = await conn.fetchrow(
        "INSERT INTO customer_notes (customer_id, agent_id, name, text, created_at)"
        f" VALUES ($1, $2, $3, $4, $5) RETURNING {customer_sql.NOTE_COLUMNS}",
        customer_id, agent_id, name, text, now,
    )  # fmt: skip
    return customer_sql.to_note(row)


async def customer_notes(conn: asyncpg.Connection, customer_id: str) -> list[CustomerNote]:
    rows = await conn.fetch(
        f"SELECT {customer_sql.NOTE_COLUMNS} FROM customer_notes WHERE customer_id = $1"
        " ORDER BY id",
        customer_id,
    )
    return [customer_sql.to_note(r) for r in rows]
