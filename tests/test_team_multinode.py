"""Team changes on two nodes sharing PostgreSQL and Redis: a supervisor's change made on
one node routes the next escalation on the other at once."""

from __future__ import annotations

import asyncio
from typing import Any

from conftest import Customer
from handoff_kit import AgentClient, make_agent
from helpline.store.postgres import PostgresStore
from helpline.web.keys import HANDOFF
from two_nodes import Node

WAIT_S = 10.0


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
