"""GET /metrics: a node's figures in Prometheus' text format, moved by real conversations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from conftest import Customer
from handoff_kit import AgentClient, Clock, desk_rulebook, make_agent
from helpline.store import SQLiteStore

Client = Callable[..., Awaitable[TestClient]]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(client: TestClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(await response.text())
        for sample in family.samples
    }


async def conversation_of_three_outcomes(client: TestClient) -> Customer:
    """An answer, a fallback, then a handoff the customer asked for."""
    customer = await Customer.join(client)
    await customer.say("m1", "i forgot my password")
    await customer.next_of("message.new", sender="bot", kind="answer")
    await customer.say("m2", "None of these", payload="/none_of_these")
    await customer.next_of("message.new", sender="bot", kind="fallback")
    await customer.say("m3", "talk to a human")
    await customer.next_of("conversation.status")
    return customer


async def test_decisions_handoffs_and_messages_are_counted_as_the_turns_go(
    make_client: Client,
) -> None:
    client = await make_client(rulebook=desk_rulebook())
    await conversation_of_three_outcomes(client)

    found = await scrape(client)

    for decision in ("greeting", "answer", "fallback", "handoff"):
        assert found[("helpline_decisions_total", (("decision", decision),))] == 1.0
    assert found[("helpline_handoffs_total", (("reason", "asked"),))] == 1.0
    assert found[("helpline_messages_total", (("sender", "customer"),))] == 3.0
    assert found[("helpline_decide_seconds_count", ())] == 3.0


async def test_the_queue_and_open_sockets_are_read_when_scraped(
    make_client: Client, store: SQLiteStore
) -> None:
    clock = Clock()
    client = await make_client(rulebook=desk_rulebook(), clock=clock)
    _, token = await make_agent(store, "Ann", teams=("billing",))  # online, not for "general"
    agent = await AgentClient.join(client, token)
    customer = await conversation_of_three_outcomes(client)
    clock.advance(25.0)

    found = await scrape(client)

    assert found[("helpline_queue_length", (("team", "general"),))] == 1.0
    assert found[("helpline_queue_oldest_wait_seconds", (("team", "general"),))] == 25.0
    assert found[("helpline_websockets_open", ())] == 2.0
    await customer.ws.close()
    await agent.close()


async def test_error_frames_are_counted_by_their_code(make_client: Client) -> None:
    client = await make_client(rulebook=desk_rulebook())
    customer = await Customer.join(client)
    await customer.send({"type": "weather.report"})
    await customer.next_of("error")

    found = await scrape(client)

    assert found[("helpline_errors_total", (("code", "unknown_type"),))] == 1.0


async def test_the_outbox_is_counted_by_status_from_the_store(
    make_client: Client, store: SQLiteStore
) -> None:
    client = await make_client(rulebook=desk_rulebook())
    for n in range(2):
        await store.enqueue_email(
            recipient=f"c{n}@example.com", subject="Re", body="Hi", conversation_id=None, now=0
        )

    found = await scrape(client)

    assert found[("helpline_outbox_emails", (("status", "queued"),))] == 2.0
    assert found[("helpline_outbox_emails", (("status", "failed"),))] == 0.0


async def test_two_nodes_in_one_process_keep_their_own_figures(make_client: Client) -> None:
    busy = await make_client(rulebook=desk_rulebook())
    quiet = await make_client(rulebook=desk_rulebook())
    await conversation_of_three_outcomes(busy)

    counted = await scrape(busy), await scrape(quiet)

    key = ("helpline_decisions_total", (("decision", "answer"),))
    assert (counted[0].get(key), counted[1].get(key)) == (1.0, None)
