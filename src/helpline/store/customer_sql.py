"""The customer directory's SQL, written once for both backends (search_sql's Dialect)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from helpline.store.customer_directory import Customer, CustomerCursor, CustomerNote, CustomerPage
from helpline.store.rows import Row
from helpline.store.search import Visibility, like_pattern
from helpline.store.search_sql import Dialect, Query, visible

# The conversations count and the average rating are read for the page's rows only; a
# customer has few conversations, found by conversations_by_customer.
_COLUMNS = """k.id, k.name, k.email, k.attributes, k.first_seen_at, k.last_seen_at,
    (SELECT COUNT(*) FROM conversations c WHERE c.customer_id = k.id),
    (SELECT AVG(CAST(t.csat_rating AS DOUBLE PRECISION)) FROM tickets t
        JOIN conversations c ON c.id = t.conversation_id
        WHERE c.customer_id = k.id AND t.csat_rating IS NOT NULL)"""
NOTE_COLUMNS = "id, customer_id, agent_id, name, text, created_at"


def remember_query(
    dialect: Dialect, customer_id: str, name: str | None, email: str | None,
    attributes: Mapping[str, Any], now: float,
) -> tuple[str, list[Any]]:  # fmt: skip
    q = Query(dialect)
    values = ", ".join(
        (q.param(customer_id), q.param(name), q.param(email), q.param(json.dumps(attributes)))
    )
    at = q.param(now)
    sql = (
        "INSERT INTO customers (id, name, email, attributes, first_seen_at, last_seen_at)"
        f" VALUES ({values}, {at}, {at}) ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
        " email = excluded.email, attributes = excluded.attributes,"
        " last_seen_at = excluded.last_seen_at"
    )
    return sql, q.params


def _customer_visible(q: Query, who: Visibility) -> str:
    return (
        f"EXISTS (SELECT 1 FROM conversations c WHERE c.customer_id = k.id AND {visible(q, who)})"
    )


def find_query(
    dialect: Dialect, query: str | None, after: CustomerCursor | None, limit: int,
    visible_to: Visibility | None,
) -> tuple[str, list[Any]]:  # fmt: skip
    """One page, asking for limit + 1 rows to know whether more follow."""
    q = Query(dialect)
    conditions: list[str] = []
    if query:
        pattern = q.param(like_pattern(query.lower()))
        conditions.append(
            " OR ".join(
                f"lower(coalesce(k.{column}, '')) LIKE {pattern} ESCAPE '\\'"
                for column in ("id", "name", "email")
            ).join("()")
        )
    if visible_to is not None:
        conditions.append(_customer_visible(q, visible_to))
    if after is not None:
        at, cid = q.param(after.last_seen_at), q.param(after.id)
        conditions.append(f"(k.last_seen_at < {at} OR (k.last_seen_at = {at} AND k.id > {cid}))")
    clause = " AND ".join(conditions) or "TRUE"
    sql = (
        f"SELECT {_COLUMNS} FROM customers k WHERE {clause}"
        f" ORDER BY k.last_seen_at DESC, k.id LIMIT {limit + 1:d}"
    )
    return sql, q.params


def customer_query(dialect: Dialect, customer_id: str) -> tuple[str, list[Any]]:
    q = Query(dialect)
    return f"SELECT {_COLUMNS} FROM customers k WHERE k.id = {q.param(customer_id)}", q.params


def visible_query(dialect: Dialect, customer_id: str, who: Visibility) -> tuple[str, list[Any]]:
    q = Query(dialect)
    kid = q.param(customer_id)
    return f"SELECT 1 FROM customers k WHERE k.id = {kid} AND {_customer_visible(q, who)}", q.params


def to_customer(row: Row) -> Customer:
    attributes = json.loads(row[3]) if row[3] else {}
    average = row[7]
    return Customer(
        id=row[0], name=row[1], email=row[2],
        attributes=attributes if isinstance(attributes, dict) else {},
        first_seen_at=float(row[4]), last_seen_at=float(row[5]), conversations=int(row[6]),
        average_csat=None if average is None else round(float(average), 2),
    )  # fmt: skip


def to_page(rows: Sequence[Row], limit: int) -> CustomerPage:
    found = tuple(to_customer(r) for r in rows[:limit])
    more = len(rows) > limit and found
    return CustomerPage(
        found, CustomerCursor(found[-1].last_seen_at, found[-1].id) if more else None
    )


def to_note(row: Row) -> CustomerNote:
    return CustomerNote(int(row[0]), row[1], row[2], row[3], row[4], float(row[5]))
