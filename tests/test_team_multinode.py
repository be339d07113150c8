"""Team changes on two nodes sharing PostgreSQL and Redis: a supervisor's change made on
one node routes the next escalation on the other at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from backends import fresh_schema
from conftest import Customer
from handoff_kit import AgentClient, Clock, desk_rulebook, make_agent
from helpline.settings import Settings
from helpline.store.postgres import PostgresStore
from helpline.web.app import create_app
from helpline.web.keys import HANDOFF

WAIT_S = 10.0
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
    aiohttp_client: Any, make_settings: Callable[..., Settings], database_url: str,
    redis_server: str, redis_prefix: str,
) -> Node:  # fmt: skip
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


async def test_a_team_change_on_one_node_routes_the_next_escalation_on_the_other(
    make_node: Node, shared_store: PostgresStore
) -> None:
    here, there = await make_node(), await make_node()
    store: Any = shared_store
    ann_account, ann_token = await make_agent(store, "Ann", ("account",))
    await make_agent(store, "Bob", ("billing",))  # billing exists, but Bob is not signed in
    _, sue = await make_agent(store, "Sue", (), role="supervisor")
    ann = await AgentClient.join(there, ann_token)
    desk_there = there.server.app[HANDOFF]  # type: ignore[union-attr]

    response = await here.patch(
        f"/api/agents/{ann_account.id}", json={"teams": ["account", "billing"]},
        headers={"Authorization": f"Bearer {sue}"},
    )  # fmt: skip
    assert response.status == 200
    await asyncio.wait_for(
        desk_there.wait_until(lambda s: "billing" in s.board.agents[ann_account.id].teams),
        WAIT_S,
    )
    customer = await Customer.join(there)
    await customer.say("m1", "i want a refund")  # billing's intent

    offer = await asyncio.wait_for(ann.next_of("conversation.offered"), WAIT_S)
    assert offer["conversation"] == customer.ready["conversation"]
    assert offer["entry"]["team"] == "billing"
