"""Tickets end to end, on every backend: their life cycle through real websockets, due
times over GET /api/tickets as an injected clock moves, supervisors' changes over PATCH,
breaches raised once (event, console alert, webhook, escalation), and who may do what."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from backends import STORE_BACKENDS, open_backend
from conftest import WAIT_S, Customer
from handoff_kit import AgentClient, Clock, make_agent, sla_rulebook
from helpline.rules.model import Rulebook
from helpline.settings import Limits
from helpline.sla import Policy
from helpline.store import SQLiteStore
from helpline.web.keys import BREACH_WATCH

Client = Callable[..., Awaitable[TestClient]]
MIN = 60.0
POLICY = Policy(first_response=10 * MIN, next_response=5 * MIN, resolution=60 * MIN)


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with open_backend(request, tmp_path) as opened:
        yield opened  # type: ignore[misc]


def sla_rules(**settings: Any) -> Rulebook:
    return sla_rulebook(POLICY, **settings)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(
    make_client: Client, make_settings: Callable[..., Any], clock: Clock
) -> TestClient:
    settings = make_settings(limits=Limits(burst=1000))
    return await make_client(settings, rulebook=sla_rules(escalate_to="supervisors"), clock=clock)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def tickets(client: TestClient, token: str, query: str = "") -> list[dict[str, Any]]:
    response = await client.get(f"/api/tickets{query}", headers=bearer(token))
    assert response.status == 200, await response.text()
    found: list[dict[str, Any]] = (await response.json())["tickets"]
    return found


async def patch(client: TestClient, token: str, ticket: str, body: Any) -> tuple[int, Any]:
    response = await client.patch(f"/api/tickets/{ticket}", json=body, headers=bearer(token))
    return response.status, await response.json()


async def handed_over(client: TestClient, text: str = "i want an agent") -> Customer:
    customer = await Customer.join(client)
    await customer.say("m1", text)
    # queued, or offline when no agent is signed in: a ticket either way
    await customer.next_of("conversation.status")
    return customer


def timer(ticket: dict[str, Any], target: str) -> dict[str, Any]:
    return next(t for t in ticket["sla"]["timers"] if t["target"] == target)


async def test_a_ticket_goes_open_pending_open_solved_with_its_due_times(
    client: TestClient, store: SQLiteStore, clock: Clock
) -> None:
    _, ann_token = await make_agent(store, "Ann", ("general",))
    _, sup = await make_agent(store, "Sue", (), role="supervisor")
    ann = await AgentClient.join(client, ann_token)
    opened_at = clock.now
    customer = await handed_over(client)
    conversation = customer.ready["conversation"]
    [ticket] = await tickets(client, sup)
    assert (ticket["status"], ticket["sla"]["state"]) == ("open", "ok")
    assert ticket["sla"]["due_at"] == pytest.approx(opened_at + 10 * MIN)

    await ann.accept(conversation)
    clock.advance(2 * MIN)
    await ann.send({"type": "message.new", "conversation": conversation, "id": "r1", "text": "Hi"})
    await ann.next_of("ack", id="r1")
    [ticket] = await tickets(client, sup)
    assert ticket["status"] == "pending"
    assert timer(ticket, "first_response")["state"] == "met"
    assert timer(ticket, "resolution")["running"] is False  # paused: waiting on the customer

    clock.advance(30 * MIN)  # the customer's half hour does not count
    await customer.say("m2", "thanks, but it still fails")
    await customer.next_of("message.ack", id="m2")
    await customer.next_of("typing.stop")  # the turn is over: its ticket is open again
    [ticket] = await tickets(client, sup)
    assert ticket["status"] == "open"
    assert timer(ticket, "next_response")["due_at"] == pytest.approx(clock.now + 5 * MIN)
    assert timer(ticket, "resolution")["due_at"] == pytest.approx(clock.now + 58 * MIN)

    await ann.send({"type": "conversation.close", "conversation": conversation, "id": "c1"})
    await ann.next_of("ack", id="c1")
    assert await tickets(client, sup) == []  # the default list: unsolved only
    [solved] = await tickets(client, sup, "?status=solved")
    assert (solved["status"], solved["sla"]["state"], solved["sla"]["due_at"]) == (
        "solved", "met", None,
    )  # fmt: skip


async def test_colours_move_from_ok_to_warning_to_breached_as_the_clock_moves(
    client: TestClient, store: SQLiteStore, clock: Clock
) -> None:
    _, sup = await make_agent(store, "Sue", (), role="supervisor")
    await handed_over(client)
    states = []
    for minutes in (1, 5, 6):  # warning at half of the 10 minutes, breached past them
        clock.advance(minutes * MIN)
        [ticket] = await tickets(client, sup)
        states.append(ticket["sla"]["state"])
    assert states == ["ok", "warning", "breached"]


async def test_a_breach_is_raised_once_alerts_the_console_and_escalates(
    client: TestClient, store: SQLiteStore, clock: Clock
) -> None:
    _, ann_token = await make_agent(store, "Ann", ("general",))
    _, sup_token = await make_agent(store, "Sue", ("supervisors",), role="supervisor")
    ann = await AgentClient.join(client, ann_token)
    sue = await AgentClient.join(client, sup_token)
    customer = await handed_over(client)
    await ann.next_of("conversation.offered")  # Ann lets it wait
    clock.advance(11 * MIN)
    watch = client.server.app[BREACH_WATCH]  # type: ignore[union-attr]

    [alert] = [a for a in await watch.check() if a["target"] == "first_response"]
    # bounded as a whole: queue snapshots keep arriving, so each frame's own wait never ends it
    frame = await asyncio.wait_for(sue.next_of("sla.breached", target="first_response"), WAIT_S)

    assert frame["conversation"] == customer.ready["conversation"]
    assert "SLA breached" in frame["text"] and "SLA 위반" in frame["text"]
    assert alert["escalated_to"] == "supervisors"
    assert await watch.check() == []  # recorded once: not raised again
    [ticket] = await tickets(client, sup_token)
    assert ticket["team"] == "supervisors"
    # the supervisors' line offers it (on the agent's own topic: before or after the alert)
    offers = [f for f in sue.seen if f["type"] == "conversation.offered"]
    offer = (
        offers[0] if offers else await asyncio.wait_for(sue.next_of("conversation.offered"), WAIT_S)
    )
    assert offer["conversation"] == customer.ready["conversation"]
    kinds = [e.kind for e in await store.events(customer.ready["conversation"])]
    assert kinds.count("sla.breached") == 1 and "ticket.team" in kinds


async def test_the_webhook_gets_the_breach_with_a_slack_text(
    make_client: Client, make_settings: Callable[..., Any], clock: Clock, store: SQLiteStore
) -> None:
    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(text="ok")

    receiver = web.Application()
    receiver.router.add_post("/hook", hook)
    async with TestServer(receiver) as server:
        rules = sla_rules(webhook=str(server.make_url("/hook")))
        client = await make_client(make_settings(), rulebook=rules, clock=clock)
        await handed_over(client)
        clock.advance(11 * MIN)
        await client.server.app[BREACH_WATCH].check()  # type: ignore[union-attr]
    [body] = received
    assert body["event"] == "sla.breached" and body["target"] == "first_response"
    assert body["text"].startswith("SLA 위반")


async def test_supervisor_changes_priority_tags_and_assignee_of_a_live_conversation(
    client: TestClient, store: SQLiteStore
) -> None:
    _, ann_token = await make_agent(store, "Ann", ("general",))
    bob, bob_token = await make_agent(store, "Bob", ("general",))
    _, sup = await make_agent(store, "Sue", (), role="supervisor")
    ann = await AgentClient.join(client, ann_token)
    conversation = (await handed_over(client)).ready["conversation"]
    await ann.accept(conversation)
    bob_console = await AgentClient.join(client, bob_token)  # after: it can only be Ann's
    [ticket] = await tickets(client, sup)

    body = {"priority": "urgent", "tags": ["refund", " vip "], "assignee": bob.id}
    status, changed = await patch(client, sup, ticket["id"], body)

    assert status == 200, changed
    found = changed["ticket"]
    assert (found["priority"], found["tags"], found["assignee"]) == (
        "urgent",
        ["refund", "vip"],
        bob.id,
    )
    await bob_console.next_of("conversation.assigned", conversation=conversation)
    kinds = [e.kind for e in await store.events(conversation)]
    assert {"ticket.priority", "ticket.tags", "ticket.transferred"} <= set(kinds)


async def test_supervisor_reopens_a_solved_ticket(client: TestClient, store: SQLiteStore) -> None:
    _, ann_token = await make_agent(store, "Ann", ("general",))
    _, sup = await make_agent(store, "Sue", (), role="supervisor")
    ann = await AgentClient.join(client, ann_token)
    conversation = (await handed_over(client)).ready["conversation"]
    await ann.accept(conversation)
    await ann.send({"type": "conversation.close", "conversation": conversation, "id": "c1"})
    await ann.next_of("ack", id="c1")
    [ticket] = await tickets(client, sup, "?status=solved")

    status, changed = await patch(client, sup, ticket["id"], {"status": "open"})

    assert (status, changed["ticket"]["status"]) == (200, "open")
    assert "ticket.reopened" in [e.kind for e in await store.events(conversation)]


async def test_solving_a_ticket_whose_conversation_is_with_people_is_refused(
    client: TestClient, store: SQLiteStore
) -> None:
    _, sup = await make_agent(store, "Sue", (), role="supervisor")
    await handed_over(client)
    [ticket] = await tickets(client, sup)
    status, body = await patch(client, sup, ticket["id"], {"status": "solved"})
    assert (status, body["error"]) == (409, "conflict")
    assert "close it in the console" in body["message"]


async def test_agents_see_only_their_teams_tickets_and_change_none(
    client: TestClient, store: SQLiteStore
) -> None:
    _, general = await make_agent(store, "Ann", ("general",))
    _, billing = await make_agent(store, "Bo", ("billing",))
    _, author = await make_agent(store, "Al", (), role="author")
    await handed_over(client)  # "i want an agent": the general team's
    [ticket] = await tickets(client, general)
    assert await tickets(client, billing) == []
    assert await tickets(client, author) == []
    response = await client.get(f"/api/tickets/{ticket['id']}", headers=bearer(billing))
    assert response.status == 404  # another team's ticket is not there for them
    for token in (general, billing, author):
        status, body = await patch(client, token, ticket["id"], {"priority": "low"})
        assert (status, body["error"]) == (403, "forbidden")


async def test_nobody_signed_in_gets_nothing(client: TestClient) -> None:
    for response in (
        await client.get("/api/tickets"),
        await client.patch("/api/tickets/t_x", json={"status": "open"}),
    ):
        assert response.status == 401


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"status": "closed"}, "status must be one of open, pending, solved"),
        ({"priority": "asap"}, "priority must be one of low, normal, high, urgent"),
        ({"tags": "refund"}, "tags must be a list"),
        ({"tags": [""]}, "each tag must be a text of 1-40 characters"),
        ({"colour": "red"}, "unknown field 'colour'"),
        ([], "the body must be a JSON object"),
        ({"assignee": 7}, "assignee must be a text"),
    ],
)
async def test_bad_changes_get_a_clear_error(
    client: TestClient, store: SQLiteStore, body: Any, fragment: str
) -> None:
    _, sup = await make_agent(store, "Sue", (), role="supervisor")
    await handed_over(client)
    [ticket] = await tickets(client, sup)
    status, answer = await patch(client, sup, ticket["id"], body)
    assert (status, answer["error"]) == (400, "bad_request")
    assert fragment in answer["message"]


async def test_bad_queries_and_unknown_tickets_get_a_clear_error(
    client: TestClient, store: SQLiteStore
) -> None:
    _, sup = await make_agent(store, "Sue", (), role="supervisor")
    for query in ("?status=closed", "?limit=0", "?limit=many"):
        response = await client.get(f"/api/tickets{query}", headers=bearer(sup))
        assert response.status == 400, query
    status, body = await patch(client, sup, "t_nope", {"status": "open"})
    assert (status, body["error"]) == (404, "not_found")
    raw = await client.patch("/api/tickets/t_nope", data=b"{", headers=bearer(sup))
    assert raw.status == 400
    status, body = await patch(client, sup, "t_nope", {"assignee": "nobody"})
    assert status == 404


async def test_the_reports_count_breached_and_met_tickets(
    make_client: Client, make_settings: Callable[..., Any], store: SQLiteStore, clock: Clock
) -> None:
    settings = make_settings(limits=Limits(burst=1000))
    client = await make_client(settings, rulebook=sla_rules(), clock=clock)  # no escalation
    _, ann_token = await make_agent(store, "Ann", ("general",))
    _, sup = await make_agent(store, "Sue", (), role="supervisor")
    ann = await AgentClient.join(client, ann_token)
    late = (await handed_over(client)).ready["conversation"]
    clock.advance(11 * MIN)
    await client.server.app[BREACH_WATCH].check()  # type: ignore[union-attr]
    on_time = (await handed_over(client)).ready["conversation"]
    for conversation in (late, on_time):
        await ann.accept(conversation)
        close = {"type": "conversation.close", "conversation": conversation, "id": conversation}
        await ann.send(close)
        await ann.next_of("ack", id=conversation)

    # until an hour past the test's clock, which has run ahead of the real one
    until = datetime.fromtimestamp(clock.now + 3600, UTC).isoformat()
    response = await client.get("/api/reports", params={"until": until}, headers=bearer(sup))
    assert response.status == 200
    sla = (await response.json())["sla"]
    assert (sla["breached"], sla["met"], sla["met_rate"]) == (1, 1, 0.5)
    assert sla["breaches"] == {"first_response": 1, "next_response": 0, "resolution": 0}


async def test_a_customer_handed_over_again_soon_after_reopens_the_solved_ticket(
    make_client: Client, make_settings: Callable[..., Any], store: SQLiteStore, clock: Clock
) -> None:
    rules = sla_rules(reopen_within_s=3600)
    client = await make_client(
        make_settings(limits=Limits(burst=1000)), rulebook=rules, clock=clock
    )
    _, ann_token = await make_agent(store, "Ann", ("general",))
    _, sup = await make_agent(store, "Sue", (), role="supervisor")
    ann = await AgentClient.join(client, ann_token)
    customer = await handed_over(client)
    conversation = customer.ready["conversation"]
    await ann.accept(conversation)
    await ann.send({"type": "message.new", "conversation": conversation, "id": "r1", "text": "Hi"})
    await ann.next_of("ack", id="r1")
    await ann.send({"type": "conversation.close", "conversation": conversation, "id": "c1"})
    await ann.next_of("ack", id="c1")
    clock.advance(20 * MIN)

    await customer.say("m9", "i want an agent")  # the widget, the same conversation
    await customer.next_of("conversation.status", status="queued")

    [ticket] = await store.tickets(conversation)  # the same ticket, not a second one
    assert (ticket.status, ticket.solved_at) == ("open", None)
    [listed] = await tickets(client, sup)
    assert timer(listed, "next_response")["due_at"] == pytest.approx(clock.now + 5 * MIN)
    assert "ticket.reopened" in [e.kind for e in await store.events(conversation)]


async def test_a_customer_back_after_the_reopen_window_gets_a_new_ticket(
    make_client: Client, make_settings: Callable[..., Any], store: SQLiteStore, clock: Clock
) -> None:
    rules = sla_rules(reopen_within_s=600)
    client = await make_client(
        make_settings(limits=Limits(burst=1000)), rulebook=rules, clock=clock
    )
    _, ann_token = await make_agent(store, "Ann", ("general",))
    ann = await AgentClient.join(client, ann_token)
    customer = await handed_over(client)
    conversation = customer.ready["conversation"]
    await ann.accept(conversation)
    await ann.send({"type": "conversation.close", "conversation": conversation, "id": "c1"})
    await ann.next_of("ack", id="c1")
    clock.advance(20 * MIN)

    await customer.say("m9", "i want an agent")
    await customer.next_of("conversation.status", status="queued")

    assert [t.status for t in await store.tickets(conversation)] == ["solved", "open"]
