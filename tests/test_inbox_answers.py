"""Learning from agents, on every backend: in conversations a person closed over the real
sockets, the customer's question paired with the agent's answer as a draft for authors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from backends import STORE_BACKENDS, open_backend
from conftest import Customer
from handoff_kit import AgentClient, desk_rulebook, make_agent
from helpline.store import SQLiteStore

Client = Callable[..., Awaitable[TestClient]]


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with open_backend(request, tmp_path) as opened:
        yield opened  # type: ignore[misc]


@pytest.fixture
async def desk(make_client: Client) -> TestClient:
    return await make_client(rulebook=desk_rulebook())


async def handled(client: TestClient, agent: AgentClient, said: list[tuple[str, str]]) -> str:
    """A conversation an agent takes and closes; `said` is (who, text) after the customer
    asks for a person, "before" lines coming first. Its id."""
    customer = await Customer.join(client)
    await customer.bot_reply()  # the greeting
    for n, (who, text) in enumerate(said):
        if who == "before":
            await customer.say(f"b{n}", text)
            await customer.bot_reply()
    await customer.say("h", "talk to a human")
    conversation = customer.ready["conversation"]
    await agent.next_of("conversation.offered", conversation=conversation)
    await agent.accept(conversation)
    for n, (who, text) in enumerate(said):
        if who == "agent":
            frame = {
                "type": "message.new",
                "conversation": conversation,
                "id": f"r{n}",
                "text": text,
            }
            await agent.send(frame)
            await customer.next_of("message.new", sender="agent", text=text)
        elif who == "customer":
            await customer.say(f"c{n}", text)
            await agent.next_of("message.new", sender="customer", text=text)
    await agent.send({"type": "conversation.close", "conversation": conversation})
    await customer.next_of("conversation.status", status="closed")
    await customer.ws.close()
    return conversation


async def drafts(client: TestClient, token: str) -> list[dict[str, Any]]:
    response = await client.get("/api/inbox/answers", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200
    found: list[dict[str, Any]] = (await response.json())["drafts"]
    return found


async def test_the_question_before_the_handoff_is_paired_with_the_agents_answer(
    desk: TestClient, store: SQLiteStore
) -> None:
    ann, token = await make_agent(store, "Ann", role="supervisor")
    agent = await AgentClient.join(desk, token)
    conversation = await handled(desk, agent, [
        ("before", "where is my parcel"),
        ("agent", "Parcels ship within 3 days."),
        ("agent", "You can track yours under Orders."),
    ])  # fmt: skip

    [draft] = await drafts(desk, token)

    assert (draft["size"], draft["language"]) == (1, "en")
    assert draft["pairs"] == [
        {
            "conversation": conversation,
            "question": "where is my parcel",
            "answer": "Parcels ship within 3 days.\n\nYou can track yours under Orders.",
            "agent": ann.id,
            "closed_at": draft["pairs"][0]["closed_at"],
        }
    ]


async def test_a_customer_who_explains_to_the_agent_gives_the_question(
    desk: TestClient, store: SQLiteStore
) -> None:
    _, token = await make_agent(store, "Ann", role="author")
    agent = await AgentClient.join(desk, token)
    await handled(desk, agent, [
        ("agent", "Hi, how can I help?"),
        ("customer", "my parcel is lost"),
        ("agent", "I have sent a new one."),
    ])  # fmt: skip

    [draft] = await drafts(desk, token)

    [pair] = draft["pairs"]
    assert (pair["question"], pair["answer"]) == (
        "my parcel is lost",
        "Hi, how can I help?\n\nI have sent a new one.",
    )


async def test_similar_questions_of_several_conversations_share_a_draft(
    desk: TestClient, store: SQLiteStore
) -> None:
    _, token = await make_agent(store, "Ann", role="supervisor")
    agent = await AgentClient.join(desk, token)
    for question in ("where is my parcel", "where is my parcel now?"):
        await handled(desk, agent, [("before", question), ("agent", "It ships in 3 days.")])

    [draft] = await drafts(desk, token)

    assert draft["size"] == 2
    questions = [p["question"] for p in draft["pairs"]]
    assert questions == ["where is my parcel now?", "where is my parcel"]  # the latest first


async def test_a_conversation_closed_without_a_word_from_the_agent_offers_nothing(
    desk: TestClient, store: SQLiteStore
) -> None:
    _, token = await make_agent(store, "Ann", role="supervisor")
    agent = await AgentClient.join(desk, token)
    await handled(desk, agent, [("before", "where is my parcel")])

    assert await drafts(desk, token) == []


async def test_agents_are_not_offered_drafts(desk: TestClient, store: SQLiteStore) -> None:
    _, token = await make_agent(store, "Bob")
    response = await desk.get("/api/inbox/answers", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 403
