"""The VisitStore contract on every backend: the page kept per conversation, and a seen
seq that only rises and never passes the conversation's last message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backends import STORE_BACKENDS, open_backend
from helpline.store.base import Outgoing, Store, TurnRecord
from helpline.store.visit import Visit, visit_store


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with open_backend(request, tmp_path) as opened:
        yield opened


async def conversation_with_messages(store: Store, count: int) -> str:
    conversation = await store.create_conversation(token="t1", language="en", now=1.0)
    record = TurnRecord(
        conversation_id=conversation.id, status="bot", bot_state={}, language="en",
        messages=[Outgoing("bot", {"text": f"line {n}"}) for n in range(count)], events=[],
    )  # fmt: skip
    await store.commit_turn(record, 2.0)
    return conversation.id


async def test_a_conversation_nobody_reported_on_has_an_empty_visit(store: Store) -> None:
    cid = await conversation_with_messages(store, 1)

    assert await visit_store(store).visit(cid) == Visit()


async def test_the_latest_page_is_kept(store: Store) -> None:
    cid = await conversation_with_messages(store, 1)
    visits = visit_store(store)

    await visits.set_page(cid, "https://shop.example.com/plans", 3.0)
    await visits.set_page(cid, "https://shop.example.com/checkout", 4.0)

    assert (await visits.visit(cid)).page_url == "https://shop.example.com/checkout"


async def test_the_seen_seq_rises_and_an_older_report_never_lowers_it(store: Store) -> None:
    cid = await conversation_with_messages(store, 3)
    visits = visit_store(store)

    assert await visits.mark_seen(cid, 2, 3.0) == 2
    assert await visits.mark_seen(cid, 1, 4.0) == 2
    assert (await visits.visit(cid)).seen_seq == 2


async def test_a_seen_seq_past_the_last_message_is_capped_at_it(store: Store) -> None:
    cid = await conversation_with_messages(store, 2)

    assert await visit_store(store).mark_seen(cid, 99, 3.0) == 2


async def test_seen_and_page_are_kept_side_by_side(store: Store) -> None:
    cid = await conversation_with_messages(store, 2)
    visits = visit_store(store)

    await visits.mark_seen(cid, 1, 3.0)
    await visits.set_page(cid, "https://example.com/", 4.0)

    assert await visits.visit(cid) == Visit("https://example.com/", 1)


async def test_a_report_on_an_unknown_conversation_writes_nothing(store: Store) -> None:
    visits = visit_store(store)

    await visits.set_page("c_missing", "https://example.com/", 3.0)

    assert await visits.mark_seen("c_missing", 4, 3.0) == 0
    assert await visits.visit("c_missing") == Visit()
