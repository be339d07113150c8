"""What a customer sees around a handoff, through the real websocket: the answer kept when
they are upset, routing by their question, honest closed-desk texts, no email promised that
cannot be sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from conftest import Customer
from handoff_kit import AgentClient, Clock, desk_rulebook, make_agent
from helpline.settings import Limits, Smtp
from helpline.store import SQLiteStore

Client = Callable[..., Awaitable[TestClient]]
SUNDAY_NOON_UTC = datetime(2024, 3, 3, 12, 0, tzinfo=UTC).timestamp()
MONDAY_ONLY = {"timezone": "UTC", "weekdays": {"mon": "09:00-17:00"}}
SMTP = Smtp(host="127.0.0.1", from_address="desk@example.com", security="none")


@pytest.fixture
def closed_clock() -> Clock:
    clock = Clock()
    clock.now = SUNDAY_NOON_UTC
    return clock


async def closed_desk(
    make_client: Client, make_settings: Callable[..., Any], clock: Clock, **settings: Any
) -> TestClient:
    made = make_settings(limits=Limits(burst=1000), **settings)
    return await make_client(made, rulebook=desk_rulebook(hours=MONDAY_ONLY), clock=clock)


async def bot_messages_until(customer: Customer, kind: str) -> list[dict[str, Any]]:
    """The bot's messages after the greeting, up to and including the first of `kind`."""
    shown: list[dict[str, Any]] = []
    while not shown or shown[-1]["kind"] != kind:
        message = await customer.bot_reply()
        if message["kind"] != "greeting":
            shown.append(message)
    return shown


async def test_an_upset_customer_out_of_hours_sees_the_answer_then_when_people_are_back(
    make_client: Client, make_settings: Callable[..., Any], closed_clock: Clock
) -> None:
    client = await closed_desk(make_client, make_settings, closed_clock, smtp=SMTP)
    customer = await Customer.join(client)
    await customer.say("m1", "MY PAYMENT FAILED AGAIN!!! THIS IS RIDICULOUS WTF")

    shown = await bot_messages_until(customer, "offline")
    status = await customer.next_of("conversation.status")

    assert [m["kind"] for m in shown] == ["answer", "handoff", "offline"]
    assert (shown[0]["intent"], shown[0]["text"]) == ("payment_failed", "About payment failed.")
    assert "back Monday 04 Mar at 09:00 (UTC)" in shown[2]["text"]
    assert "email" in shown[2]["text"]
    assert status["status"] == "offline"


@pytest.mark.parametrize(
    "ask", [{"text": "Talk to a person", "payload": "/talk_to_agent"}, {"text": "talk to a human"}]
)
async def test_asking_for_a_person_after_a_billing_question_goes_to_the_billing_team(
    make_client: Client, make_settings: Callable[..., Any], store: SQLiteStore, ask: dict[str, str]
) -> None:
    client = await make_client(make_settings(limits=Limits(burst=1000)), rulebook=desk_rulebook())
    ann = await AgentClient.join(client, (await make_agent(store, "Ann", ("general",)))[1])
    bea = await AgentClient.join(client, (await make_agent(store, "Bea", ("billing",)))[1])
    customer = await Customer.join(client)
    await customer.say("m1", "my payment failed")
    await customer.next_of("message.new", kind="answer")
    await customer.say("m2", **ask)

    offer = await bea.next_of("conversation.offered")

    assert offer["conversation"] == customer.ready["conversation"]
    card = offer["entry"]
    assert (card["team"], card["intent"], card["priority"]) == ("billing", "payment_failed", "high")
    assert not any(f["type"] == "conversation.offered" for f in ann.seen)


@pytest.mark.parametrize(
    ("lang", "ask", "how_long", "back"),
    [
        ("en", "talk to a human", "how long will it take?", "back Monday 04 Mar at 09:00 (UTC)"),
        ("ko", "상담원 연결해 주세요", "얼마나 기다려야 해요?", "3월 4일 월요일 09:00"),
    ],
)
async def test_how_long_while_the_desk_is_closed_says_when_it_is_back(
    make_client: Client,
    make_settings: Callable[..., Any],
    closed_clock: Clock,
    lang: str,
    ask: str,
    how_long: str,
    back: str,
) -> None:
    client = await closed_desk(make_client, make_settings, closed_clock)
    customer = await Customer.join(client, lang=lang)
    await customer.say("m1", ask)
    await customer.next_of("conversation.status", status="offline")
    await customer.say("m2", how_long)

    reply = await customer.next_of("message.new", sender="bot", kind="queue")

    assert back in reply["text"]
    assert "shortly" not in reply["text"] and "곧" not in reply["text"]


async def test_how_long_with_nobody_online_says_so(
    make_client: Client, make_settings: Callable[..., Any]
) -> None:
    client = await make_client(make_settings(limits=Limits(burst=1000)), rulebook=desk_rulebook())
    customer = await Customer.join(client)
    await customer.say("m1", "talk to a human")
    await customer.next_of("conversation.status", status="offline")
    await customer.say("m2", "how long?")

    reply = await customer.next_of("message.new", sender="bot", kind="queue")

    assert reply["text"].startswith("No one from our team is available right now.")


async def test_without_smtp_out_of_hours_no_email_is_offered_only_when_people_are_back(
    make_client: Client, make_settings: Callable[..., Any], closed_clock: Clock
) -> None:
    client = await closed_desk(make_client, make_settings, closed_clock)  # no SMTP server
    customer = await Customer.join(client)
    await customer.say("m1", "talk to a human")
    notice = await customer.next_of("message.new", kind="offline")
    await customer.say("m2", "how long?")
    wait = await customer.next_of("message.new", sender="bot", kind="queue")
    await customer.send({"type": "email.submit", "id": "e1", "email": "mina@example.com"})
    refused = await customer.next_of("error")

    assert customer.ready["email"] is False
    for said in (notice["text"], wait["text"]):
        assert "back Monday 04 Mar at 09:00 (UTC)" in said
        assert "email" not in said.lower()
    assert refused["code"] == "email_unavailable"
    assert not any(f.get("kind") == "email_saved" for f in customer.seen)


@pytest.mark.parametrize(
    ("lang", "ask"), [("en", "talk to a human"), ("ko", "상담원 연결해 주세요")]
)
async def test_without_smtp_nobody_online_is_told_so_without_an_email_offer(
    make_client: Client, make_settings: Callable[..., Any], lang: str, ask: str
) -> None:
    client = await make_client(make_settings(limits=Limits(burst=1000)), rulebook=desk_rulebook())
    customer = await Customer.join(client, lang=lang)
    await customer.say("m1", ask)

    notice = await customer.next_of("message.new", kind="offline")

    assert "email" not in notice["text"].lower() and "이메일" not in notice["text"]


async def test_with_smtp_the_customer_is_told_email_replies_are_possible(
    make_client: Client, make_settings: Callable[..., Any]
) -> None:
    client = await make_client(make_settings(smtp=SMTP), rulebook=desk_rulebook())
    customer = await Customer.join(client)
    await customer.say("m1", "talk to a human")

    notice = await customer.next_of("message.new", kind="offline")

    assert customer.ready["email"] is True
    assert "Leave your email" in notice["text"]
