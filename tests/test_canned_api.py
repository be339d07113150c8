"""Canned answers end to end, on every backend: supervisors add, change and delete them
over /api/canned; agents see their teams' and everyone's; bad input is a 400 naming the
field, a taken shortcut a 409; and a new answer is found by its shortcut in the agent's
`/` search at once, its placeholders filled for the conversation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from backends import STORE_BACKENDS, open_backend
from handoff_kit import AgentClient, desk_rulebook, make_agent
from helpline.settings import Settings
from helpline.store import SQLiteStore
from test_identity_ws import SECRET, claim, join

Client = Callable[..., Awaitable[TestClient]]
REFUND = {
    "shortcut": "/refund", "title": "Refund policy", "team": None,
    "bodies": {"en": "Hi {customer_name}, I'm {agent_name}. Refunds take 3 days. {order_id}",
               "ko": "{customer_name}님, 상담원 {agent_name}입니다. 환불은 3일 걸려요."},
}  # fmt: skip


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with open_backend(request, tmp_path) as opened:
        yield opened  # type: ignore[misc]


@pytest.fixture
async def client(make_client: Client, make_settings: Callable[..., Settings]) -> TestClient:
    return await make_client(make_settings(identity_secret=SECRET), rulebook=desk_rulebook())


@pytest.fixture
async def supervisor(store: SQLiteStore) -> str:
    return (await make_agent(store, "Sue", ("general",), role="supervisor"))[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def call(
    client: TestClient, method: str, path: str, token: str, body: Any = None
) -> tuple[int, Any]:
    response = await client.request(method, path, json=body, headers=bearer(token))
    return response.status, (await response.json() if response.status != 204 else None)


async def add(client: TestClient, token: str, **fields: Any) -> dict[str, Any]:
    status, body = await call(client, "POST", "/api/canned", token, {**REFUND, **fields})
    assert status == 201, body
    added: dict[str, Any] = body["canned"]
    return added


async def listed(client: TestClient, token: str) -> list[str]:
    status, body = await call(client, "GET", "/api/canned", token)
    assert status == 200, body
    return [a["shortcut"] for a in body["canned"]]


async def test_a_supervisor_adds_an_answer_and_agents_list_it(
    client: TestClient, store: SQLiteStore, supervisor: str
) -> None:
    _, agent = await make_agent(store, "Ann")

    added = await add(client, supervisor)

    assert added["shortcut"] == "refund" and added["bodies"] == REFUND["bodies"]
    assert added["team"] is None
    assert await listed(client, agent) == ["refund"]


async def test_a_teams_answer_is_listed_only_for_that_team_and_supervisors(
    client: TestClient, store: SQLiteStore, supervisor: str
) -> None:
    _, general = await make_agent(store, "Ann", ("general",))
    _, billing = await make_agent(store, "Bo", ("billing",))
    await add(client, supervisor, shortcut="invoice", team="billing")
    await add(client, supervisor, shortcut="hello")

    assert await listed(client, general) == ["hello"]
    assert await listed(client, billing) == ["hello", "invoice"]
    assert await listed(client, supervisor) == ["hello", "invoice"]


async def test_a_supervisor_edits_an_answer(client: TestClient, supervisor: str) -> None:
    added = await add(client, supervisor, team="billing")

    status, body = await call(
        client, "PATCH", f"/api/canned/{added['id']}", supervisor,
        {"title": "Refunds", "shortcut": "refunds", "team": None},
    )  # fmt: skip

    assert status == 200, body
    assert (body["canned"]["title"], body["canned"]["shortcut"]) == ("Refunds", "refunds")
    assert body["canned"]["team"] is None and body["canned"]["bodies"] == REFUND["bodies"]
    assert await listed(client, supervisor) == ["refunds"]


async def test_a_supervisor_deletes_an_answer(client: TestClient, supervisor: str) -> None:
    added = await add(client, supervisor)

    status, _ = await call(client, "DELETE", f"/api/canned/{added['id']}", supervisor)
    again, body = await call(client, "DELETE", f"/api/canned/{added['id']}", supervisor)

    assert (status, again, body["error"]) == (204, 404, "not_found")
    assert await listed(client, supervisor) == []


async def test_a_taken_shortcut_is_a_conflict(client: TestClient, supervisor: str) -> None:
    await add(client, supervisor)
    other = await add(client, supervisor, shortcut="delay")

    added, body = await call(client, "POST", "/api/canned", supervisor, {**REFUND, "title": "2"})
    renamed, _ = await call(
        client, "PATCH", f"/api/canned/{other['id']}", supervisor, {"shortcut": "REFUND"}
    )

    assert (added, renamed, body["error"]) == (409, 409, "conflict")
    assert "/refund" in body["message"]


async def test_agents_may_not_add_change_or_delete(
    client: TestClient, store: SQLiteStore, supervisor: str
) -> None:
    _, agent = await make_agent(store, "Ann")
    added = await add(client, supervisor)

    refused = [
        await call(client, "POST", "/api/canned", agent, {**REFUND, "shortcut": "x"}),
        await call(client, "PATCH", f"/api/canned/{added['id']}", agent, {"title": "x"}),
        await call(client, "DELETE", f"/api/canned/{added['id']}", agent),
    ]

    assert [(status, body["error"]) for status, body in refused] == [(403, "forbidden")] * 3
    assert await listed(client, agent) == ["refund"]


async def test_nobody_signed_in_sees_nothing(client: TestClient) -> None:
    response = await client.get("/api/canned")

    assert response.status == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"shortcut": "two words"}, "'shortcut'"),
        ({"shortcut": ""}, "'shortcut'"),
        ({"shortcut": 7}, "'shortcut'"),
        ({"title": ""}, "'title'"),
        ({"title": "x" * 101}, "'title'"),
        ({"bodies": {"fr": "Bonjour"}}, "'bodies'"),
        ({"bodies": {"en": "  ", "ko": ""}}, "'bodies'"),
        ({"bodies": "Hello"}, "'bodies'"),
        ({"bodies": {"en": "x" * 2001}}, "'bodies'"),
        ({"team": ["billing"]}, "'team'"),
        ({"colour": "red"}, "'colour'"),
        ({"title": None}, "'title'"),
    ],
)
async def test_bad_input_is_refused_naming_the_field(
    client: TestClient, supervisor: str, change: dict[str, Any], field: str
) -> None:
    status, body = await call(client, "POST", "/api/canned", supervisor, {**REFUND, **change})

    assert (status, body["error"]) == (400, "bad_request"), body
    assert field in body["message"]
    assert await listed(client, supervisor) == []


@pytest.mark.parametrize("body", ["not json", [1, 2], None])
async def test_a_body_that_is_not_an_object_is_refused(
    client: TestClient, supervisor: str, body: Any
) -> None:
    response = await client.post(
        "/api/canned", data=body if isinstance(body, str) else None, json=None
        if isinstance(body, str) else body, headers=bearer(supervisor),
    )  # fmt: skip

    assert response.status == 400
    assert (await response.json())["error"] == "bad_request"


async def test_changing_an_unknown_answer_is_not_found(client: TestClient, supervisor: str) -> None:
    status, body = await call(client, "PATCH", "/api/canned/k_none", supervisor, {"title": "x"})

    assert (status, body["error"]) == (404, "not_found")


async def accepted(client: TestClient, agent: AgentClient, lang: str = "en") -> str:
    """A signed-in customer, Mina, handed to this agent."""
    customer = await join(client, claim(name="Mina"), lang=lang)
    await customer.say("m1", "상담원 연결해 주세요" if lang == "ko" else "talk to a human")
    conversation: str = customer.ready["conversation"]
    await agent.next_of("conversation.offered", conversation=conversation)
    await agent.accept(conversation)
    return conversation


async def search(agent: AgentClient, conversation: str, query: str) -> list[dict[str, Any]]:
    await agent.send({"type": "canned.search", "conversation": conversation, "query": query})
    found: list[dict[str, Any]] = (await agent.next_of("canned.results", query=query))["results"]
    return found


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Hi Mina, I'm Ann. Refunds take 3 days. {order_id}"),
        ("ko", "Mina님, 상담원 Ann입니다. 환불은 3일 걸려요."),
    ],
)
async def test_a_new_answer_is_found_by_its_shortcut_at_once_with_placeholders_filled(
    client: TestClient, store: SQLiteStore, supervisor: str, lang: str, text: str
) -> None:
    _, token = await make_agent(store, "Ann")
    agent = await AgentClient.join(client, token)
    conversation = await accepted(client, agent, lang)

    await add(client, supervisor)
    found = await search(agent, conversation, "refund")

    assert found[0]["shortcut"] == "/refund" and found[0]["title"] == "Refund policy"
    assert found[0]["text"] == text  # {order_id} is unknown: left for the agent to see


async def test_the_faq_answers_are_still_found_beside_the_written_ones(
    client: TestClient, store: SQLiteStore, supervisor: str
) -> None:
    _, token = await make_agent(store, "Ann")
    agent = await AgentClient.join(client, token)
    conversation = await accepted(client, agent)
    await add(client, supervisor, shortcut="password", title="Password help")

    found = await search(agent, conversation, "password")

    assert found[0].get("shortcut") == "/password"
    assert "password_reset" in [r.get("intent") for r in found]


async def test_an_agent_never_finds_another_teams_answer(
    client: TestClient, store: SQLiteStore, supervisor: str
) -> None:
    _, token = await make_agent(store, "Ann", ("general",))
    agent = await AgentClient.join(client, token)
    conversation = await accepted(client, agent)
    await add(client, supervisor, shortcut="invoice", title="Invoice copy", team="billing")

    found = await search(agent, conversation, "invoice")

    assert "/invoice" not in [r.get("shortcut") for r in found]


async def test_a_deleted_or_renamed_answer_is_no_longer_found(
    client: TestClient, store: SQLiteStore, supervisor: str
) -> None:
    _, token = await make_agent(store, "Ann")
    agent = await AgentClient.join(client, token)
    conversation = await accepted(client, agent)
    added = await add(client, supervisor)
    assert (await search(agent, conversation, "refund"))[0]["shortcut"] == "/refund"

    await call(client, "PATCH", f"/api/canned/{added['id']}", supervisor, {"shortcut": "money"})
    renamed = await search(agent, conversation, "/mon")
    await call(client, "DELETE", f"/api/canned/{added['id']}", supervisor)
    deleted = await search(agent, conversation, "/mon")

    assert renamed[0]["shortcut"] == "/money"
    assert "/money" not in [r.get("shortcut") for r in deleted]
