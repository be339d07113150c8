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


def _commits_in_wal(path: Path) -> int:
    """Commits in the WAL file: frames whose header gives the database size after them."""
    data = (path.parent / f"{path.name}-wal").read_bytes()
    page_size = int.from_bytes(data[8:12], "big")
    frames = range(32, len(data), 24 + page_size)
    return sum(1 for at in frames if int.from_bytes(data[at + 4 : at + 8], "big"))


async def test_customer_message_and_its_answer_are_written_in_one_commit(
    tmp_path: Path,
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    rulebook: Rulebook,
) -> None:
    path = tmp_path / "one-commit.db"
    store = SQLiteStore(path, checkpoint_interval_s=3600)  # the WAL keeps every commit
    await store.open()
    try:
        app = create_app(make_settings(), store=store, rulebook=rulebook)
        customer = await Customer.join(await aiohttp_client(app))
        await customer.next_of("message.new", sender="bot")  # the greeting
        before = _commits_in_wal(path)
        await customer.say("m1", "I forgot my password")
        seen_before = len(customer.seen)
        await customer.next_of("typing.stop")
        assert _commits_in_wal(path) == before + 1
        kinds = [(f["type"], f.get("sender")) for f in customer.seen[seen_before:]]
        # the ack still comes first, then the bot's typing, its answer, the end of typing
        assert kinds[0] == ("message.ack", None)
        assert kinds.index(("typing.start", "bot")) < kinds.index(("message.new", "bot"))
    finally:
        await store.close()


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


class BlockedActions:
    """Custom actions that wait until released: a turn slower than any hold."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def run(self, rulebook: Rulebook, turn: Any, conversation: Any, body: Any, now: float):
        self.entered.set()
        await self.release.wait()
        return turn, []


async def test_message_is_acknowledged_once_stored_while_a_slow_turn_runs(
    tmp_path: Path, rulebook: Rulebook
) -> None:
    path = tmp_path / "slow.db"
    store = SQLiteStore(path)
    await store.open()
    actions = BlockedActions()
    service = ConversationService(
        store, MemoryBus(), RulesHolder(rulebook), time.time, actions=actions
    )
    acked = asyncio.Event()
    stored_at_ack: list[Any] = []

    async def send(frame: Any) -> None:
        if frame["type"] == "message.ack":
            with sqlite3.connect(path) as other:  # another connection: committed rows only
                stored_at_ack.extend(
                    other.execute("SELECT client_id FROM messages WHERE client_id = 'm1'")
                )
            acked.set()

    try:
        started, _ = await service.start(Hello(None, 0, "en", None))
        posting = asyncio.create_task(
            service.post_message(started.id, MessageNew("m1", "i want a refund", None), send)
        )
        await asyncio.wait_for(actions.entered.wait(), 10)
        await asyncio.wait_for(acked.wait(), 10)  # before the turn ends
        assert not posting.done()
        assert stored_at_ack == [("m1",)]
        actions.release.set()
        await asyncio.wait_for(posting, 10)
    finally:
        actions.release.set()
        await store.close()
