"""What an agent's console is told to tell conversations apart and to hand them on: the
page and the newest message on the queue card, the customer's "seen", the transfer
picker's teams and agents. Real app, real SQLite file, real sockets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from conftest import Customer
from handoff_kit import AgentClient, desk_rulebook, make_agent
from helpline.store import SQLiteStore

Client = Callable[..., Awaitable[TestClient]]
PAGE = "https://shop.example.com/plans?id=premium"


@pytest.fixture
async def desk(make_client: Client) -> TestClient:
    return await make_client(rulebook=desk_rulebook())


async def widget(client: TestClient, page: str | None = PAGE, **hello: Any) -> Customer:
    customer = Customer(await client.ws_connect("/ws/customer"))
    frame = {"type": "session.hello", "lang": "en", "page": page, **hello}
    await customer.send(frame)
    customer.ready = await customer.next_of("session.ready")
    return customer


async def test_a_queue_card_shows_the_page_and_the_customers_newest_message(
    desk: TestClient, store: SQLiteStore
) -> None:
    _, token = await make_agent(store, "Ann")
    agent = await AgentClient.join(desk, token)
    customer = await widget(desk, page=PAGE + "#session=secret")
    await customer.say("m1", "talk to a human")

    offer = await agent.next_of("conversation.offered")

    assert offer["entry"]["page_url"] == PAGE  # without the fragment
    assert offer["entry"]["preview"] == "talk to a human"


async def test_a_card_follows_what_the_customer_writes_while_in_line(
    desk: TestClient, store: SQLiteStore
) -> None:
    _, token = await make_agent(store, "Ann")
    agent = await AgentClient.join(desk, token)
    customer = await widget(desk)
    await customer.say("m1", "talk to a human")
    await agent.next_of("conversation.offered")

    await customer.say("m2", "it is about   my\nMarch invoice")
    [card] = await agent.snapshot_where(lambda e: bool(e) and e[0]["preview"] != "talk to a human")

    assert card["preview"] == "it is about my March invoice"


async def test_a_long_message_is_cut_on_the_card(desk: TestClient, store: SQLiteStore) -> None:
    _, token = await make_agent(store, "Ann")
    agent = await AgentClient.join(desk, token)
    customer = await widget(desk)
    await customer.say("m1", "talk to a human " + "x" * 500)

    offer = await agent.next_of("conversation.offered")

    assert len(offer["entry"]["preview"]) == 120


@pytest.mark.parametrize("page", ["javascript:alert(1)", "https://x.test/" + "a" * 1000, 7])
async def test_a_hello_with_a_page_that_is_not_an_http_url_is_refused_clearly(
    desk: TestClient, page: object
) -> None:
    customer = Customer(await desk.ws_connect("/ws/customer"))
    await customer.send({"type": "session.hello", "lang": "en", "page": page})

    error = await customer.next_of("error")

    assert error["code"] == "bad_frame" and "page" in error["message"]


async def test_a_widget_without_a_page_starts_as_before(desk: TestClient) -> None:
    customer = await widget(desk, page=None)

    assert customer.ready["resumed"] is False


async def accepted(
    client: TestClient, store: SQLiteStore, token: str | None = None
) -> tuple[Customer, AgentClient, str]:
    if token is None:
        _, token = await make_agent(store, "Ann")
    agent = await AgentClient.join(client, token)
    customer = await widget(client)
    await customer.say("m1", "talk to a human")
    cid = customer.ready["conversation"]
    await agent.next_of("conversation.offered", conversation=cid)
    await agent.accept(cid)
    await customer.next_of("agent.joined")
    return customer, agent, cid


async def test_the_agent_is_told_when_the_customer_has_seen_the_reply(
    desk: TestClient, store: SQLiteStore
) -> None:
    customer, agent, cid = await accepted(desk, store)
    await agent.send({"type": "message.new", "conversation": cid, "id": "r1", "text": "Hello!"})
    reply = await customer.next_of("message.new", sender="agent")

    await customer.send({"type": "message.seen", "seq": reply["seq"]})
    seen = await agent.next_of("message.seen", conversation=cid)

    assert seen["seq"] == reply["seq"]


async def test_the_seen_reply_is_still_seen_after_the_console_reloads(
    desk: TestClient, store: SQLiteStore
) -> None:
    _, token = await make_agent(store, "Ann")
    customer, agent, cid = await accepted(desk, store, token)
    await agent.send({"type": "message.new", "conversation": cid, "id": "r1", "text": "Hello!"})
    reply = await customer.next_of("message.new", sender="agent")
    await customer.send({"type": "message.seen", "seq": reply["seq"]})
    await agent.next_of("message.seen", conversation=cid)
    await agent.close()

    ann = await AgentClient.join(desk, token)
    view = await ann.next_of("conversation.assigned", conversation=cid)

    assert view["seen_seq"] == reply["seq"]
    assert view["customer"]["page_url"] == PAGE


async def test_a_seen_report_for_an_older_message_tells_the_agent_nothing(
    desk: TestClient, store: SQLiteStore
) -> None:
    customer, agent, cid = await accepted(desk, store)
    await agent.send({"type": "message.new", "conversation": cid, "id": "r1", "text": "One"})
    first = await customer.next_of("message.new", sender="agent")
    await agent.send({"type": "message.new", "conversation": cid, "id": "r2", "text": "Two"})
    second = await customer.next_of("message.new", sender="agent")
    await customer.send({"type": "message.seen", "seq": second["seq"]})
    await agent.next_of("message.seen", conversation=cid)

    await customer.send({"type": "message.seen", "seq": first["seq"]})
    # a later report on the same topic: anything the older one sent would come before it
    await agent.send({"type": "message.new", "conversation": cid, "id": "r3", "text": "Three"})
    third = await customer.next_of("message.new", sender="agent")
    await customer.send({"type": "message.seen", "seq": third["seq"]})
    await agent.next_of("message.seen", conversation=cid, seq=third["seq"])

    seen = [f["seq"] for f in agent.seen if f["type"] == "message.seen"]
    assert seen == [second["seq"], third["seq"]]


@pytest.mark.parametrize("seq", [0, -1, "3", None])
async def test_a_seen_report_without_a_positive_seq_is_refused(
    desk: TestClient, seq: object
) -> None:
    customer = await widget(desk)

    await customer.send({"type": "message.seen", "seq": seq})
    error = await customer.next_of("error")

    assert error["code"] == "bad_frame"


async def test_the_transfer_picker_lists_teams_and_the_other_online_agents_by_load(
    desk: TestClient, store: SQLiteStore
) -> None:
    customer, ann, cid = await accepted(desk, store)
    bo, bo_token = await make_agent(store, "Bo", teams=("billing",), capacity=3)
    await AgentClient.join(desk, bo_token)
    _, cy_token = await make_agent(store, "Cy", teams=("billing", "account"))
    cy = await AgentClient.join(desk, cy_token)
    await cy.send({"type": "presence.set", "status": "away"})
    await cy.next_of("presence.changed")

    await ann.send({"type": "transfer.options"})
    options = await ann.next_of("transfer.options")

    teams = {t["name"]: (t["online"], t["waiting"]) for t in options["teams"]}
    assert teams == {"account": (0, 0), "billing": (1, 0), "general": (1, 0)}
    assert [(a["name"], a["active"], a["capacity"]) for a in options["agents"]] == [("Bo", 0, 3)]
    assert options["agents"][0]["id"] == bo.id and options["agents"][0]["teams"] == ["billing"]
