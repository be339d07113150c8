"""The conversations view's reads on PostgreSQL: coroutines on a connection in a transaction."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]

from helpline.store.search import (
    ConversationFilter,
    ConversationPage,
    Cursor,
    Visibility,
    is_short,
    like_pattern,
)
from helpline.store.search_sql import Dialect, Query, page_query, to_page, visible_query


def _term(q: Query, term: str) -> str:
    placeholder = q.param(like_pattern(term))
    if is_short(term):
        # pg_trgm finds no trigram in fewer than 3 characters: scan the conversation's own
        # documents, as on SQLite
        # a scalar subquery with LIMIT: the planner cannot turn it into a join, which it
        # did for EXISTS (a hash of every document the pattern matched: 500 ms for three
        # two-letter terms at 100k conversations, 20 ms this way)
        return (
            "(SELECT TRUE FROM search_documents d WHERE d.conversation_id = c.id"
            f" AND d.text ILIKE {placeholder} LIMIT 1)"
        )
    # the GIN trigram index narrows the documents, ILIKE checks each exactly
    return (
        "c.id IN (SELECT d.conversation_id FROM search_documents d"
        f" WHERE d.text ILIKE {placeholder})"
    )


DIALECT = Dialect(
    placeholder=lambda n: f"${n}",
    json_text=lambda column, name: f"({column}::jsonb ->> '{name}')",
    json_items=lambda array: f"SELECT jsonb_array_elements_text(({array})::jsonb)",
    term=_term,
)


async def find_conversations(
    conn: asyncpg.Connection, where: ConversationFilter, after: Cursor | None = None,
    limit: int = 25,
) -> ConversationPage:  # fmt: skip
    sql, params = page_query(DIALECT, where, after, limit)
    return to_page(await conn.fetch(sql, *params), where, limit)


async def conversation_visible(
    conn: asyncpg.Connection, conversation_id: str, who: Visibility
) -> bool:
    sql, params = visible_query(DIALECT, conversation_id, who)
    return await conn.fetchval(sql, *params) is not None
