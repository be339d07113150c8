"""Files in a conversation end to end, on every backend: the customer uploads with the
conversation's token and sends the file as a message, the agent sees it and sends one
back; each is read only by that conversation's people; size and kind limits refuse
before anything is kept; and a message with a file survives a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from attachment_kit import HTML, PDF, SVG, TEXT, ZIP, png
from backends import STORE_BACKENDS, open_backend
from conftest import Customer
from handoff_kit import AgentClient, Clock, desk_rulebook, make_agent
from helpline.attachment import AttachmentSettings
from helpline.rules.model import Rulebook
from helpline.service.attachments import CONVERSATION_BUDGET_FILES
from helpline.settings import Limits, Settings
from helpline.store import SQLiteStore
from helpline.store.postgres import PostgresStore
from helpline.web.attachments import UPLOADS_PER_MINUTE

Client = Callable[..., Awaitable[TestClient]]
MAX_BYTES = 4096


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with open_backend(request, tmp_path) as opened:
        yield opened  # type: ignore[misc]


def files_rulebook() -> Rulebook:
    rulebook = desk_rulebook()
    limits = AttachmentSettings(max_bytes=MAX_BYTES)
    return replace(rulebook, config=replace(rulebook.config, attachments=limits))


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(limits=Limits(burst=1000))


@pytest.fixture
async def client(make_client: Client, settings: Settings) -> TestClient:
    return await make_client(settings, rulebook=files_rulebook())


def token_of(customer: Customer) -> dict[str, str]:
    return {"X-Conversation-Token": customer.ready["token"]}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def upload(
    client: TestClient, path: str, headers: dict[str, str], content: bytes,
    content_type: str = "image/png", name: str = "screen.png",
) -> tuple[int, dict[str, Any]]:  # fmt: skip
    response = await client.post(
        path, params={"name": name}, data=content,
        headers={**headers, "Content-Type": content_type},
    )  # fmt: skip
    body: dict[str, Any] = await response.json()
    return response.status, body


async def customer_upload(
    client: TestClient, customer: Customer, content: bytes, **kind: str
) -> tuple[int, dict[str, Any]]:
    return await upload(client, "/customer/attachments", token_of(customer), content, **kind)


async def escalated(client: TestClient) -> Customer:
    """A customer handed to the general team (a ticket of its own)."""
    customer = await Customer.join(client)
    await customer.say("m1", "talk to a human")
    await customer.next_of("conversation.status")  # queued, or offline with nobody in
    return customer


async def with_agent(client: TestClient, store: SQLiteStore) -> tuple[Customer, AgentClient, str]:
    """A customer talking with Ann, and Ann's session token."""
    _, token = await make_agent(store, "Ann", ("general",))
    agent = await AgentClient.join(client, token)
    customer = await escalated(client)
    await agent.next_of("conversation.offered")
    await agent.accept(customer.ready["conversation"])
    await customer.next_of("conversation.status", status="assigned")
    return customer, agent, token


