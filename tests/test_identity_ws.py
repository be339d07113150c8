"""Signed customer identities and email.submit over a real customer websocket."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from conftest import TEXTS, Customer
from helpline.identity import sign_identity
from helpline.rules.model import Rulebook
from helpline.settings import Settings, Smtp
from helpline.store import SQLiteStore
from helpline.store.base import TurnRecord

SECRET = "host-site-secret"
SMTP = Smtp(host="127.0.0.1", from_address="desk@example.com", security="none")
NAMED = {"greeting_named": {"en": "Hi {name}! How can I help?", "ko": "{name}님, 안녕하세요!"}}

MakeClient = Callable[..., Awaitable[TestClient]]


def claim(
    customer_id: str = "u-42",
    name: str | None = "Mina",
    email: str | None = "mina@example.com",
    secret: str = SECRET,
) -> dict[str, Any]:
    signature = sign_identity(secret, customer_id, name, email)
    return {"id": customer_id, "name": name, "email": email, "signature": signature}


async def join(
    client: TestClient,
    identity: object = None,
    token: str | None = None,
    lang: str = "en",
    last_seq: int = 0,
) -> Customer:
    customer = Customer(await client.ws_connect("/ws/customer"))
    hello = {"type": "session.hello", "token": token, "last_seq": last_seq, "lang": lang}
    await customer.send({**hello, "identity": identity})
    customer.ready = await customer.next_of("session.ready")
    return customer


@pytest.fixture
def named_rulebook(rulebook: Rulebook) -> Rulebook:
    config = dataclasses.replace(rulebook.config, texts={**TEXTS, **NAMED})
    return dataclasses.replace(rulebook, config=config)


@pytest.fixture
async def client(
    make_client: MakeClient, make_settings: Callable[..., Settings], named_rulebook: Rulebook
) -> TestClient:
    # SMTP set up: without it no email is taken (tests/test_handoff_replies.py)
    settings = make_settings(identity_secret=SECRET, smtp=SMTP)
    return await make_client(settings, rulebook=named_rulebook)


async def test_signed_identity_is_greeted_by_name_and_stored_on_the_conversation(
    client: TestClient, store: SQLiteStore
) -> None:
    customer = await join(client, claim())
    greeting = await customer.bot_reply()
    stored = await store.conversation(customer.ready["conversation"])
    assert greeting["text"] == "Hi Mina! How can I help?"
    assert stored is not None and (stored.customer_id, stored.customer_name) == ("u-42", "Mina")
    assert await store.customer_email(stored.id) == "mina@example.com"


@pytest.mark.parametrize(
    "forged",
    [
        {**claim(), "signature": "0" * 64},
        {**claim(), "name": "Someone Else"},
        {**claim(), "email": "attacker@example.com"},
        claim(secret="another-site-secret"),
        {k: v for k, v in claim().items() if k != "signature"},
        {**claim(), "signature": None},
        "u-42",
        ["u-42"],
    ],
    ids=[
        "bad-signature",
        "name-changed",
        "email-changed",
        "other-secret",
        "unsigned",
        "null-signature",
        "string",
        "list",
    ],
)
async def test_forged_or_unsigned_identity_leaves_the_customer_anonymous(
    client: TestClient, store: SQLiteStore, forged: object
) -> None:
    customer = await join(client, forged)
    greeting = await customer.bot_reply()
    stored = await store.conversation(customer.ready["conversation"])
    assert greeting["text"] == TEXTS["greeting"]["en"]
    assert stored is not None and (stored.customer_id, stored.customer_name) == (None, None)
    assert await store.customer_email(stored.id) is None


async def test_identity_is_ignored_when_no_secret_is_configured(
    make_client: MakeClient, store: SQLiteStore, named_rulebook: Rulebook
) -> None:
    client = await make_client(rulebook=named_rulebook)
    customer = await join(client, claim())
    stored = await store.conversation(customer.ready["conversation"])
    assert stored is not None and stored.customer_id is None


async def test_second_device_with_the_same_identity_resumes_the_open_conversation(
    client: TestClient,
) -> None:
    phone = await join(client, claim())
    await phone.say("m1", "i want a refund")
    answer = await phone.bot_reply()
    laptop = await join(client, claim(), last_seq=99)  # no token; its last_seq is not for this
    replayed = [await laptop.next_of("message.new") for _ in range(answer["seq"])]
    assert laptop.ready["resumed"] is True
    assert laptop.ready["conversation"] == phone.ready["conversation"]
    assert [f["seq"] for f in replayed] == list(range(1, answer["seq"] + 1))


async def test_closed_conversation_is_not_resumed_but_is_in_the_customers_history(
    client: TestClient, store: SQLiteStore
) -> None:
    first = await join(client, claim())
    old = await store.conversation(first.ready["conversation"])
    assert old is not None
    closed = TurnRecord(old.id, "closed", dict(old.bot_state), old.language)
    await store.commit_turn(closed, now=old.updated_at + 1)
    second = await join(client, claim())
    history = await store.customer_conversations("u-42")
    assert second.ready["resumed"] is False
    assert [c.id for c in history] == [second.ready["conversation"], old.id]


async def test_token_of_another_customers_conversation_starts_a_new_one(
    client: TestClient,
) -> None:
    mina = await join(client, claim())
    jun = await join(client, claim("u-7", "Jun", None), token=mina.ready["token"])
    greeting = await jun.bot_reply()
    assert jun.ready["conversation"] != mina.ready["conversation"]
    assert greeting["text"] == "Hi Jun! How can I help?"


async def test_anonymous_token_still_resumes_its_own_conversation(client: TestClient) -> None:
    first = await join(client)
    again = await join(client, token=first.ready["token"], last_seq=1)
    assert (again.ready["resumed"], again.ready["conversation"]) == (
        True,
        first.ready["conversation"],
    )


async def test_submitted_email_is_stored_acknowledged_and_confirmed_by_the_bot(
    client: TestClient, store: SQLiteStore
) -> None:
    customer = await join(client)
    await customer.bot_reply()  # greeting
    await customer.send({"type": "email.submit", "id": "e1", "email": " Mina@Example.com "})
    ack = await customer.next_of("email.ack")
    confirmation = await customer.bot_reply()
    conversation_id = customer.ready["conversation"]
    events = [e for e in await store.events(conversation_id) if e.kind == "customer.email"]
    assert ack == {
        "type": "email.ack",
        "id": "e1",
        "email": "Mina@example.com",
        "seq": confirmation["seq"],
        "duplicate": False,
    }
    assert confirmation["kind"] == "email_saved"
    assert (
        confirmation["text"] == "Thanks! We'll email you at Mina@example.com when a person replies."
    )
    assert await store.customer_email(conversation_id) == "Mina@example.com"
    assert [e.data["source"] for e in events] == ["customer"]


async def test_email_confirmation_is_in_the_customers_language(client: TestClient) -> None:
    customer = await join(client, lang="ko")
    await customer.bot_reply()
    await customer.send({"type": "email.submit", "id": "e1", "email": "mina@example.com"})
    confirmation = await customer.bot_reply()
    assert confirmation["text"].startswith("감사합니다! 상담원이 답변하면 mina@example.com")


async def test_resent_email_submit_is_acknowledged_once_and_confirmed_once(
    client: TestClient, store: SQLiteStore
) -> None:
    customer = await join(client)
    await customer.bot_reply()
    frame = {"type": "email.submit", "id": "e1", "email": "mina@example.com"}
    await customer.send(frame)
    first = await customer.next_of("email.ack")
    await customer.send(frame)
    second = await customer.next_of("email.ack")
    stored = await store.conversation(customer.ready["conversation"])
    assert (first["duplicate"], second["duplicate"]) == (False, True)
    assert first["seq"] == second["seq"] == 2
    assert stored is not None and stored.last_seq == 2


@pytest.mark.parametrize(
    "email",
    ["", "mina", "mina@localhost", "mina@example.com\r\nBcc: x@example.com", "a" * 300, 42, None],
)
async def test_bad_email_is_refused_with_bad_email_and_nothing_is_stored(
    client: TestClient, store: SQLiteStore, email: object
) -> None:
    customer = await join(client)
    await customer.bot_reply()
    await customer.send({"type": "email.submit", "id": "e1", "email": email})
    error = await customer.next_of("error")
    stored = await store.conversation(customer.ready["conversation"])
    assert error["code"] == "bad_email"
    assert stored is not None and stored.last_seq == 1
    assert await store.customer_email(stored.id) is None


async def test_submitted_email_replaces_the_one_from_the_identity(
    client: TestClient, store: SQLiteStore
) -> None:
    customer = await join(client, claim())
    await customer.bot_reply()
    await customer.send({"type": "email.submit", "id": "e1", "email": "mina.home@example.com"})
    await customer.next_of("email.ack")
    assert await store.customer_email(customer.ready["conversation"]) == "mina.home@example.com"
