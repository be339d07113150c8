"""Canned answers on two nodes sharing PostgreSQL and Redis: an answer a supervisor adds,
renames or deletes on one node is what an agent's `/` search finds on the other, without
waiting for the periodic re-read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from backends import fresh_schema
from handoff_kit import AgentClient, Clock, desk_rulebook, make_agent
from helpline.service.handoff.canned_library import RELOAD_S, CannedLibrary
from helpline.settings import Settings
from helpline.store.postgres import PostgresStore
from helpline.web.app import create_app
from helpline.web.keys import CANNED
from test_canned_api import REFUND, bearer, search

WAIT_S = 10.0
assert WAIT_S < RELOAD_S  # else the periodic re-read, not the bus, could pass these tests
Node = Callable[[], Awaitable[TestClient]]


@pytest.fixture
async def database_url(postgres_server: str) -> AsyncIterator[str]:
    async with fresh_schema(postgres_server) as url:
        yield url


@pytest.fixture
async def shared_store(database_url: str) -> AsyncIterator[PostgresStore]:
    store = PostgresStore(database_url)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def make_node(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    database_url: str,
    redis_server: str,
    redis_prefix: str,
) -> Node:
    clock = Clock()

    async def make() -> TestClient:
        settings = make_settings(
            database_url=database_url, redis_url=redis_server, redis_prefix=redis_prefix
        )
        client: TestClient = await aiohttp_client(
            create_app(settings, rulebook=desk_rulebook(), clock=clock)
        )
        return client

    return make


def library(node: TestClient) -> CannedLibrary:
    return node.server.app[CANNED]  # type: ignore[union-attr]


def shortcuts(lib: CannedLibrary) -> set[str]:
    return {a.shortcut for a in lib.every_answer}


async def until(node: TestClient, holds: Callable[[set[str]], bool]) -> None:
    await asyncio.wait_for(library(node).wait_until(lambda lib: holds(shortcuts(lib))), WAIT_S)


async def test_an_answer_added_on_one_node_is_found_by_an_agent_on_the_other(
    make_node: Node, shared_store: PostgresStore
) -> None:
    first, second = await make_node(), await make_node()
    _, supervisor = await make_agent(shared_store, "Sue", role="supervisor")  # type: ignore[arg-type]
    _, token = await make_agent(shared_store, "Ann")  # type: ignore[arg-type]
    agent = await AgentClient.join(second, token)

    response = await first.post("/api/canned", json=REFUND, headers=bearer(supervisor))
    assert response.status == 201
    await until(second, lambda found: "refund" in found)
    results = await search(agent, "c_any", "/refund")

    assert results[0]["shortcut"] == "/refund"


async def test_a_rename_and_a_delete_on_one_node_reach_the_other(
    make_node: Node, shared_store: PostgresStore
) -> None:
    first, second = await make_node(), await make_node()
    _, supervisor = await make_agent(shared_store, "Sue", role="supervisor")  # type: ignore[arg-type]
    added = await (await first.post("/api/canned", json=REFUND, headers=bearer(supervisor))).json()
    path = f"/api/canned/{added['canned']['id']}"
    await until(second, lambda found: found == {"refund"})

    await first.patch(path, json={"shortcut": "money"}, headers=bearer(supervisor))
    await until(second, lambda found: found == {"money"})
    await first.delete(path, headers=bearer(supervisor))
    await until(second, lambda found: not found)