async def test_a_customer_uploads_an_image_and_reads_it_back_as_an_image(
    client: TestClient,
) -> None:
    customer = await Customer.join(client)
    image = png()

    status, body = await customer_upload(client, customer, image, name="../결제 오류.png")
    response = await client.get(
        f"/customer/attachments/{body['attachment']['id']}", headers=token_of(customer)
    )

    assert status == 201
    assert body["attachment"]["name"] == "결제 오류.png"
    assert (body["attachment"]["type"], body["attachment"]["size"]) == ("image/png", len(image))
    assert response.status == 200 and await response.read() == image
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("sandbox;")
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert "filename*=UTF-8''%EA%B2%B0%EC%A0%9C" in response.headers["Content-Disposition"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


async def test_a_file_that_is_not_an_image_is_only_ever_downloaded(client: TestClient) -> None:
    customer = await Customer.join(client)
    _, body = await customer_upload(client, customer, TEXT, content_type="text/plain",
                                    name="log.html")  # fmt: skip

    response = await client.get(
        f"/customer/attachments/{body['attachment']['id']}", headers=token_of(customer)
    )

    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="log.html.txt"')


async def test_a_multipart_form_upload_is_kept_like_a_raw_one(client: TestClient) -> None:
    customer = await Customer.join(client)
    form = FormData()
    form.add_field("note", "ignored")
    form.add_field("file", PDF, filename="invoice.pdf", content_type="application/pdf")

    response = await client.post("/customer/attachments", data=form, headers=token_of(customer))
    body = await response.json()

    assert response.status == 201, body
    assert (body["attachment"]["name"], body["attachment"]["type"]) == (
        "invoice.pdf", "application/pdf",
    )  # fmt: skip


async def test_another_customer_or_nobody_cannot_read_or_add_a_file(client: TestClient) -> None:
    owner = await Customer.join(client)
    other = await Customer.join(client)
    _, body = await customer_upload(client, owner, png())
    path = f"/customer/attachments/{body['attachment']['id']}"

    stranger = await client.get(path, headers=token_of(other))
    anonymous = await client.get(path)
    forged = await client.get(path, headers={"X-Conversation-Token": "not-a-token"})
    no_upload = await client.post("/customer/attachments", data=png())

    assert stranger.status == 404 and (await stranger.json())["error"] == "not_found"
    assert anonymous.status == 401 and forged.status == 401
    assert no_upload.status == 401 and (await no_upload.json())["error"] == "unauthorized"


async def test_agents_read_a_file_by_the_conversations_rules(
    client: TestClient, store: SQLiteStore
) -> None:
    customer = await escalated(client)  # a ticket of the general team
    _, body = await customer_upload(client, customer, png())
    path = f"/api/attachments/{body['attachment']['id']}"
    _, general = await make_agent(store, "Gil", ("general",))
    _, billing = await make_agent(store, "Bea", ("billing",))
    _, boss = await make_agent(store, "Sue", ("billing",), role="supervisor")

    team = await client.get(path, headers=bearer(general))
    other_team = await client.get(path, headers=bearer(billing))
    supervisor = await client.get(path, headers=bearer(boss))
    anonymous = await client.get(path)

    assert team.status == 200 and await team.read() == png()
    assert team.headers["X-Frame-Options"] == "DENY"
    assert other_team.status == 403 and (await other_team.json())["error"] == "forbidden"
    assert supervisor.status == 200
    assert anonymous.status == 401


async def test_the_customer_sends_a_file_as_a_message_and_the_agent_sees_it(
    client: TestClient, store: SQLiteStore
) -> None:
    customer, agent, _ = await with_agent(client, store)
    _, body = await customer_upload(client, customer, png())
    file = body["attachment"]

    await customer.say("m2", "", attachment=file["id"])
    ack = await customer.next_of("message.ack", id="m2")
    seen = await agent.next_of("message.new", sender="customer", seq=ack["seq"])
    echo = await customer.next_of("message.new", seq=ack["seq"])

    assert seen["attachment"] == file and echo["attachment"] == file
    assert seen["text"] == ""


async def test_the_agent_uploads_and_sends_a_file_and_the_customer_reads_it(
    client: TestClient, store: SQLiteStore
) -> None:
    customer, agent, token = await with_agent(client, store)
    cid = customer.ready["conversation"]
    status, body = await upload(client, f"/api/conversations/{cid}/attachments", bearer(token),
                                PDF, "application/pdf", "refund.pdf")  # fmt: skip
    file = body["attachment"]

    await agent.send({"type": "message.new", "conversation": cid, "id": "a1", "text": "Here",
                      "attachment": file["id"]})  # fmt: skip
    shown = await customer.next_of("message.new", sender="agent")
    fetched = await client.get(f"/customer/attachments/{file['id']}", headers=token_of(customer))

    assert status == 201
    assert (shown["text"], shown["attachment"]) == ("Here", file)
    assert await fetched.read() == PDF
    assert fetched.headers["Content-Disposition"].startswith("attachment;")


async def test_an_agent_the_conversation_is_not_assigned_to_cannot_upload_to_it(
    client: TestClient, store: SQLiteStore
) -> None:
    customer = await escalated(client)
    _, token = await make_agent(store, "Gil", ("general",))

    status, body = await upload(
        client, f"/api/conversations/{customer.ready['conversation']}/attachments",
        bearer(token), png(),
    )  # fmt: skip

    assert (status, body["error"]) == (403, "forbidden")


async def test_a_message_cannot_carry_another_conversations_or_the_agents_file(
    client: TestClient, store: SQLiteStore
) -> None:
    customer, _, _ = await with_agent(client, store)
    other = await Customer.join(client)
    _, theirs = await customer_upload(client, other, png())

    await customer.say("m2", "look", attachment=theirs["attachment"]["id"])
    error = await customer.next_of("error")
    await customer.say("m3", "", attachment="f_nothing")
    missing = await customer.next_of("error")

    assert (error["code"], missing["code"]) == ("bad_frame", "bad_frame")
    assert "no file of yours" in error["message"]
    stored = await store.messages_after(customer.ready["conversation"], 0)
    assert not any(m.client_id in ("m2", "m3") for m in stored)


async def test_an_oversize_file_is_a_413_and_keeps_nothing(
    client: TestClient, store: SQLiteStore
) -> None:
    customer = await Customer.join(client)

    status, body = await customer_upload(client, customer, png() + bytes(MAX_BYTES))

    assert status == 413
    assert (body["error"], body["max_bytes"]) == ("too_large", MAX_BYTES)
    assert "larger than 4 KiB" in body["message"]
    assert await store.conversation_attachment_bytes(customer.ready["conversation"]) == 0


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(HTML, "image/png"), (SVG, "image/png"), (SVG, "image/svg+xml"), (HTML, "text/html"),
     (ZIP, "application/zip"), (PDF, "image/png")],
)  # fmt: skip
async def test_a_file_of_a_kind_not_accepted_or_disguised_is_a_415_and_keeps_nothing(
    client: TestClient, store: SQLiteStore, content: bytes, content_type: str
) -> None:
    customer = await Customer.join(client)

    status, body = await customer_upload(client, customer, content, content_type=content_type)

    assert (status, body["error"]) == (415, "unsupported_type")
    assert body["accepted"] == ["png", "jpeg", "gif", "webp", "pdf", "txt"]
    assert await store.conversation_attachment_bytes(customer.ready["conversation"]) == 0


