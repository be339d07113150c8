"""Canned answers on two nodes sharing PostgreSQL and Redis: an answer a supervisor adds,
renames or deletes on one node is what an agent's `/` search finds on the other, without
waiting for the periodic re-read."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp.test_utils import TestClient

from handoff_kit import AgentClient, make_agent
from helpline.service.handoff.canned_library import RELOAD_S, CannedLibrary
from helpline.store.postgres import PostgresStore
from helpline.web.keys import CANNED
from test_canned_api import REFUND, bearer, search
from two_nodes import Node

WAIT_S = 10.0
assert WAIT_S < RELOAD_S  # else the periodic re-read, not the bus, could pass these tests




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
