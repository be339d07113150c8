"""Team management over HTTP, on every backend: supervisors list, add, change and lock
agents; a change reaches routing at once; a locked agent cannot sign in and loses their
sessions and their conversations go back to the line; nobody else may do any of it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from backends import STORE_BACKENDS, open_backend
from conftest import Customer
from handoff_kit import AgentClient, Clock, desk_rulebook, handoff_of, make_agent, wait_for
from helpline.password import HashParams
from helpline.settings import Limits
from helpline.store import SQLiteStore
from helpline.web.app import create_app
from helpline.web.auth_settings import AuthSettings
from helpline.web.keys import AUTH_SETTINGS

CHEAP = HashParams(time_cost=1, memory_kib=1024, parallelism=1)


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with open_backend(request, tmp_path) as opened:
        yield opened  # type: ignore[misc]


@pytest.fixture
async def client(
    store: SQLiteStore, make_settings: Callable[..., Any], aiohttp_client: Any
) -> TestClient:
    settings = make_settings(limits=Limits(burst=1000))
    app = create_app(settings, store=store, rulebook=desk_rulebook(), clock=Clock())
    app[AUTH_SETTINGS] = AuthSettings(password=CHEAP)  # the initial passwords hash fast
    made: TestClient = await aiohttp_client(app)
    return made


@pytest.fixture
async def sue(store: SQLiteStore) -> str:
    return (await make_agent(store, "Sue", (), role="supervisor"))[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def call(
    client: TestClient, method: str, path: str, token: str, body: Any = None
) -> tuple[int, Any]:
    response = await client.request(method, path, json=body, headers=bearer(token))
    return response.status, await response.json()


async def test_a_supervisor_adds_an_agent_who_signs_in_with_the_initial_password(
    client: TestClient, sue: str
) -> None:
    status, body = await call(
        client, "POST", "/api/agents", sue,
        {"email": "Kim@desk.test", "name": "김민지", "teams": ["billing"], "capacity": 4},
    )  # fmt: skip
    assert status == 201, body
    added = body["agent"]
    assert (added["name"], added["teams"], added["capacity"]) == ("김민지", ["billing"], 4)
    assert (added["role"], added["locked"], added["online"], added["load"]) == (
        "agent", False, False, 0,
    )  # fmt: skip
    password = body["initial_password"]
    assert len(password) >= 16

    login = await client.post(
        "/api/agent/login", json={"email": "kim@desk.test", "password": password}
    )
    assert login.status == 200
    status, listed = await call(client, "GET", "/api/agents", sue)
    assert status == 200
    assert "kim@desk.test" in [a["email"].lower() for a in listed["agents"]]


async def test_an_email_already_taken_is_a_conflict_naming_the_field(
    client: TestClient, sue: str
) -> None:
    taken = {"email": "SUE@desk.test", "name": "Sue again"}
    status, body = await call(client, "POST", "/api/agents", sue, taken)
    assert (status, body["error"], body["field"]) == (409, "conflict", "email")


async def test_a_team_change_routes_the_next_escalation_of_that_team_to_the_agent_at_once(
    client: TestClient, store: SQLiteStore, sue: str
) -> None:
    ann_account, ann_token = await make_agent(store, "Ann", ("account",))
    await make_agent(store, "Bob", ("billing",))  # billing exists, but Bob is not signed in
    ann = await AgentClient.join(client, ann_token)

    status, body = await call(
        client, "PATCH", f"/api/agents/{ann_account.id}", sue, {"teams": ["account", "billing"]}
    )
    assert status == 200 and body["agent"]["teams"] == ["account", "billing"]
    customer = await Customer.join(client)
    await customer.say("m1", "i want a refund")  # billing's intent

    offer = await ann.next_of("conversation.offered")
    assert offer["conversation"] == customer.ready["conversation"]
    assert offer["entry"]["team"] == "billing"


async def test_teams_list_members_and_who_is_online(
    client: TestClient, store: SQLiteStore, sue: str
) -> None:
    _, ann_token = await make_agent(store, "Ann", ("billing",))
    await make_agent(store, "Bob", ("billing", "account"))
    await AgentClient.join(client, ann_token)

    status, body = await call(client, "GET", "/api/teams", sue)

    assert status == 200
    teams = {team["name"]: team for team in body["teams"]}
    assert {"account", "billing", "general"} <= set(teams)
    assert sorted(m["name"] for m in teams["billing"]["members"]) == ["Ann", "Bob"]
    assert (teams["billing"]["online"], teams["account"]["online"]) == (1, 0)


async def test_a_locked_agent_cannot_sign_in_loses_sessions_and_their_chat_goes_back_to_the_line(
    client: TestClient, store: SQLiteStore, sue: str
) -> None:
    status, body = await call(
        client, "POST", "/api/agents", sue, {"email": "ann@desk.test", "name": "Ann",
                                             "teams": ["general"]},
    )  # fmt: skip
    ann_id, password = body["agent"]["id"], body["initial_password"]
    login = await client.post("/api/agent/login", json={"email": "ann@desk.test",
                                                        "password": password})  # fmt: skip
    ann_token = (await login.json())["token"]
    ann = await AgentClient.join(client, ann_token)
    customer = await Customer.join(client)
    await customer.say("m1", "i want an agent")
    conversation = customer.ready["conversation"]
    await ann.next_of("conversation.offered", conversation=conversation)
    await ann.accept(conversation)

    status, body = await call(client, "PATCH", f"/api/agents/{ann_id}", sue, {"locked": True})

    assert status == 200 and body["agent"]["locked"] is True and body["agent"]["online"] is False
    me = await client.get("/api/agent/me", headers=bearer(ann_token))
    assert me.status == 401
    again = await client.post("/api/agent/login", json={"email": "ann@desk.test",
                                                        "password": password})  # fmt: skip
    assert again.status == 401
    await wait_for(client, lambda desk: desk.board.rows[conversation].state == "waiting")
    assert handoff_of(client).board.rows[conversation].agent_id is None
    await customer.next_of("conversation.status", status="queued")

    status, body = await call(client, "PATCH", f"/api/agents/{ann_id}", sue, {"locked": False})
    assert body["agent"]["locked"] is False
    login = await client.post("/api/agent/login", json={"email": "ann@desk.test",
                                                        "password": password})  # fmt: skip
    assert login.status == 200


async def test_a_locked_agent_is_offered_nothing(
    client: TestClient, store: SQLiteStore, sue: str
) -> None:
    ann_account, ann_token = await make_agent(store, "Ann", ("general",))
    bob_account, bob_token = await make_agent(store, "Bob", ("general",))
    ann = await AgentClient.join(client, ann_token)
    await AgentClient.join(client, bob_token)
    status, _ = await call(client, "PATCH", f"/api/agents/{bob_account.id}", sue, {"locked": True})
    assert status == 200
    assert handoff_of(client).board.presence[bob_account.id] == "offline"

    for n in range(2):
        customer = await Customer.join(client)
        await customer.say(f"m{n}", "i want an agent")
        offer = await ann.next_of("conversation.offered")
        assert offer["conversation"] == customer.ready["conversation"]
    assert [row.agent_id for row in handoff_of(client).board.rows.values()] == [ann_account.id] * 2


@pytest.mark.parametrize("role", ["agent", "author"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/agents", None),
        ("GET", "/api/teams", None),
        ("POST", "/api/agents", {"email": "x@desk.test", "name": "X"}),
        ("PATCH", "/api/agents/{sue}", {"locked": True}),
    ],
)
async def test_agents_and_authors_may_not_manage_the_team(
    client: TestClient, store: SQLiteStore, role: str, method: str, path: str, body: Any
) -> None:
    sue, _ = await make_agent(store, "Sue", (), role="supervisor")
    _, token = await make_agent(store, "Ann", ("general",), role=role)

    status, found = await call(client, method, path.format(sue=sue.id), token, body)

    assert (status, found["error"]) == (403, "forbidden")
    assert [a.role for a in await store.agents()] == ["supervisor", role]


async def test_nobody_signed_in_gets_401(client: TestClient) -> None:
    response = await client.get("/api/agents")
    assert response.status == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "No email"}, "email"),
        ({"email": "not-an-address", "name": "X"}, "email"),
        ({"email": "x@desk.test", "name": ""}, "name"),
        ({"email": "x@desk.test", "name": "X", "role": "boss"}, "role"),
        ({"email": "x@desk.test", "name": "X", "capacity": 0}, "capacity"),
        ({"email": "x@desk.test", "name": "X", "capacity": "3"}, "capacity"),
        ({"email": "x@desk.test", "name": "X", "teams": "billing"}, "teams"),
        ({"email": "x@desk.test", "name": "X", "teams": ["a,b"]}, "teams"),
        ({"email": "x@desk.test", "name": "X", "password": "mine"}, "password"),
    ],
)
async def test_a_bad_new_agent_is_400_naming_the_field(
    client: TestClient, sue: str, body: Any, field: str
) -> None:
    status, found = await call(client, "POST", "/api/agents", sue, body)
    assert (status, found["error"], found["field"]) == (400, "bad_request", field)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"locked": "yes"}, "locked"),
        ({"capacity": 1000}, "capacity"),
        ({"teams": [1]}, "teams"),
        ({"email": "new@desk.test"}, "email"),
    ],
)
async def test_a_bad_change_is_400_naming_the_field_and_changes_nothing(
    client: TestClient, store: SQLiteStore, sue: str, body: Any, field: str
) -> None:
    ann, _ = await make_agent(store, "Ann", ("general",))
    status, found = await call(client, "PATCH", f"/api/agents/{ann.id}", sue, body)
    assert (status, found["field"]) == (400, field)
    assert await store.agent(ann.id) == ann


async def test_a_body_that_is_not_json_is_400(client: TestClient, sue: str) -> None:
    response = await client.post(
        "/api/agents", data=b"{nope", headers={**bearer(sue), "Content-Type": "application/json"}
    )
    assert response.status == 400


async def test_an_unknown_agent_is_404(client: TestClient, sue: str) -> None:
    status, found = await call(client, "PATCH", "/api/agents/nobody", sue, {"capacity": 2})
    assert (status, found["error"]) == (404, "not_found")


async def test_a_supervisor_cannot_lock_or_demote_themselves(
    client: TestClient, store: SQLiteStore
) -> None:
    sue, token = await make_agent(store, "Sue", (), role="supervisor")
    for body in ({"locked": True}, {"role": "agent"}):
        status, found = await call(client, "PATCH", f"/api/agents/{sue.id}", token, body)
        assert (status, found["error"]) == (409, "conflict")
    assert await store.agent(sue.id) == sue
