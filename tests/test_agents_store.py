"""Agent accounts, sessions and presence on a real SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from backends import STORE_BACKENDS, open_backend
from helpline.errors import StoreError
from helpline.store import SQLiteStore
from helpline.store.agents import Agent, AgentStore, agent_store
from helpline.store.migrations import SCHEMA_VERSION

NOW = 1_700_000_000.0


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    # the contract tests run on every backend; SQLite's own take store="sqlite" only
    async with open_backend(request, tmp_path) as opened:
        yield opened  # type: ignore[misc]


async def add(store: SQLiteStore, email: str = "ann@example.com", **fields: Any) -> Agent:
    values: dict[str, Any] = {
        "email": email,
        "name": "Ann",
        "teams": ("billing", "account"),
        "role": "agent",
        "capacity": 3,
        "password_hash": "$argon2id$not-a-real-hash",
        "now": NOW,
    }
    values.update(fields)
    return await store.create_agent(**values)


async def test_sqlite_store_is_an_agent_store(store: SQLiteStore) -> None:
    assert isinstance(store, AgentStore)
    assert agent_store(store) is store


def test_an_object_without_agent_methods_is_refused_as_agent_store() -> None:
    with pytest.raises(StoreError, match="does not store agent accounts"):
        agent_store(object())


async def test_created_agent_is_read_back_with_all_fields(store: SQLiteStore) -> None:
    created = await add(store, role="supervisor", capacity=5)

    assert await store.agent(created.id) == created
    assert created.teams == ("billing", "account")
    assert created.is_supervisor
    assert created.capacity == 5
    assert created.created_at == NOW


async def test_second_agent_with_same_email_is_refused(store: SQLiteStore) -> None:
    await add(store)

    with pytest.raises(StoreError, match="already exists"):
        await add(store, email="ann@example.com", name="Other Ann")


async def test_email_differing_only_in_case_counts_as_taken(store: SQLiteStore) -> None:
    await add(store)

    with pytest.raises(StoreError, match="already exists"):
        await add(store, email="ANN@Example.COM")


async def test_agent_is_found_by_email_ignoring_case_with_its_hash(store: SQLiteStore) -> None:
    created = await add(store, password_hash="$argon2id$h")

    assert await store.agent_by_email("  Ann@EXAMPLE.com ") == (created, "$argon2id$h")


async def test_unknown_email_finds_nobody(store: SQLiteStore) -> None:
    await add(store)

    assert await store.agent_by_email("bob@example.com") is None


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"email": "not-an-email"}, "not an email"),
        ({"email": "a b@example.com"}, "not an email"),
        ({"name": "  "}, "name must be"),
        ({"role": "admin"}, "role 'admin'"),
        ({"capacity": 0}, "capacity must be"),
        ({"teams": ("billing", "")}, "team names"),
    ],
)
async def test_invalid_agent_fields_are_refused_before_writing(
    store: SQLiteStore, fields: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(StoreError, match=complaint):
        await add(store, **fields)

    assert await store.agents() == []


async def test_agents_are_listed_in_creation_order(store: SQLiteStore) -> None:
    first = await add(store, "b@example.com", now=NOW)
    second = await add(store, "a@example.com", now=NOW + 1)

    assert await store.agents() == [first, second]


async def test_password_hash_can_be_replaced(store: SQLiteStore) -> None:
    created = await add(store, password_hash="old")

    await store.update_password_hash(created.id, "new")

    assert await store.agent_by_email(created.email) == (created, "new")


async def test_session_finds_its_agent_until_it_expires(store: SQLiteStore) -> None:
    created = await add(store)
    await store.create_session(created.id, "h1", expires_at=NOW + 60)

    assert await store.session_agent("h1", now=NOW + 59) == created
    assert await store.session_agent("h1", now=NOW + 60) is None


async def test_a_new_password_ends_every_session_of_that_agent_only(store: SQLiteStore) -> None:
    ann, bob = await add(store), await add(store, email="bob@example.com")
    for n, agent in enumerate((ann, ann, bob)):
        await store.create_session(agent.id, f"h{n}", expires_at=NOW + 60)

    ended = await store.set_password(ann.id, "$argon2id$new-hash")

    assert ended == 2
    assert [await store.session_agent(h, now=NOW) for h in ("h0", "h1")] == [None, None]
    assert await store.session_agent("h2", now=NOW) == bob
    found = await store.agent_by_email("ann@example.com")
    assert found is not None and found[1] == "$argon2id$new-hash"


async def test_a_new_password_for_nobody_is_refused(store: SQLiteStore) -> None:
    with pytest.raises(StoreError, match="no agent"):
        await store.set_password("a_missing", "$argon2id$new-hash")


async def test_session_reports_its_expiry(store: SQLiteStore) -> None:
    created = await add(store)
    await store.create_session(created.id, "h1", expires_at=NOW + 60)

    found = await store.session("h1", now=NOW)

    assert found is not None
    assert (found.agent, found.expires_at) == (created, NOW + 60)


async def test_extending_a_session_moves_its_expiry_but_never_back(store: SQLiteStore) -> None:
    created = await add(store)
    await store.create_session(created.id, "h1", expires_at=NOW + 60)

    await store.extend_session("h1", NOW + 600)
    await store.extend_session("h1", NOW + 120)

    assert await store.session_agent("h1", now=NOW + 599) == created


async def test_deleted_session_finds_nobody(store: SQLiteStore) -> None:
    created = await add(store)
    await store.create_session(created.id, "h1", expires_at=NOW + 60)

    await store.delete_session("h1")

    assert await store.session_agent("h1", now=NOW) is None


async def test_expired_sessions_are_purged_and_live_ones_kept(store: SQLiteStore) -> None:
    created = await add(store)
    await store.create_session(created.id, "old", expires_at=NOW - 1)
    await store.create_session(created.id, "live", expires_at=NOW + 60)

    assert await store.delete_expired_sessions(NOW) == 1
    assert await store.session_agent("live", now=NOW) == created


async def test_session_for_an_unknown_agent_is_refused(store: SQLiteStore) -> None:
    with pytest.raises(StoreError, match="cannot start a session"):
        await store.create_session("a_nobody", "h1", expires_at=NOW + 60)


async def test_presence_is_kept_across_reopening_the_file(tmp_path: Path) -> None:
    first = SQLiteStore(tmp_path / "agents.db")
    await first.open()
    created = await add(first)
    await first.set_presence(created.id, "online", NOW)
    await first.set_presence(created.id, "away", NOW + 5)
    await first.close()

    second = SQLiteStore(tmp_path / "agents.db")
    await second.open()
    try:
        assert [(p.agent_id, p.status, p.updated_at) for p in await second.presences()] == [
            (created.id, "away", NOW + 5)
        ]
    finally:
        await second.close()


async def test_unknown_presence_status_is_refused(store: SQLiteStore) -> None:
    created = await add(store)

    with pytest.raises(StoreError, match="presence 'busy'"):
        await store.set_presence(created.id, "busy", NOW)


async def test_presence_of_an_unknown_agent_is_refused(store: SQLiteStore) -> None:
    with pytest.raises(StoreError, match="no agent"):
        await store.set_presence("a_nobody", "online", NOW)


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_schema_refuses_a_role_the_code_does_not_know(store: SQLiteStore) -> None:
    # the CHECK constraint is the last line of defence for rows written by other tools
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO agents (id, email, name, role, capacity, password_hash, created_at)"
                " VALUES ('a', 'x@example.com', 'X', 'admin', 1, 'h', 0)"
            )
    finally:
        conn.close()
