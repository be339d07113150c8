"""Out of hours: the customer leaves an email, and the agent's reply reaches a real SMTP server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from conftest import Customer
from handoff_kit import AgentClient, Clock, desk_rulebook, make_agent
from helpline.settings import Limits
from helpline.store import SQLiteStore
from test_mail import FAST, Inbox, reserved_port, smtp_server

Client = Callable[..., Awaitable[TestClient]]
SUNDAY_NOON_UTC = datetime(2024, 3, 3, 12, 0, tzinfo=UTC).timestamp()


@pytest.fixture
async def inbox() -> AsyncIterator[Inbox]:
    """A real SMTP server (aiosmtpd) on a free port, collecting what it receives."""
    with reserved_port() as sock:
        port = sock.getsockname()[1]
    async with smtp_server(Inbox(asyncio.get_running_loop(), port)) as running:
        yield running


async def test_out_of_hours_email_is_kept_and_the_agents_reply_is_emailed(
    make_client: Client, make_settings: Callable[..., Any], store: SQLiteStore, inbox: Inbox
) -> None:
    clock = Clock()
    clock.now = SUNDAY_NOON_UTC
    hours = {"timezone": "UTC", "weekdays": {"mon": "09:00-17:00"}}
    settings = make_settings(smtp=inbox.smtp, outbox=FAST, limits=Limits(burst=1000))
    client = await make_client(settings, rulebook=desk_rulebook(hours=hours), clock=clock)
    customer = await Customer.join(client)
    await customer.say("m1", "talk to a human")
    await customer.next_of("message.new", kind="offline")
    await customer.next_of("conversation.status", status="offline")
    await customer.send({"type": "email.submit", "id": "e1", "email": "mina@example.com"})
    await customer.next_of("email.ack")
    await customer.ws.close()

    clock.advance(86400)  # Monday noon: the desk is open
    ann = await AgentClient.join(client, (await make_agent(store, "Ann"))[1])
    conversation = customer.ready["conversation"]
    await ann.accept((await ann.next_of("conversation.offered"))["conversation"])
    reply = {"type": "message.new", "conversation": conversation, "id": "r1", "text": "Refunded."}
    await ann.send(reply)
    recipients, message = await inbox.next()
    back = await Customer.join(client, token=customer.ready["token"])
    shown = await back.next_of("message.new", sender="agent")

    assert recipients == ["mina@example.com"]
    assert "Ann" in message["Subject"] and "> Refunded." in message.get_content()
    assert shown["text"] == "Refunded."
