"""PostgresStore as several nodes see it: shared rows, races between stores, lost connections.

The store contract itself runs on PostgreSQL in test_store_sqlite.py, test_agents_store.py,
test_handoff_store.py and test_mail.py (their `store` fixture is parametrized).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from backends import fresh_schema
from helpline.errors import StoreError
from helpline.store import open_store
from helpline.store.base import Outgoing, TurnRecord
from helpline.store.handoff import Escalation
from helpline.store.postgres import PostgresStore
from helpline.store.postgres_mail import CLAIM_LEASE_S
from helpline.store.postgres_migrations import SCHEMA_VERSION

NOW = 1_000.0
WAIT_S = 10.0


@pytest.fixture
async def url(postgres_server: str) -> AsyncIterator[str]:
    async with fresh_schema(postgres_server) as schema_url:
        yield schema_url


@pytest.fixture
async def nodes(url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """Two stores on one database, as two nodes have."""
    first, second = PostgresStore(url), PostgresStore(url)
    await first.open()
    await second.open()
    yield first, second
    await first.close()
    await second.close()


async def queued(store: PostgresStore, token: str) -> str:
    conversation = await store.create_conversation(token=token, language="en", now=NOW)
    record = TurnRecord(conversation.id, "queued", {}, "en", [Outgoing("bot", {"text": "wait"})])
    await store.escalate(record, Escalation("billing", "high", False, 0.2), NOW)
    return conversation.id


async def agent(store: PostgresStore, email: str) -> str:
    made = await store.create_agent(
        email=email, name="A", teams=("billing",), role="agent", capacity=2,
        password_hash="x", now=NOW,
    )  # fmt: skip
    return made.id


@pytest.mark.parametrize(
    "url",
    ["postgresql://helpline@db.internal/helpline", "postgres://u:p@localhost:5433/h?sslmode=off"],
)
def test_open_store_chooses_postgres_for_its_urls(url: str) -> None:
    store = open_store(url)
    assert isinstance(store, PostgresStore)
    assert store.url.partition("://")[2] == url.partition("://")[2]


async def test_unreachable_database_raises_store_error_without_the_password() -> None:
    store = PostgresStore("postgresql://helpline:s3cret@/helpline?host=/nonexistent-dir")
    with pytest.raises(StoreError, match="cannot open database") as info:
        await store.open()
    assert "s3cret" not in str(info.value)


async def test_fresh_schema_is_at_the_current_version(url: str) -> None:
    store = PostgresStore(url)
    await store.open()
    await store.close()
    admin = await asyncpg.connect(url)
    try:
        assert await admin.fetchval("SELECT version FROM helpline_schema") == SCHEMA_VERSION
    finally:
        await admin.close()


async def test_schema_from_a_newer_version_is_refused(url: str) -> None:
    admin = await asyncpg.connect(url)
    try:
        await admin.execute("CREATE TABLE helpline_schema (version INTEGER NOT NULL)")
        await admin.execute("INSERT INTO helpline_schema VALUES ($1)", SCHEMA_VERSION + 1)
    finally:
        await admin.close()
    with pytest.raises(StoreError, match="newer than this Helpline"):
        await PostgresStore(url).open()


async def test_nodes_starting_together_on_an_empty_schema_migrate_it_once(url: str) -> None:
    stores = [PostgresStore(url) for _ in range(3)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        conversation = await stores[0].create_conversation(token="t", language="en", now=NOW)
        assert await stores[2].conversation_by_token("t") == conversation
    finally:
        await asyncio.gather(*(s.close() for s in stores))


async def test_appends_from_two_nodes_get_unique_consecutive_seqs(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = nodes
    conversation = await first.create_conversation(token="t", language="en", now=NOW)
    appends = [
        (first if i % 2 else second).append_customer_message(
            conversation.id, f"m{i}", {"text": str(i)}, NOW
        )
        for i in range(60)
    ]
    results = await asyncio.gather(*appends)
    assert sorted(r.message.seq for r in results) == list(range(1, 61))


async def test_resend_racing_its_original_on_another_node_is_stored_once(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = nodes
    conversation = await first.create_conversation(token="t", language="en", now=NOW)
    results = await asyncio.gather(
        *(
            node.append_customer_message(conversation.id, "same", {"text": "hi"}, NOW)
            for node in (first, second) * 4
        )
    )
    assert sorted(r.duplicate for r in results) == [False] + [True] * 7
    assert {r.message.seq for r in results} == {1}


async def test_of_claims_from_two_nodes_at_once_exactly_one_wins(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = nodes
    cid = await queued(first, "t")
    agents = [await agent(first, f"a{n}@desk.test") for n in range(10)]
    claims = await asyncio.gather(
        *(
            (first if n % 2 else second).claim(cid, a, NOW + 1, any_state=True)
            for n, a in enumerate(agents)
        )
    )
    winners = [c for c in claims if c is not None]
    assert len(winners) == 1
    [ticket] = await second.tickets(cid)
    assert ticket.assignee == winners[0].handoff.agent_id


async def test_two_nodes_never_take_the_same_due_email(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = nodes
    for n in range(30):
        await first.enqueue_email(
            recipient=f"c{n}@example.com", subject="s", body="b", conversation_id=None, now=NOW
        )
    batches = await asyncio.gather(
        *((first if n % 2 else second).due_emails(NOW + 1, 10) for n in range(6))
    )
    taken = [email.id for batch in batches for email in batch]
    assert len(taken) == len(set(taken)) == 30


async def test_email_taken_by_a_node_that_died_is_due_again_after_the_lease(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = nodes
    queued_email = await first.enqueue_email(
        recipient="c@example.com", subject="s", body="b", conversation_id=None, now=NOW
    )
    [taken] = await first.due_emails(NOW, 10)  # this node dies before sending it
    assert await second.due_emails(NOW + 1, 10) == []
    [again] = await second.due_emails(NOW + CLAIM_LEASE_S, 10)
    assert (taken.id, again.id) == (queued_email.id, queued_email.id)


async def _wait_for_query(admin: asyncpg.Connection, text: str) -> int:
    """The backend pid running a query containing text, once it runs."""
    async with asyncio.timeout(WAIT_S):
        while True:
            pid = await admin.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()",
                f"%{text}%",
            )
            if pid is not None:
                return int(pid)


async def _sleep_in_database(conn: Any) -> None:
    await conn.execute("SELECT pg_sleep(30) -- helpline-test-sleeper")


async def test_connection_dropped_mid_call_raises_store_error_and_the_next_call_reconnects(
    url: str,
) -> None:
    store = PostgresStore(url, min_size=1, max_size=1)
    await store.open()
    admin = await asyncpg.connect(url)
    try:
        call = asyncio.create_task(store._run(_sleep_in_database))
        pid = await _wait_for_query(admin, "helpline-test-sleeper")
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
        with pytest.raises(StoreError) as info:
            await asyncio.wait_for(call, WAIT_S)
        assert isinstance(info.value.__cause__, asyncpg.PostgresError | asyncpg.InterfaceError)
        created = await store.create_conversation(token="after", language="en", now=NOW)
        assert await store.conversation(created.id) == created
    finally:
        await admin.close()
        await store.close()


async def test_closed_store_raises_store_error(url: str) -> None:
    store = PostgresStore(url)
    await store.open()
    await store.close()
    with pytest.raises(StoreError, match="closed"):
        await store.conversation_by_token("x")
