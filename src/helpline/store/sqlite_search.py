"""The conversations view's reads on SQLite: plain functions run on the store's worker thread."""

from __future__ import annotations

import sqlite3

from helpline.store.search import (
    ConversationFilter,
    ConversationPage,
    Cursor,
    Visibility,
    is_short,
    like_pattern,
)
from helpline.store.search_sql import Dialect, page_query, to_page, visible_query


def _term(placeholder: str, short: bool) -> str:
    if short:
        # FTS5's trigram index cannot look up fewer than 3 characters (MATCH and LIKE both
        # find nothing): the documents' own text is scanned, conversation by conversation
        return (
            "EXISTS (SELECT 1 FROM search_documents d WHERE d.conversation_id = c.id"
            f" AND d.text LIKE {placeholder} ESCAPE '\\')"
        )
    return (
        "c.id IN (SELECT d.conversation_id FROM search_index s"
        f" JOIN search_documents d ON d.id = s.rowid WHERE search_index MATCH {placeholder})"
    )


def _term_value(term: str) -> str:
    if is_short(term):
        return like_pattern(term)
    # one FTS5 phrase: its trigrams in a row, i.e. the term as a substring
    return '"' + term.replace('"', '""') + '"'


DIALECT = Dialect(
    placeholder=lambda n: f"?{n}",
    json_text=lambda column, name: f"json_extract({column}, '$.{name}')",
    term=_term,
    term_value=_term_value,
)


def find_conversations(
    conn: sqlite3.Connection, where: ConversationFilter, after: Cursor | None = None,
    limit: int = 25,
) -> ConversationPage:  # fmt: skip
    sql, params = page_query(DIALECT, where, after, limit)
    return to_page(conn.execute(sql, params).fetchall(), where, limit)


def conversation_visible(conn: sqlite3.Connection, conversation_id: str, who: Visibility) -> bool:
    sql, params = visible_query(DIALECT, conversation_id, who)
    return conn.execute(sql, params).fetchone() is not None
