"""Canned-answer search: bounded work per query, one index per rules version."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp.test_utils import TestClient

from conftest import Customer
from handoff_kit import AgentClient, desk_rulebook, make_agent
from helpline.rules.model import Rulebook
from helpline.service.handoff import canned
from helpline.store import SQLiteStore

Client = Callable[..., Awaitable[TestClient]]

LONG_QUERY = "password " + "x" * 1990  # within the 2,000 characters a frame field may have


def test_search_reads_only_the_first_max_query_chars() -> None:
    rulebook = desk_rulebook()

    long = canned.search(rulebook, "en", LONG_QUERY)

    assert long == canned.search(rulebook, "en", LONG_QUERY[: canned.MAX_QUERY_CHARS])


def test_index_is_built_once_per_rules_version(rulebook: Rulebook) -> None:
    first = canned.index_for(rulebook, "en")

    assert canned.index_for(rulebook, "en") is first
    assert canned.index_for(desk_rulebook(), "en") is not first


async def test_agents_long_query_gets_results_of_its_beginning(
    make_client: Client, store: SQLiteStore
) -> None:
    client = await make_client(rulebook=desk_rulebook())
    _, token = await make_agent(store, "Ann")
    agent = await AgentClient.join(client, token)
    customer = await Customer.join(client)
    await customer.say("m1", "talk to a human")
    conversation = customer.ready["conversation"]
    await agent.next_of("conversation.offered", conversation=conversation)
    await agent.accept(conversation)

    await agent.send({"type": "canned.search", "conversation": conversation, "query": LONG_QUERY})
    found = await agent.next_of("canned.results")

    assert found["results"][0]["intent"] == "password_reset"
    shorter = canned.search(desk_rulebook(), "en", LONG_QUERY[: canned.MAX_QUERY_CHARS])
    assert [r["score"] for r in found["results"]] == [r["score"] for r in shorter]
