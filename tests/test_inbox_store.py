"""The inbox's store methods on every backend: flagged messages read from real turns,
resolutions that keep them out, and the author role the inbox's schema allows."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from backends import STORE_BACKENDS, open_backend
from helpline.actions import ActionStep
from helpline.bus import MemoryBus
from helpline.errors import StoreError
from helpline.rules.model import Rulebook
from helpline.service.conversation import ConversationService
from helpline.service.frames import FeedbackNew, Hello, MessageNew
from helpline.service.rules_holder import RulesHolder
from helpline.store import SQLiteStore
from helpline.store.inbox import inbox_store


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with open_backend(request, tmp_path) as opened:
        yield opened  # type: ignore[misc]


@pytest.fixture
def service(store: SQLiteStore, rulebook: Rulebook) -> ConversationService:
    return ConversationService(
        store, MemoryBus(), RulesHolder(rulebook), time.time, actions=ActionStep()
    )


async def _ignore(frame: Any) -> None:
    return None


async def converse(service: ConversationService, *texts: str) -> str:
    """A new conversation in which the customer writes each text in turn; its id."""
    started, _ = await service.start(Hello(None, 0, "en", None))
    for n, text in enumerate(texts):
        await service.post_message(started.id, MessageNew(f"m{n}", text, None), _ignore)
    return started.id


async def test_fallbacks_and_clarifications_are_listed_with_their_top_candidate(
    store: SQLiteStore, service: ConversationService
) -> None:
    cid = await converse(service, "i want a refund", "where is my parcel", "password refund")

    found = await store.unanswered_messages(0.0)

    assert [(m.conversation_id, m.text, m.flag) for m in found] == [
        (cid, "where is my parcel", "fallback"),
        (cid, "password refund", "clarify"),
    ]
    assert [m.language for m in found] == ["en", "en"]
    assert found[1].intent in {"refund", "password_reset"} and 45 <= found[1].score < 100


async def test_a_thumbs_down_lists_the_question_its_answer_was_for(
    store: SQLiteStore, service: ConversationService
) -> None:
    cid = await converse(service, "give my money back")
    [answer] = [m for m in await store.messages_after(cid, 0) if m.body.get("kind") == "answer"]
    await service.post_feedback(cid, FeedbackNew("f1", answer.seq, helpful=False), _ignore)
    await service.post_feedback(cid, FeedbackNew("f2", answer.seq, helpful=False), _ignore)

    [found] = await store.unanswered_messages(0.0)

    assert (found.text, found.flag, found.intent) == ("give my money back", "thumbs_down", "refund")
    assert found.seq == answer.seq - 1


async def test_answers_thumbs_up_and_button_presses_are_not_listed(
    store: SQLiteStore, service: ConversationService
) -> None:
    cid = await converse(service, "i want a refund")
    [answer] = [m for m in await store.messages_after(cid, 0) if m.body.get("kind") == "answer"]
    await service.post_feedback(cid, FeedbackNew("f1", answer.seq, helpful=True), _ignore)
    await service.post_message(cid, MessageNew("b1", "None of these", "/none_of_these"), _ignore)

    assert await store.unanswered_messages(0.0) == []


async def test_resolved_messages_stay_out_and_keep_their_first_resolution(
    store: SQLiteStore, service: ConversationService
) -> None:
    cid = await converse(service, "where is my parcel", "password refund")
    parcel, clarified = await store.unanswered_messages(0.0)

    first = await store.resolve_messages(
        [parcel.key, parcel.key], action="dismissed", intent=None, by="a_1", now=5.0
    )
    again = await store.resolve_messages(
        [parcel.key, clarified.key], action="added", intent="refund", by="a_2", now=6.0
    )

    assert (first, again) == (1, 1)
    assert await store.unanswered_messages(0.0) == []
    assert cid == parcel.conversation_id


async def test_messages_flagged_before_since_are_left_out(
    store: SQLiteStore, service: ConversationService
) -> None:
    await converse(service, "where is my parcel")
    later = time.time() + 60

    assert await store.unanswered_messages(later) == []


async def test_a_resolution_names_an_intent_exactly_when_it_adds(store: SQLiteStore) -> None:
    with pytest.raises(StoreError, match="names its intent"):
        await store.resolve_messages([("c_x", 1)], action="added", intent=None, by="a", now=1.0)
    with pytest.raises(StoreError, match="not one of"):
        await store.resolve_messages([("c_x", 1)], action="kept", intent=None, by="a", now=1.0)


async def test_the_author_role_is_stored_and_others_still_refused(store: SQLiteStore) -> None:
    author = await store.create_agent(
        email="writer@desk.test", name="Writer", teams=(), role="author", capacity=1,
        password_hash="x", now=1.0,
    )  # fmt: skip

    assert (await store.agent(author.id)).role == "author"  # type: ignore[union-attr]
    with pytest.raises(StoreError, match="role 'editor'"):
        await store.create_agent(
            email="e@desk.test", name="E", teams=(), role="editor", capacity=1,
            password_hash="x", now=1.0,
        )  # fmt: skip


async def test_every_backend_keeps_the_inbox(store: SQLiteStore) -> None:
    assert inbox_store(store) is store


async def test_the_inbox_schema_widens_the_role_check_once_and_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "again.db"
    for _ in range(2):  # the second open finds the part migrated and changes nothing
        opened = SQLiteStore(path)
        await opened.open()
        await opened.close()

    raw = sqlite3.connect(path)
    try:
        raw.execute(
            "INSERT INTO agents (id, email, name, role, capacity, password_hash, created_at)"
            " VALUES ('a1', 'w@desk.test', 'W', 'author', 1, 'x', 1.0)"
        )
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            raw.execute(
                "INSERT INTO agents (id, email, name, role, capacity, password_hash, created_at)"
                " VALUES ('a2', 'e@desk.test', 'E', 'editor', 1, 'x', 1.0)"
            )
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        part = raw.execute("SELECT version FROM schema_parts WHERE part = 'inbox'").fetchone()
        assert part == (2,)
    finally:
        raw.close()


async def test_saying_an_answer_did_not_help_lists_its_question(
    store: SQLiteStore, service: ConversationService
) -> None:
    await converse(service, "give my money back", "that didn't help")

    [found] = await store.unanswered_messages(0.0)

    assert (found.text, found.flag, found.intent) == ("give my money back", "thumbs_down", "refund")
