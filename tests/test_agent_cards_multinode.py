"""Cards, "seen" and the transfer picker on two nodes sharing PostgreSQL and Redis: the
customer on one node, their agent on the other."""

from __future__ import annotations

import asyncio
from typing import Any

from conftest import WAIT_S, Customer
from handoff_kit import AgentClient, handoff_of, make_agent
from helpline.store.postgres import PostgresStore
from two_nodes import Node

PAGE = "https://shop.example.com/plans"


async def widget(node: Any) -> Customer:
    customer = Customer(await node.ws_connect("/ws/customer"))
    await customer.send({"type": "session.hello", "lang": "en", "page": PAGE})
    customer.ready = await customer.next_of("session.ready")
    return customer


async def test_the_card_on_another_node_shows_the_page_and_follows_the_newest_message(
    make_node: Node, shared_store: PostgresStore
) -> None:
    here, there = await make_node(), await make_node()
    _, token = await make_agent(shared_store, "Ann")  # type: ignore[arg-type]
    ann = await AgentClient.join(there, token)
    customer = await widget(here)
    await customer.say("m1", "talk to a human")
    offer = await ann.next_of("conversation.offered")
    assert (offer["entry"]["page_url"], offer["entry"]["preview"]) == (PAGE, "talk to a human")

    await customer.say("m2", "about my March invoice")
    [card] = await ann.snapshot_where(lambda e: bool(e) and e[0]["preview"] != "talk to a human")

    assert card["preview"] == "about my March invoice"


async def test_the_agent_on_another_node_is_told_the_reply_was_seen(
    make_node: Node, shared_store: PostgresStore
) -> None:
    here, there = await make_node(), await make_node()
    _, token = await make_agent(shared_store, "Ann")  # type: ignore[arg-type]
    ann = await AgentClient.join(there, token)
    customer = await widget(here)
    await customer.say("m1", "talk to a human")
    cid = customer.ready["conversation"]
    await ann.next_of("conversation.offered", conversation=cid)
    await ann.accept(cid)
    await ann.send({"type": "message.new", "conversation": cid, "id": "r1", "text": "Hi!"})
    reply = await customer.next_of("message.new", sender="agent")

    await customer.send({"type": "message.seen", "seq": reply["seq"]})

    assert (await ann.next_of("message.seen", conversation=cid))["seq"] == reply["seq"]


async def test_the_picker_lists_an_agent_connected_to_the_other_node(
    make_node: Node, shared_store: PostgresStore
) -> None:
    here, there = await make_node(), await make_node()
    store: Any = shared_store
    _, ann_token = await make_agent(store, "Ann")
    bo, bo_token = await make_agent(store, "Bo", ("billing",))
    ann = await AgentClient.join(here, ann_token)
    await AgentClient.join(there, bo_token)

    desk_here = handoff_of(here)
    await asyncio.wait_for(
        desk_here.wait_until(lambda d: d.board.presence.get(bo.id) == "online"), WAIT_S
    )
    await ann.send({"type": "transfer.options"})
    options = await ann.next_of("transfer.options")

    assert [a["id"] for a in options["agents"]] == [bo.id]
    assert {t["name"] for t in options["teams"]} == {"billing", "general"}