async def test_the_customer_can_still_chat_after_a_refused_file(client: TestClient) -> None:
    customer = await Customer.join(client)
    await customer_upload(client, customer, HTML)

    await customer.say("m1", "hello")

    assert (await customer.next_of("message.ack", id="m1"))["duplicate"] is False


async def test_a_message_with_a_file_survives_a_restart(
    make_client: Client, settings: Settings, store: SQLiteStore, tmp_path: Path
) -> None:
    client = await make_client(settings, rulebook=files_rulebook())
    customer, _, _ = await with_agent(client, store)
    _, body = await customer_upload(client, customer, png())
    await customer.say("m2", "my screen", attachment=body["attachment"]["id"])
    ack = await customer.next_of("message.ack", id="m2")
    await client.close()
    await store.close()

    reopened = _same_database(store)
    await reopened.open()
    try:
        again = await make_client(settings, rulebook=files_rulebook(), store=reopened)
        back = await Customer.join(again, token=customer.ready["token"])
        replayed = await back.next_of("message.new", seq=ack["seq"])
        fetched = await again.get(
            f"/customer/attachments/{body['attachment']['id']}", headers=token_of(back)
        )
    finally:
        await reopened.close()
        await store.open()  # the fixture closes it

    assert replayed["attachment"] == body["attachment"] and replayed["text"] == "my screen"
    assert await fetched.read() == png()


def _same_database(store: SQLiteStore) -> SQLiteStore:
    if isinstance(store, PostgresStore):
        return PostgresStore(store.url)  # type: ignore[return-value]
    return SQLiteStore(store.path)


async def test_the_bot_answers_a_file_without_words_with_a_way_to_a_person(
    client: TestClient,
) -> None:
    customer = await Customer.join(client)
    _, body = await customer_upload(client, customer, png())

    await customer.say("m1", "", attachment=body["attachment"]["id"])
    reply = await customer.next_of("message.new", sender="bot", kind="file")

    assert reply["text"].startswith("I can't read files, but a person can.")
    assert [b["payload"] for b in reply["buttons"]] == ["/talk_to_agent"]


async def test_an_address_uploading_too_often_is_told_when_to_come_back(
    make_client: Client, settings: Settings
) -> None:
    clock = Clock()
    client = await make_client(settings, rulebook=files_rulebook(), clock=clock)
    customer = await Customer.join(client)
    for _ in range(UPLOADS_PER_MINUTE):
        assert (await customer_upload(client, customer, TEXT, content_type="text/plain"))[0] == 201

    status, body = await customer_upload(client, customer, TEXT, content_type="text/plain")
    clock.advance(61)
    later, _ = await customer_upload(client, customer, TEXT, content_type="text/plain")

    assert (status, body["error"]) == (429, "rate_limited")
    assert 1 <= body["retry_after_s"] <= 60
    assert later == 201


async def test_a_body_without_a_length_is_read_only_up_to_the_limit(
    client: TestClient, store: SQLiteStore
) -> None:
    customer = await Customer.join(client)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(64):  # 4 MiB against a 4 KiB limit, with no Content-Length
            yield png() + bytes(65536)

    response = await client.post(
        "/customer/attachments",
        data=chunks(),
        headers={**token_of(customer), "Content-Type": "image/png"},
    )

    assert response.status == 413 and (await response.json())["error"] == "too_large"
    assert await store.conversation_attachment_bytes(customer.ready["conversation"]) == 0


async def test_a_conversation_full_of_files_refuses_the_next_one(
    client: TestClient, store: SQLiteStore
) -> None:
    customer = await Customer.join(client)
    page = b"a" * MAX_BYTES
    for _ in range(CONVERSATION_BUDGET_FILES):
        assert (await customer_upload(client, customer, page, content_type="text/plain"))[0] == 201

    status, body = await customer_upload(client, customer, b"one more", content_type="text/plain")

    assert (status, body["error"]) == (413, "too_large")
    assert "as many files as it may" in body["message"]
    held = await store.conversation_attachment_bytes(customer.ready["conversation"])
    assert held == CONVERSATION_BUDGET_FILES * MAX_BYTES
