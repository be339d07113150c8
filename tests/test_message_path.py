"""The customer message path's store round trips, and the rows they hand back."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp.test_utils import TestClient

from conftest import Customer
from helpline.actions import ActionStep
from helpline.bus import MemoryBus
from helpline.rules.model import Rulebook
from helpline.service.conversation import ConversationService
from helpline.service.frames import Hello, MessageNew
from helpline.service.rules_holder import RulesHolder
from helpline.settings import Settings
from helpline.store import SQLiteStore
from helpline.web.app import create_app

T = TypeVar("T")


class CountingStore(SQLiteStore):
    """A real SQLite store that notes each operation sent to its database thread."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.trips: list[str] = []

    async def _run(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        self.trips.append(operation.__name__)
        return await super()._run(operation)

    def _run_early(
        self, operation: Callable[[sqlite3.Connection], T]
    ) -> tuple[asyncio.Future[T], asyncio.Future[T]]:
        self.trips.append(operation.__name__)
        return super()._run_early(operation)


@pytest.fixture
async def counting(tmp_path: Path) -> AsyncIterator[CountingStore]:
    opened = CountingStore(tmp_path / "counted.db")
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
async def client(
    counting: CountingStore,
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    rulebook: Rulebook,
) -> TestClient:
    app = create_app(make_settings(), store=counting, rulebook=rulebook)
    joined: TestClient = await aiohttp_client(app)
    return joined


async def test_appended_message_carries_the_conversation_row_it_moved(
    store: SQLiteStore,
) -> None:
    conv = await store.create_conversation(token="t", language="en", now=1.0)
    appended = await store.append_customer_message(conv.id, "c1", {"text": "hi"}, 2.0)
    assert appended.conversation == await store.conversation(conv.id)
    assert appended.conversation is not None
    assert appended.conversation.last_seq == appended.message.seq == 1


async def test_resent_message_carries_the_conversation_row_too(store: SQLiteStore) -> None:
    conv = await store.create_conversation(token="t", language="en", now=1.0)
    await store.append_customer_message(conv.id, "c1", {"text": "hi"}, 2.0)
    resent = await store.append_customer_message(conv.id, "c1", {"text": "hi"}, 3.0)
    assert resent.duplicate
    assert not resent.answered
    assert resent.conversation == await store.conversation(conv.id)


async def test_customer_message_costs_two_store_round_trips(
    client: TestClient, counting: CountingStore
) -> None:
    customer = await Customer.join(client)
    await customer.next_of("message.new", sender="bot")  # the greeting
    counting.trips.clear()
    await customer.say("m1", "I forgot my password")
    await customer.next_of("typing.stop")
    assert counting.trips == ["append_customer_message", "commit_turn"]


async def test_new_conversation_is_greeted_in_three_store_round_trips(
    client: TestClient, counting: CountingStore
) -> None:
    counting.trips.clear()
    customer = await Customer.join(client)
    await customer.next_of("message.new", sender="bot")
    assert counting.trips == ["create_conversation", "commit_turn", "messages_after"]


async def test_greeted_conversation_is_reported_as_the_store_keeps_it(
    store: SQLiteStore, rulebook: Rulebook
) -> None:
    service = ConversationService(
        store, MemoryBus(), RulesHolder(rulebook), time.time, actions=ActionStep()
    )
    started, resumed = await service.start(Hello(None, 0, "en", None))
    assert not resumed
    assert started == await store.conversation(started.id)


async def test_history_pages_through_more_messages_than_one_page_holds(
    store: SQLiteStore, rulebook: Rulebook
) -> None:
    service = ConversationService(
        store, MemoryBus(), RulesHolder(rulebook), time.time, actions=ActionStep(), history_page=2
    )
    started, _ = await service.start(Hello(None, 0, "en", None))
    for n in range(3):
        await service.post_message(started.id, MessageNew(f"m{n}", "hello", None), _ignore)
    seqs = [m.seq for m in await service.history(started.id, 0)]
    assert seqs == list(range(1, started.last_seq + 7))


async def _ignore(frame: Any) -> None:
    return None
