"""The conversations view's store reads on both backends: full-text search (Korean without
spaces, English partial words, notes, tags, customers), filters, pages, visibility."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backends import STORE_BACKENDS, fresh_schema, open_backend
from helpline.store import SQLiteStore
from helpline.store.base import Outgoing, TurnRecord
from helpline.store.handoff import Escalation
from helpline.store.search import ConversationFilter, Cursor, Visibility
from search_kit import Said, agent, conversation, handled


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with open_backend(request, tmp_path) as opened:
        yield opened  # type: ignore[misc]


async def found(store: SQLiteStore, *terms: str, **where: object) -> list[str]:
    page = await store.find_conversations(ConversationFilter(terms=terms, **where), limit=50)  # type: ignore[arg-type]
    return [card.id for card in page.cards]


async def test_a_korean_word_is_found_inside_a_sentence_without_spaces(store: SQLiteStore) -> None:
    refund = await conversation(
        store, [Said("환불요청했는데 아직 안 됐어요")], now=10.0, language="ko"
    )
    await conversation(store, [Said("비밀번호를 잊어버렸어요")], now=11.0, language="ko")

    assert await found(store, "환불") == [refund.id]
    assert await found(store, "요청했는") == [refund.id]


@pytest.mark.parametrize("term", ["refund", "efun", "REFUND", "Refu", "card was"])
async def test_english_partial_words_are_found_whatever_their_case(
    store: SQLiteStore, term: str
) -> None:
    refund = await conversation(store, [Said("My card was charged, I want a Refund")], now=10.0)
    await conversation(store, [Said("the video keeps buffering")], now=11.0)

    assert await found(store, term) == [refund.id]


async def test_bot_and_agent_messages_notes_and_tags_are_searched(store: SQLiteStore) -> None:
    billing = await agent(store, "kim@desk.test", ("billing",))
    made = await conversation(store, [Said("hello", bot="Our plans start at 9,900 won")], now=10.0)
    await handled(
        store, made, billing, team="billing", reply="I refunded the duplicate charge",
        note="customer is a reseller, check VAT", tags=("double-charge", "vip"), now=20.0,
    )  # fmt: skip
    await conversation(store, [Said("unrelated")], now=30.0)

    for term in ("9,900", "duplicate charge", "reseller", "double-charge", "vip"):
        assert await found(store, term) == [made.id], term


async def test_a_customer_is_found_by_name_and_id_and_a_conversation_by_its_id(
    store: SQLiteStore,
) -> None:
    named = await conversation(store, [Said("hi")], now=10.0, customer=("cust-4821", "박지민"))
    other = await conversation(store, [Said("hi")], now=11.0)

    assert await found(store, "박지민") == [named.id]
    assert await found(store, "지민") == [named.id]
    assert await found(store, "cust-48") == [named.id]
    assert await found(store, other.id[2:10]) == [other.id]


async def test_every_term_must_be_found_in_the_conversation(store: SQLiteStore) -> None:
    both = await conversation(store, [Said("refund please"), Said("my card expired")], now=10.0)
    await conversation(store, [Said("refund please")], now=11.0)

    assert await found(store, "refund", "card") == [both.id]


async def test_wildcards_in_a_term_are_taken_literally(store: SQLiteStore) -> None:
    percent = await conversation(store, [Said("50% off coupon")], now=10.0)
    await conversation(store, [Said("500 off coupon")], now=11.0)

    assert await found(store, "0%") == [percent.id]
    assert await found(store, "50%") == [percent.id]
    assert await found(store, "0_") == []  # "_" is no one-character wildcard


async def test_filters_narrow_by_status_team_agent_intent_language_csat_and_dates(
    store: SQLiteStore,
) -> None:
    billing = await agent(store, "lee@desk.test", ("billing",))
    tech = await agent(store, "choi@desk.test", ("tech",))
    a = await conversation(
        store, [Said("결제 실패", intent="payment_failed")], now=10.0, language="ko"
    )
    await handled(store, a, billing, team="billing", reply="확인했습니다", rating=2, now=11.0)
    b = await conversation(store, [Said("video stops", intent="playback_error")], now=20.0)
    await handled(store, b, tech, team="tech", reply="try again", rating=5, now=21.0)
    c = await conversation(store, [Said("hi", intent="greeting")], now=30.0)

    assert await found(store, statuses=("closed",)) == [b.id, a.id]
    assert await found(store, statuses=("bot",)) == [c.id]
    assert await found(store, team="billing") == [a.id]
    assert await found(store, agent=tech) == [b.id]
    assert await found(store, intent="playback_error") == [b.id]
    assert await found(store, language="ko") == [a.id]
    assert await found(store, csat=(1, 2)) == [a.id]
    assert await found(store, since=15.0, until=30.0) == [b.id]


async def test_filters_narrow_by_ticket_tag_and_ticket_status(store: SQLiteStore) -> None:
    billing = await agent(store, "seo@desk.test", ("billing",))
    vip = await conversation(store, [Said("charged twice")], now=10.0)
    await handled(store, vip, billing, team="billing", reply="ok", tags=("vip", "환불"), now=11.0)
    plain = await conversation(store, [Said("charged once")], now=20.0)
    await handled(store, plain, billing, team="billing", reply="ok", tags=("vipish",), now=21.0)
    waiting = await conversation(store, [Said("still waiting")], now=30.0)
    queued = TurnRecord(waiting.id, "queued", {}, "en", messages=[])
    await store.escalate(queued, Escalation("billing", "normal", False, 0.0), 31.0)

    assert await found(store, tag="vip") == [vip.id]  # a whole tag, not part of one
    assert await found(store, tag="환불") == [vip.id]
    assert await found(store, tag="VIP") == []
    assert await found(store, ticket_statuses=("solved",)) == [plain.id, vip.id]
    assert await found(store, ticket_statuses=("open", "pending")) == [waiting.id]
    assert await found(store, tag="vip", ticket_statuses=("open",)) == []


async def test_a_list_of_conversations_narrows_to_those_and_an_empty_one_to_none(
    store: SQLiteStore,
) -> None:
    made = [await conversation(store, [Said(f"hello {n}")], now=10.0 + n) for n in range(4)]

    assert await found(store, among=(made[0].id, made[2].id, "c_unknown")) == [
        made[2].id, made[0].id,
    ]  # fmt: skip
    assert await found(store, among=()) == []
    assert await found(store, "hello", among=(made[1].id,)) == [made[1].id]


async def test_a_fallback_near_an_intent_does_not_count_as_that_intent(
    store: SQLiteStore,
) -> None:
    answered = await conversation(store, [Said("refund?", intent="refund")], now=10.0)
    await conversation(store, [Said("parcel?", intent="refund", decision="fallback")], now=11.0)

    assert await found(store, intent="refund") == [answered.id]


async def test_an_agent_sees_their_teams_and_their_own_conversations_only(
    store: SQLiteStore,
) -> None:
    billing = await agent(store, "han@desk.test", ("billing",))
    tech = await agent(store, "yoon@desk.test", ("tech",))
    a = await conversation(store, [Said("charge")], now=10.0)
    await handled(store, a, billing, team="billing", reply="ok", now=11.0)
    b = await conversation(store, [Said("buffering")], now=20.0)
    await handled(store, b, billing, team="tech", reply="ok", now=21.0)  # billing agent took it
    await conversation(store, [Said("bot only")], now=30.0)

    assert await found(store, visible_to=Visibility(tech, ("tech",))) == [b.id]
    assert await found(store, visible_to=Visibility(billing, ("billing",))) == [b.id, a.id]
    assert await store.conversation_visible(a.id, Visibility(tech, ("tech",))) is False
    assert await store.conversation_visible(b.id, Visibility(tech, ("tech",))) is True


async def test_pages_run_newest_first_and_new_conversations_do_not_shift_them(
    store: SQLiteStore,
) -> None:
    made = [await conversation(store, [Said(f"refund {n}")], now=float(n)) for n in range(7)]
    made.append(await conversation(store, [Said("refund twin")], now=6.0))  # same start as #6
    newest_first = sorted(made, key=lambda c: (c.created_at, c.id), reverse=True)
    where = ConversationFilter(terms=("refund",))

    first = await store.find_conversations(where, limit=3)
    await conversation(store, [Said("refund newer")], now=100.0)
    second = await store.find_conversations(where, first.next, limit=3)
    third = await store.find_conversations(where, second.next, limit=3)

    pages = [c.id for page in (first, second, third) for c in page.cards]
    assert pages == [c.id for c in newest_first]
    assert third.next is None and first.next == Cursor(
        first.cards[-1].created_at, first.cards[-1].id
    )


async def test_a_card_shows_the_last_message_team_agent_and_rating(store: SQLiteStore) -> None:
    billing = await agent(store, "jung@desk.test", ("billing",))
    made = await conversation(store, [Said("charged twice")], now=10.0, customer=("c-1", "Mina"))
    await handled(
        store, made, billing, team="billing", reply="Refunded the second one", rating=4, now=11.0
    )

    [card] = (await store.find_conversations(ConversationFilter())).cards

    assert (card.customer_name, card.customer_id, card.status) == ("Mina", "c-1", "closed")
    assert (card.last_text, card.last_sender) == ("Refunded the second one", "agent")
    assert (card.team, card.agent_id, card.csat_rating) == ("billing", billing, 4)


async def test_a_short_term_says_its_search_was_bounded(store: SQLiteStore) -> None:
    await conversation(store, [Said("환불")], now=10.0)

    short = await store.find_conversations(ConversationFilter(terms=("환불",)))
    long = await store.find_conversations(ConversationFilter(terms=("환불요",)))

    assert (short.bounded, len(short.cards), long.bounded) == (True, 1, False)


# a conversation as the schema before the search step stored it
OLD_ROWS = (
    "INSERT INTO conversations (id, token, status, created_at, updated_at, customer_name)"
    " VALUES ('c_old', 't', 'closed', 1, 1, '최유리')",
    "INSERT INTO messages (conversation_id, seq, sender, body, created_at)"
    """ VALUES ('c_old', 1, 'customer', '{"text":"환불요청했는데요"}', 1)""",
    "INSERT INTO events (conversation_id, kind, data, created_at) VALUES ('c_old',"
    """ 'note.added', '{"id":"n","agent":"a","name":"A","text":"repeat caller"}', 1)""",
    "INSERT INTO tickets (id, conversation_id, status, team, priority, tags, created_at)"
    """ VALUES ('t_old', 'c_old', 'solved', 'billing', 'normal', '["vip","refund"]', 1)""",
)
OLD_TERMS = ("환불", "요청했", "유리", "repeat call", "vip", "c_old")


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_rows_written_before_the_search_step_are_indexed_by_it_on_sqlite(
    store: SQLiteStore, tmp_path: Path
) -> None:
    from helpline.store.migrations import MIGRATIONS, migrate

    old = tmp_path / "old.db"
    conn = sqlite3.connect(old, isolation_level=None)
    migrate(conn, MIGRATIONS[:7])
    for statement in OLD_ROWS:
        conn.execute(statement)
    conn.close()
    upgraded = SQLiteStore(old)
    await upgraded.open()
    try:
        for term in OLD_TERMS:
            page = await upgraded.find_conversations(ConversationFilter(terms=(term,)))
            assert [c.id for c in page.cards] == ["c_old"], term
    finally:
        await upgraded.close()


async def test_a_term_in_thousands_of_documents_finds_the_same_conversations(
    store: SQLiteStore,
) -> None:
    # past sqlite_search.COMMON_DOCUMENTS the newest-first plan is taken: same answer
    chatty = await conversation(store, [Said("refund")], now=10.0)
    many = [Outgoing("bot", {"text": f"refund step {n}"}) for n in range(2100)]
    await store.commit_turn(TurnRecord(chatty.id, "bot", {}, "en", messages=many), 10.0)
    others = [await conversation(store, [Said(f"refund {n}")], now=20.0 + n) for n in range(3)]
    await conversation(store, [Said("nothing to see")], now=30.0)

    page = await store.find_conversations(ConversationFilter(terms=("refund",)), limit=3)
    rest = await store.find_conversations(ConversationFilter(terms=("refund",)), page.next)

    assert [c.id for c in page.cards] == [c.id for c in reversed(others)]
    assert [c.id for c in rest.cards] == [chatty.id] and rest.next is None


async def test_a_short_term_searches_only_the_newest_conversations(store: SQLiteStore) -> None:
    await conversation(store, [Said("환불 문의")], now=10.0)
    newer = [await conversation(store, [Said("환불요청")], now=20.0 + n) for n in range(2)]
    where = ConversationFilter(terms=("환불",), short_scope=2)

    page = await store.find_conversations(where)
    longer = await store.find_conversations(dataclasses.replace(where, terms=("환불 문",)))

    assert [c.id for c in page.cards] == [c.id for c in reversed(newer)]
    assert len(longer.cards) == 1  # 4 characters: every conversation is searched


async def test_rows_written_before_the_search_step_are_indexed_by_it_on_postgresql(
    postgres_server: str,
) -> None:
    import asyncpg

    from helpline.store.postgres import PostgresStore
    from helpline.store.postgres_migrations import MIGRATIONS, migrate

    async with fresh_schema(postgres_server) as url:
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn, MIGRATIONS[:6])
            for statement in OLD_ROWS:
                await conn.execute(statement)
        finally:
            await conn.close()
        upgraded = PostgresStore(url)
        await upgraded.open()
        try:
            for term in OLD_TERMS:
                page = await upgraded.find_conversations(ConversationFilter(terms=(term,)))
                assert [c.id for c in page.cards] == ["c_old"], term
        finally:
            await upgraded.close()


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_a_document_changed_after_it_was_indexed_is_found_by_its_new_text_only(
    store: SQLiteStore,
) -> None:
    billing = await agent(store, "seo@desk.test", ("billing",))
    made = await conversation(store, [Said("hello")], now=10.0)
    await handled(store, made, billing, team="billing", reply="ok", tags=("old-tag",), now=11.0)
    assert await found(store, "old-tag") == [made.id]  # the search indexed it

    with sqlite3.connect(store.path) as other:  # another writer of the same file
        other.execute("UPDATE tickets SET tags = '[\"new-tag\"]'")

    assert await found(store, "old-tag") == []
    assert await found(store, "new-tag") == [made.id]


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_documents_are_indexed_in_batches_as_they_are_written(store: SQLiteStore) -> None:
    from helpline.store.sqlite_search_schema import INDEX_BATCH

    made = await conversation(store, [Said("batch")], now=10.0)
    # an agent's messages: each is a document (the bot's texts are indexed apart, once)
    many = [Outgoing("agent", {"text": f"line {n}"}) for n in range(INDEX_BATCH + 10)]
    await store.commit_turn(TurnRecord(made.id, "assigned", {}, "en", messages=many), 10.0)

    with sqlite3.connect(store.path) as reader:
        upto, newest = reader.execute(
            "SELECT upto, (SELECT max(id) FROM search_documents) FROM search_indexed"
        ).fetchone()
        in_index = [
            reader.execute("SELECT count(*) FROM search_index(?)", (f'"line {n}"',)).fetchone()[0]
            for n in (0, INDEX_BATCH - 3, INDEX_BATCH + 9)  # documents 3, 256, 268
        ]
    assert upto == INDEX_BATCH and newest == INDEX_BATCH + 12
    assert in_index == [1, 1, 0]  # every document up to the last batch, none after it
    assert await found(store, "line 265") == [made.id]  # the rest, added by the search
