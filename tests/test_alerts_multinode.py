"""Spike alerts and incident notices on two nodes sharing PostgreSQL and Redis: a spike is
raised once and reaches consoles on both; a notice posted on one node is said on the
other, and lifting it stops it there too."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient

from handoff_kit import AgentClient, make_agent
from helpline.store.postgres import PostgresStore
from helpline.web.auth import COOKIE
from helpline.web.keys import INCIDENTS, SPIKES
from test_alerts_ws import NOTICE, PAYMENT, ask
from two_nodes import Node

WAIT_S = 10.0




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
