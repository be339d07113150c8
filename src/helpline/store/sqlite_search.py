"""The conversations view's reads on SQLite: plain functions run on the store's worker thread."""

from __future__ import annotations

import dataclasses
import sqlite3

from helpline.store.search import (
    ConversationFilter,
    ConversationPage,
    Cursor,
    Visibility,
    is_short,
    like_pattern,
)
from helpline.store.search_sql import Dialect, Query, page_query, to_page, visible_query
from helpline.store.sqlite_search_schema import CATCH_UP

# Two plans for a term, chosen by how many documents hold it (bench/search.py, 100k
# conversations, 578k documents): a rare term's conversations are collected from the
# index, then sorted (0.3 ms for 1 document, 170 ms for 22k: each match is read back
# from search_documents for its conversation); a common one's conversations are walked
# newest first, each checked against the index's matching rowids, until the page is full
# (19 ms for 22k, but 760 ms for 1: the walk never ends early). Up to this many documents
# the first plan is the faster.
COMMON_DOCUMENTS = 2000


def _phrase(term: str) -> str:
    """One FTS5 phrase: the term's trigrams in a row, i.e. the term as a substring."""
    return '"' + term.replace('"', '""') + '"'


def _short_term(q: Query, term: str) -> str:
    # FTS5's trigram index cannot look up fewer than 3 characters (MATCH and LIKE both
    # find nothing): the documents' own text is scanned, conversation by conversation,
    # and the bot's texts once
    pattern = like_pattern(term)
    bot = f"SELECT id FROM search_bot_texts WHERE text LIKE {q.param(pattern)} ESCAPE '\\'"
    return (
        "(EXISTS (SELECT 1 FROM search_documents d WHERE d.conversation_id = c.id"
        f" AND d.text LIKE {q.param(pattern)} ESCAPE '\\') OR {_told(bot)})"
    )


def _documents(q: Query, term: str) -> str:
    """The ids of the documents holding the term (a customer's or agent's message, a note,
    tags, the customer)."""
    return f"SELECT rowid FROM search_index WHERE search_index MATCH {q.param(_phrase(term))}"


def _bot_texts(q: Query, term: str) -> str:
    """The ids of the bot's texts holding the term."""
    phrase = q.param(_phrase(term))
    return f"SELECT rowid FROM search_bot_index WHERE search_bot_index MATCH {phrase}"


def _told(texts: str) -> str:
    """SQL true when conversation c was told one of the bot's texts `texts` selects (an
    uncorrelated list, made once; then a seek per text)."""
    return (
        "EXISTS (SELECT 1 FROM search_bot_uses u"
        f" WHERE u.text_id IN ({texts}) AND u.conversation_id = c.id)"
    )


def _rare_term(q: Query, term: str) -> str:
    return (
        "c.id IN (SELECT d.conversation_id FROM search_documents d WHERE d.id IN"
        f" ({_documents(q, term)}) UNION ALL SELECT u.conversation_id FROM search_bot_uses u"
        f" WHERE u.text_id IN ({_bot_texts(q, term)}))"
    )


def _common_term(q: Query, term: str) -> str:
    return (
        "(EXISTS (SELECT 1 FROM search_documents d WHERE d.conversation_id = c.id AND d.id IN"
        f" ({_documents(q, term)})) OR {_told(_bot_texts(q, term))})"
    )


def _is_common(conn: sqlite3.Connection, term: str) -> bool:
    # a bot's text counts once for each conversation it was said in, as each was a
    # document of its own when COMMON_DOCUMENTS was measured
    found = conn.execute(
        "SELECT (SELECT count(*) FROM (SELECT 1 FROM search_index WHERE search_index MATCH ?1"
        " LIMIT ?2)) + (SELECT count(*) FROM (SELECT 1 FROM search_bot_uses WHERE text_id IN"
        " (SELECT rowid FROM search_bot_index WHERE search_bot_index MATCH ?1) LIMIT ?2))",
        (_phrase(term), COMMON_DOCUMENTS),
    ).fetchone()[0]
    return bool(found >= COMMON_DOCUMENTS)


def _dialect(conn: sqlite3.Connection, terms: tuple[str, ...]) -> Dialect:
    common = {t for t in terms if not is_short(t) and _is_common(conn, t)}

    def term(q: Query, text: str) -> str:
        if is_short(text):
            return _short_term(q, text)
        return _common_term(q, text) if text in common else _rare_term(q, text)

    return dataclasses.replace(DIALECT, term=term)


DIALECT = Dialect(
    placeholder=lambda n: f"?{n}",
    json_text=lambda column, name: f"json_extract({column}, '$.{name}')",
    json_items=lambda array: f"SELECT value FROM json_each({array})",
    term=_rare_term,
)


def catch_up(conn: sqlite3.Connection) -> None:
    """Add the documents written since the last batch to the index (see
    sqlite_search_schema.INDEX_BATCH): fewer than a batch, in one segment."""
    upto, newest = conn.execute(
        "SELECT upto, (SELECT coalesce(max(id), 0) FROM search_documents) FROM search_indexed"
    ).fetchone()
    if newest > upto:
        for statement in CATCH_UP:
            conn.execute(statement)


def find_conversations(
    conn: sqlite3.Connection, where: ConversationFilter, after: Cursor | None = None,
    limit: int = 25,
) -> ConversationPage:  # fmt: skip
    if where.terms:
        catch_up(conn)
    sql, params = page_query(_dialect(conn, where.terms), where, after, limit)
    return to_page(conn.execute(sql, params).fetchall(), where, limit)


def conversation_visible(conn: sqlite3.Connection, conversation_id: str, who: Visibility) -> bool:
    sql, params = visible_query(DIALECT, conversation_id, who)
    return conn.execute(sql, params).fetchone() is not None
