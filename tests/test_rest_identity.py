"""The REST channel proves nothing about its senders: it can never act as a verified customer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from conftest import Customer
from helpline.identity import sign_identity
from helpline.rules.model import Intent, Rulebook

PATH = "/webhooks/rest/webhook"
SECRET = "host-site-secret"
# the shipped billing action: answers a known customer id with their plan and billing date
BILLING = Path(__file__).parent.parent / "bot_rules" / "actions" / "subscription.py"
GENERAL_ANSWER = "Refunds take 3-5 days."

Client = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def billing_rules(rulebook: Rulebook) -> Rulebook:
    """The test rulebook whose refund intent runs the shipped billing action."""
    intents = tuple(
        Intent(**{**vars(i), "action": "action_check_subscription"}) if i.name == "refund" else i
        for i in rulebook.intents
    )
    return Rulebook(config=rulebook.config, intents=intents, action_files=(str(BILLING),))


async def post(client: TestClient, body: dict[str, Any], **kwargs: Any) -> tuple[int, Any]:
    response = await client.post(PATH, json=body, **kwargs)
    return response.status, await response.json()


async def test_rest_sender_named_as_a_customer_id_gets_no_customer_data(
    make_client: Client, make_settings: Any, billing_rules: Rulebook
) -> None:
    client = await make_client(make_settings(identity_secret=SECRET), rulebook=billing_rules)

    status, replies = await post(client, {"sender": "demo-1001", "message": "i want a refund"})

    assert status == 200
    assert [r["text"] for r in replies] == [GENERAL_ANSWER]  # not demo-1001's plan


async def test_verified_customer_gets_their_own_data_from_the_same_action(
    make_client: Client, make_settings: Any, billing_rules: Rulebook
) -> None:
    client = await make_client(make_settings(identity_secret=SECRET), rulebook=billing_rules)
    customer = Customer(await client.ws_connect("/ws/customer"))
    identity = {"id": "demo-1001", "signature": sign_identity(SECRET, "demo-1001", None, None)}
    await customer.send({"type": "session.hello", "lang": "en", "identity": identity})
    await customer.next_of("session.ready")
    await customer.bot_reply()  # the greeting

    await customer.say("m1", "i want a refund")

    assert "Premium" in (await customer.bot_reply())["text"]


async def test_widget_cannot_resume_a_rest_senders_conversation(make_client: Client) -> None:
    client = await make_client()
    await post(client, {"sender": "user-123", "message": "reset my password"})

    customer = await Customer.join(client, token="rest:user-123", last_seq=0)

    assert customer.ready["resumed"] is False
    assert customer.ready["token"] != "rest:user-123"
    greeting = await customer.bot_reply()
    assert "password" not in greeting["text"].lower()  # nothing of the REST user's replayed


@pytest.mark.parametrize(
    ("headers", "query"),
    [({}, ""), ({"Authorization": "Bearer wrong"}, ""), ({}, "?token=wrong")],
)
async def test_rest_channel_with_a_token_refuses_requests_without_it(
    make_client: Client, make_settings: Any, headers: dict[str, str], query: str
) -> None:
    client = await make_client(make_settings(rest_token="channel-secret"))

    response = await client.post(
        PATH + query, json={"sender": "a", "message": "refund please"}, headers=headers
    )

    assert response.status == 401
    assert (await response.json())["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("headers", "query"),
    [({"Authorization": "Bearer channel-secret"}, ""), ({}, "?token=channel-secret")],
)
async def test_rest_channel_with_a_token_answers_requests_that_send_it(
    make_client: Client, make_settings: Any, headers: dict[str, str], query: str
) -> None:
    client = await make_client(make_settings(rest_token="channel-secret"))

    response = await client.post(
        PATH + query, json={"sender": "a", "message": "refund please"}, headers=headers
    )

    assert response.status == 200
    assert [r["text"] for r in await response.json()] == [GENERAL_ANSWER]
