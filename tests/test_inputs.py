"""Hostile inputs over the real socket and HTTP: a clear error each, never server_error/500."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from conftest import Customer
from handoff_kit import AgentClient, make_agent
from helpline.actions.base import ActionCall
from helpline.actions.remote import MAX_ANSWER_BYTES, RemoteRunner
from helpline.errors import ActionServerError
from helpline.identity import sign_identity
from helpline.store import SQLiteStore

Client = Callable[..., Awaitable[TestClient]]

DEEP = "[" * 10_000 + "]" * 10_000
HOSTILE_FRAMES = {
    "nested 10,000 deep": '{"type": "message.new", "id": "a", "text": "x", "extra": ' + DEEP + "}",
    "lone surrogate in text": '{"type": "message.new", "id": "a", "text": "hi \\ud83d"}',
    "lone surrogate in id": '{"type": "message.new", "id": "\\udc00", "text": "hi"}',
    "lone surrogate in a key": '{"type": "message.new", "id": "a", "text": "hi", "\\ud800": 1}',
    "seq of 2^63": '{"type": "feedback.new", "id": "a", "seq": 9223372036854775808}',
    "rating of 2^64": '{"type": "csat.submit", "id": "a", "rating": 18446744073709551616}',
    "NaN": '{"type": "feedback.new", "id": "a", "seq": NaN, "helpful": true}',
}


@pytest.mark.parametrize("raw", HOSTILE_FRAMES.values(), ids=HOSTILE_FRAMES.keys())
async def test_hostile_customer_frame_gets_a_clear_error_and_the_socket_works_on(
    make_client: Client, raw: str
) -> None:
    client = await make_client()
    customer = await Customer.join(client)
    await customer.bot_reply()  # the greeting

    await customer.ws.send_str(raw)
    error = await customer.next_of("error")
    await customer.say("m1", "i want a refund")

    assert error["code"] in ("bad_json", "bad_frame")
    assert (await customer.bot_reply())["text"] == "Refunds take 3-5 days."


async def test_hello_with_last_seq_of_2_to_the_63_gets_bad_frame(make_client: Client) -> None:
    client = await make_client()
    customer = Customer(await client.ws_connect("/ws/customer"))

    await customer.send({"type": "session.hello", "token": None, "last_seq": 2**63})

    assert (await customer.next_of("error"))["code"] == "bad_frame"


async def test_resume_with_last_seq_past_the_conversation_still_hears_replies(
    make_client: Client,
) -> None:
    client = await make_client()
    first = await Customer.join(client)
    await first.ws.close()

    again = await Customer.join(client, token=first.ready["token"], last_seq=1_000)
    await again.say("m1", "i want a refund")

    assert (await again.bot_reply())["text"] == "Refunds take 3-5 days."


async def test_signed_identity_with_a_lone_surrogate_makes_an_anonymous_customer(
    make_client: Client, make_settings: Any
) -> None:
    client = await make_client(make_settings(identity_secret="s3cret"))
    customer = Customer(await client.ws_connect("/ws/customer"))
    name = "Mina \ud83d"  # an emoji cut in half by the host site
    claim = json.dumps({"id": "u-1", "name": name, "signature": "0" * 64})

    await customer.ws.send_str('{"type": "session.hello", "identity": ' + claim + "}")

    ready = await customer.next_of("session.ready")
    assert ready["resumed"] is False
    assert "Mina" not in (await customer.bot_reply())["text"]  # greeted as nobody
    assert sign_identity("s3cret", "u-1", None, None)  # a valid claim is still possible


HOSTILE_BODIES = {
    "nested 10,000 deep": b'{"sender": "a", "message": "hi", "metadata": {"x": ' + DEEP.encode()
    + b"}}",
    "lone surrogate": b'{"sender": "a", "message": "hi \\udfff"}',
    "sender of 2^63": b'{"sender": 9223372036854775808, "message": "hi"}',
    "not UTF-8": b'{"sender": "a", "message": "\xff\xfe"}',
}


@pytest.mark.parametrize("raw", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
async def test_hostile_rest_body_gets_400(make_client: Client, raw: bytes) -> None:
    client = await make_client()

    response = await client.post("/webhooks/rest/webhook", data=raw)

    assert response.status == 400
    assert (await response.json())["code"] in ("bad_json", "bad_frame")


@pytest.mark.parametrize("raw", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
async def test_hostile_login_body_gets_400(make_client: Client, raw: bytes) -> None:
    client = await make_client()

    response = await client.post(
        "/api/agent/login", data=raw, headers={"Content-Type": "application/json"}
    )

    assert response.status == 400


async def test_widget_name_over_300_characters_is_not_found(make_client: Client) -> None:
    client = await make_client()

    response = await client.get("/widget/" + "a" * 301)

    assert response.status == 404


async def test_agent_socket_answers_a_deeply_nested_frame_with_bad_json(
    make_client: Client, store: SQLiteStore
) -> None:
    client = await make_client()
    _, token = await make_agent(store, "Ann")
    agent = await AgentClient.join(client, token)

    await agent.ws.send_str('{"type": "ping", "x": ' + DEEP + "}")

    assert (await agent.next_of("error"))["code"] == "bad_json"


async def test_action_servers_oversized_answer_is_refused_unread() -> None:
    async def huge(request: web.Request) -> web.Response:
        return web.json_response({"responses": [{"text": "x" * (2 * MAX_ANSWER_BYTES)}]})

    app = web.Application()
    app.router.add_post("/webhook", huge)
    async with TestServer(app) as server:
        runner = RemoteRunner(str(server.make_url("/webhook")), timeout_s=5.0)
        call = ActionCall(name="action_x", sender_id="c1", text="hi", language="en")
        try:
            with pytest.raises(ActionServerError, match="larger than"):
                await runner.run(call, {})
        finally:
            await runner.close()
