"""The search's tables on SQLite: the bot's texts stored and indexed once each however many
conversations were told them, found by long and short terms alike, and moved there from
older databases; documents' ids reused without losing one from the index."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from helpline.store import SQLiteStore
from helpline.store.search import ConversationFilter
from search_kit import Said, agent, conversation, handled

PLANS = "Our plans start at 9,900 won a month"
요금 = "요금제는 월 9,900원부터 시작해요"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "store.db")
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


async def found(store: SQLiteStore, term: str, **where: object) -> list[str]:
    page = await store.find_conversations(ConversationFilter(terms=(term,), **where), limit=100)  # type: ignore[arg-type]
    return [card.id for card in page.cards]


def counted(path: Path, sql: str) -> int:
    with sqlite3.connect(path) as reader:
        return int(reader.execute(sql).fetchone()[0])


async def test_a_bot_text_told_in_many_conversations_is_stored_once_and_finds_each(
    store: SQLiteStore,
) -> None:
    told = [
        await conversation(store, [Said("price?", bot=PLANS), Said("more?", bot=PLANS)], now=1.0),
        await conversation(store, [Said("how much", bot=PLANS)], now=2.0),
    ]
    await conversation(store, [Said("plans?", bot="Let me check.")], now=3.0)

    assert await found(store, "9,900 won") == [c.id for c in reversed(told)]
    texts = f"SELECT count(*) FROM search_bot_texts WHERE text = '{PLANS}'"
    documents = "SELECT count(*) FROM search_documents WHERE text = 'Let me check.'"
    assert counted(store.path, texts) == 1
    assert counted(store.path, "SELECT count(*) FROM search_bot_uses") == 3  # one a pair
    assert counted(store.path, documents) == 0


async def test_a_short_term_finds_a_bot_text_in_the_newest_conversations_only(
    store: SQLiteStore,
) -> None:
    older = await conversation(store, [Said("가격", bot=요금)], now=1.0, language="ko")
    newer = await conversation(store, [Said("얼마", bot=요금)], now=2.0, language="ko")

    assert await found(store, "요금") == [newer.id, older.id]
    assert await found(store, "요금", short_scope=1) == [newer.id]


async def test_a_conversation_is_found_by_a_word_its_customer_and_its_bot_both_said(
    store: SQLiteStore,
) -> None:
    both = await conversation(store, [Said("what plans are there", bot=PLANS)], now=1.0)
    bot_only = await conversation(store, [Said("price?", bot=PLANS)], now=2.0)
    customer_only = await conversation(store, [Said("plans please")], now=3.0)

    assert await found(store, "plans") == [customer_only.id, bot_only.id, both.id]
    assert await found(store, "what plans") == [both.id]


async def test_messages_without_text_are_not_searched(store: SQLiteStore) -> None:
    made = await conversation(store, [Said("", bot="")], now=1.0)
    await store.append_customer_message(made.id, "file", {"attachment": "a1"}, 2.0)

    kinds = "SELECT group_concat(source) FROM search_documents"
    assert counted(store.path, "SELECT count(*) FROM search_bot_texts") == 0
    assert counted(store.path, "SELECT count(*) FROM search_bot_uses") == 0
    with sqlite3.connect(store.path) as reader:
        assert reader.execute(kinds).fetchone()[0] == "customer"  # the conversation's own


async def test_a_changed_document_taking_its_old_id_again_is_indexed_by_its_new_text(
    store: SQLiteStore,
) -> None:
    billing = await agent(store, "seo@desk.test", ("billing",))
    made = await conversation(store, [Said("hello")], now=10.0)
    await handled(store, made, billing, team="billing", reply="ok", tags=("old-tag",), now=11.0)
    assert await found(store, "old-tag") == [made.id]  # the search indexed up to its tags
    tags = "SELECT id FROM search_documents WHERE source = 'tags'"
    before = counted(store.path, tags)

    with sqlite3.connect(store.path) as other:  # another writer of the same file
        other.execute("UPDATE tickets SET tags = '[\"new-tag\"]'")

    assert counted(store.path, tags) == before  # removed, then added: the newest id again
    assert await found(store, "old-tag") == []
    assert await found(store, "new-tag") == [made.id]
    with sqlite3.connect(store.path) as reader:
        reader.execute("INSERT INTO search_index (search_index) VALUES ('integrity-check')")


def _old_rows(conn: sqlite3.Connection, conversations: int) -> None:
    """Conversations as the schema before the bot's texts stood apart stored them: every
    message a document, those up to the last batch in the index."""
    for n in range(conversations):
        cid = f"c_{n:03d}"
        conn.execute(
            "INSERT INTO conversations (id, token, status, created_at, updated_at)"
            " VALUES (?, ?, 'bot', ?, ?)",
            (cid, f"t{n}", float(n), float(n)),
        )
        bot = PLANS if n % 2 else f"Ticket {n:03d} is open"
        for seq, (sender, text) in enumerate((("customer", f"question {n:03d}"), ("bot", bot)), 1):
            conn.execute(
                "INSERT INTO messages (conversation_id, seq, sender, body, created_at)"
                " VALUES (?, ?, ?, json_object('text', ?, 'kind', 'answer'), ?)",
                (cid, seq, sender, text, float(n)),
            )


async def test_bot_messages_written_before_the_step_are_found_from_their_texts(
    tmp_path: Path,
) -> None:
    from helpline.store.migrations import MIGRATIONS, migrate
    from helpline.store.sqlite_search_schema import INDEX_BATCH

    old = tmp_path / "old.db"
    conn = sqlite3.connect(old, isolation_level=None)
    migrate(conn, MIGRATIONS[:13])
    _old_rows(conn, INDEX_BATCH // 2)  # customer documents, messages, bot: past one batch
    assert conn.execute("SELECT upto FROM search_indexed").fetchone()[0] == INDEX_BATCH
    conn.close()
    upgraded = SQLiteStore(old)
    await upgraded.open()
    try:
        odd = [f"c_{n:03d}" for n in reversed(range(1, INDEX_BATCH // 2, 2))]
        assert await found(upgraded, "9,900 won") == odd
        assert await found(upgraded, "Ticket 002") == ["c_002"]  # in the index before
        assert await found(upgraded, "Ticket 126") == ["c_126"]  # not yet in it
        assert await found(upgraded, "question 126") == ["c_126"]
        assert await found(upgraded, "9,") == odd  # a short term: the texts' own LIKE
    finally:
        await upgraded.close()
    with sqlite3.connect(old) as reader:
        # the index agrees with the documents left: the bot's were taken out of both
        reader.execute("INSERT INTO search_index (search_index) VALUES ('integrity-check')")
        reader.execute("INSERT INTO search_bot_index (search_bot_index) VALUES ('integrity-check')")
        kinds = reader.execute("SELECT count(*), count(DISTINCT text) FROM search_documents"
                               " WHERE source = 'message'").fetchone()  # fmt: skip
        texts = reader.execute("SELECT count(*) FROM search_bot_texts").fetchone()[0]
    assert tuple(kinds) == (INDEX_BATCH // 2, INDEX_BATCH // 2)  # the customers' alone
    assert texts == 1 + INDEX_BATCH // 4  # the plans, and each even conversation's ticket


async def test_ids_go_on_from_the_largest_once_autoincrement_is_gone(tmp_path: Path) -> None:
    from helpline.store.migrations import MIGRATIONS, migrate

    old = tmp_path / "old.db"
    conn = sqlite3.connect(old, isolation_level=None)
    migrate(conn, MIGRATIONS[:14])
    _old_rows(conn, 3)
    conn.execute("INSERT INTO events (conversation_id, kind, created_at) VALUES ('c_000', 'x', 1)")
    newest = conn.execute("SELECT max(id) FROM events").fetchone()[0]
    conn.close()
    upgraded = SQLiteStore(old)
    await upgraded.open()
    try:
        made = await upgraded.create_conversation(token="new", language="en", now=5.0)
        assert [e.id for e in await upgraded.events(made.id)] == [newest + 1]
        assert await found(upgraded, "question 002") == ["c_002"]
    finally:
        await upgraded.close()
    with sqlite3.connect(old) as reader:
        assert reader.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        left = reader.execute("SELECT name FROM sqlite_sequence ORDER BY name").fetchall()
        definitions = reader.execute(
            "SELECT count(*) FROM sqlite_schema WHERE name IN ('events', 'search_documents')"
            " AND sql LIKE '%PRIMARY KEY AUTOINCREMENT%'"
        ).fetchone()[0]
    assert (left, definitions) == ([], 0)
