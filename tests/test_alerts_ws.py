"""Spike alerts and incident notices end to end: a burst of customers over real websockets
reaches a connected console as an alert, a supervisor's notice is said first to customers
in their language until it is lifted, and who may do what."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from conftest import Customer
from handoff_kit import AgentClient, Clock, desk_rulebook, make_agent
from helpline.store import SQLiteStore
from helpline.web.auth import COOKIE
from helpline.web.keys import SPIKES

Client = Callable[..., Awaitable[TestClient]]
PAYMENT = {"en": "my payment failed", "ko": "결제가 안 돼요"}
NOTICE = {
    "en": "We know about a payment problem since 14:05 and are fixing it.",
    "ko": "14시 5분부터 결제 장애가 있어 복구 중입니다.",
}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def desk(make_client: Client, clock: Clock) -> TestClient:
    return await make_client(rulebook=desk_rulebook(), clock=clock)


async def ask(client: TestClient, text: str, lang: str = "en") -> list[dict[str, Any]]:
    """A new customer asks once; the bot messages of the answer, in order."""
    customer = await Customer.join(client, lang=lang)
    await customer.bot_reply()  # the greeting
    await customer.say("m1", text)
    replies = [await customer.bot_reply()]
    while replies[-1]["kind"] == "incident":
        replies.append(await customer.bot_reply())
    await customer.ws.close()
    return replies


async def burst(client: TestClient, count: int) -> None:
    """count customers asking about a failed payment at once, each on their own socket."""
    await asyncio.gather(*(ask(client, PAYMENT["en"]) for _ in range(count)))


async def console(client: TestClient, store: SQLiteStore, name: str, role: str) -> AgentClient:
    _, token = await make_agent(store, name, role=role)
    return await AgentClient.join(client, token)


async def cookie(store: SQLiteStore, name: str, role: str) -> dict[str, str]:
    _, token = await make_agent(store, name, role=role)
    return {"Cookie": f"{COOKIE}={token}"}


async def post_notice(
    client: TestClient,
    headers: dict[str, str],
    texts: dict[str, str],
    intent: str = "payment_failed",
) -> Any:
    return await client.post(
        "/api/incidents", json={"intent": intent, "texts": texts}, headers=headers
    )


async def test_a_burst_of_customers_reaches_the_console_as_an_alert(
    desk: TestClient, store: SQLiteStore
) -> None:
    agent = await console(desk, store, "Ann", "agent")
    snapshot = await agent.next_of("alerts.snapshot")
    assert snapshot["alerts"] == [] and snapshot["incidents"] == []
    await burst(desk, 8)
    await desk.server.app[SPIKES].check()  # the watcher's next check, without waiting for it
    frame = await agent.next_of("alert.raised")
    alert = frame["alert"]
    assert (alert["intent"], alert["count"], alert["fallback"]) == ("payment_failed", 8, False)
    assert alert["ratio"] > 100  # never asked about before today


async def test_a_console_that_connects_later_gets_the_standing_alert(
    desk: TestClient, store: SQLiteStore
) -> None:
    await burst(desk, 6)
    (raised,) = (await desk.server.app[SPIKES].check()).raised
    late = await console(desk, store, "Bo", "agent")
    snapshot = await late.next_of("alerts.snapshot")
    assert [a["id"] for a in snapshot["alerts"]] == [raised.id]


async def test_the_alert_is_counted_in_the_metrics(desk: TestClient) -> None:
    await burst(desk, 6)
    await desk.server.app[SPIKES].check()
    page = await (await desk.get("/metrics")).text()
    assert 'helpline_spike_alerts_total{intent="payment_failed"} 1.0' in page


async def test_the_console_hears_the_alert_clear(
    desk: TestClient, store: SQLiteStore, clock: Clock
) -> None:
    agent = await console(desk, store, "Ann", "agent")
    await burst(desk, 6)
    (raised,) = (await desk.server.app[SPIKES].check()).raised
    clock.advance(600)  # the burst has left the window
    await desk.server.app[SPIKES].check()
    frame = await agent.next_of("alert.cleared")
    assert frame["alert"]["id"] == raised.id and frame["alert"]["cleared_at"] == clock()


@pytest.mark.parametrize("lang", ["en", "ko"])
async def test_a_standing_notice_is_said_first_in_the_customers_language(
    desk: TestClient, store: SQLiteStore, lang: str
) -> None:
    response = await post_notice(desk, await cookie(store, "Sue", "supervisor"), NOTICE)
    assert response.status == 201
    notice, answer = await ask(desk, PAYMENT[lang], lang)
    assert (notice["kind"], notice["text"]) == ("incident", NOTICE[lang])
    assert answer["kind"] == "answer" and answer["intent"] == "payment_failed"


async def test_a_notice_in_one_language_is_said_in_it_to_everyone(
    desk: TestClient, store: SQLiteStore
) -> None:
    await post_notice(desk, await cookie(store, "Sue", "supervisor"), {"ko": NOTICE["ko"]})
    notice, _ = await ask(desk, PAYMENT["en"])
    assert notice["text"] == NOTICE["ko"]


async def test_other_questions_get_no_notice(desk: TestClient, store: SQLiteStore) -> None:
    await post_notice(desk, await cookie(store, "Sue", "supervisor"), NOTICE)
    (answer,) = await ask(desk, "i forgot my password")
    assert answer["intent"] == "password_reset"


async def test_a_lifted_notice_is_not_said_any_more(desk: TestClient, store: SQLiteStore) -> None:
    headers = await cookie(store, "Sue", "supervisor")
    await post_notice(desk, headers, NOTICE)
    response = await desk.delete("/api/incidents/payment_failed", headers=headers)
    assert response.status == 200
    assert (await response.json())["incident"]["lifted_at"] is not None
    (answer,) = await ask(desk, PAYMENT["en"])
    assert answer["kind"] == "answer"
    assert (await (await desk.get("/api/incidents", headers=headers)).json())["incidents"] == []


async def test_a_notice_survives_a_restart(
    make_client: Client, desk: TestClient, store: SQLiteStore
) -> None:
    await post_notice(desk, await cookie(store, "Sue", "supervisor"), NOTICE)
    restarted = await make_client(rulebook=desk_rulebook())  # a new app on the same database
    notice, _ = await ask(restarted, PAYMENT["en"])
    assert notice["text"] == NOTICE["en"]


async def test_consoles_hear_notices_posted_and_lifted(
    desk: TestClient, store: SQLiteStore
) -> None:
    agent = await console(desk, store, "Ann", "agent")
    headers = await cookie(store, "Sue", "supervisor")
    await post_notice(desk, headers, NOTICE)
    posted = await agent.next_of("incident.posted")
    assert posted["incident"]["texts"] == NOTICE
    await desk.delete("/api/incidents/payment_failed", headers=headers)
    lifted = await agent.next_of("incident.lifted")
    assert lifted["incident"]["id"] == posted["incident"]["id"]


async def test_agents_cannot_post_or_lift_notices(desk: TestClient, store: SQLiteStore) -> None:
    headers = await cookie(store, "Ann", "agent")
    response = await post_notice(desk, headers, NOTICE)
    assert response.status == 403
    assert (await response.json())["error"] == "forbidden"
    assert (await desk.delete("/api/incidents/payment_failed", headers=headers)).status == 403
    assert (await desk.get("/api/incidents", headers=headers)).status == 200


async def test_nobody_signed_in_cannot_see_or_post_anything(desk: TestClient) -> None:
    assert (await post_notice(desk, {}, NOTICE)).status == 401
    assert (await desk.get("/api/alerts")).status == 401


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"intent": "payment_failed", "texts": {}}, 400, "bad_request"),
        ({"intent": "payment_failed", "texts": {"jp": "x"}}, 400, "bad_request"),
        ({"intent": "payment_failed", "texts": {"en": "x" * 501}}, 400, "bad_request"),
        ({"intent": "payment_failed", "texts": "down"}, 400, "bad_request"),
        ({"intent": "no_such_intent", "texts": {"en": "x"}}, 404, "not_found"),
        (["payment_failed"], 400, "bad_request"),
    ],
)
async def test_a_bad_notice_gets_a_clear_error(
    desk: TestClient, store: SQLiteStore, body: Any, status: int, error: str
) -> None:
    headers = await cookie(store, "Sue", "supervisor")
    response = await desk.post("/api/incidents", json=body, headers=headers)
    assert response.status == status
    assert (await response.json())["error"] == error


async def test_lifting_a_notice_that_does_not_stand_is_not_found(
    desk: TestClient, store: SQLiteStore
) -> None:
    headers = await cookie(store, "Sue", "supervisor")
    response = await desk.delete("/api/incidents/payment_failed", headers=headers)
    assert response.status == 404
