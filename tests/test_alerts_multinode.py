"""Spike alerts and incident notices on two nodes sharing PostgreSQL and Redis: a spike is
raised once and reaches consoles on both; a notice posted on one node is said on the
other, and lifting it stops it there too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from backends import fresh_schema
from handoff_kit import AgentClient, Clock, desk_rulebook, make_agent
from helpline.settings import Settings
from helpline.store.postgres import PostgresStore
from helpline.web.app import create_app
from helpline.web.auth import COOKIE
from helpline.web.keys import INCIDENTS, SPIKES
from test_alerts_ws import NOTICE, PAYMENT, ask

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


async def console(node: TestClient, store: PostgresStore, name: str) -> AgentClient:
    _, token = await make_agent(store, name)  # type: ignore[arg-type]
    agent = await AgentClient.join(node, token)
    await agent.next_of("alerts.snapshot")
    return agent


async def test_a_spike_seen_by_two_nodes_is_raised_once_and_reaches_both_consoles(
    make_node: Node, shared_store: PostgresStore
) -> None:
    nodes = [await make_node(), await make_node()]
    consoles = [
        await console(n, shared_store, name) for n, name in zip(nodes, ("Ann", "Bo"), strict=True)
    ]
    await asyncio.gather(*(ask(nodes[n % 2], PAYMENT["en"]) for n in range(8)))
    checked = await asyncio.gather(*(n.server.app[SPIKES].check() for n in nodes))
    raised = [alert for c in checked for alert in c.raised]
    assert [a.key for a in raised] == ["payment_failed"]
    for agent in consoles:
        frame = await asyncio.wait_for(agent.next_of("alert.raised"), WAIT_S)
        assert frame["alert"]["id"] == raised[0].id and frame["alert"]["count"] == 8


async def test_a_notice_posted_on_one_node_is_said_on_the_other_until_lifted(
    make_node: Node, shared_store: PostgresStore
) -> None:
    first, second = await make_node(), await make_node()
    _, token = await make_agent(shared_store, "Sue", role="supervisor")  # type: ignore[arg-type]
    headers = {"Cookie": f"{COOKIE}={token}"}
    body = {"intent": "payment_failed", "texts": NOTICE}
    assert (await first.post("/api/incidents", json=body, headers=headers)).status == 201
    board = second.server.app[INCIDENTS]
    await asyncio.wait_for(board.wait_until(lambda b: bool(b.standing())), WAIT_S)
    notice, _ = await ask(second, PAYMENT["ko"], "ko")
    assert notice["text"] == NOTICE["ko"]
    assert (await first.delete("/api/incidents/payment_failed", headers=headers)).status == 200
    await asyncio.wait_for(board.wait_until(lambda b: not b.standing()), WAIT_S)
    (answer,) = await ask(second, PAYMENT["ko"], "ko")
    assert answer["kind"] == "answer"
