"""Rasa's REST channel: POST /webhooks/rest/webhook answered in Rasa's format."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from helpline.rules.model import Rulebook
from helpline.settings import Limits
from helpline.store import SQLiteStore

PATH = "/webhooks/rest/webhook"


async def say(client: Any, sender: str | int, message: str, **extra: Any) -> tuple[int, Any]:
    response = await client.post(PATH, json={"sender": sender, "message": message, **extra})
    return response.status, await response.json()


async def test_message_is_answered_in_rasa_format(make_client: Any) -> None:
    client = await make_client()

    status, body = await say(client, "alice", "i want a refund")

    assert status == 200
    assert body == [{"recipient_id": "alice", "text": "Refunds take 3-5 days."}]


async def test_same_sender_continues_its_conversation(make_client: Any, store: SQLiteStore) -> None:
    client = await make_client()
    await say(client, "alice", "i want a refund")
    await say(client, "bob", "reset my password")

    await say(client, "alice", "reset my password")

    conversation = await store.conversation_by_token("rest:alice")
    assert conversation is not None
    said = [m.body["text"] for m in await store.messages_after(conversation.id, 0)]
    assert said == [
        "i want a refund",
        "Refunds take 3-5 days.",
        "reset my password",
        "Use 'Forgot password'.",
    ]


async def test_sender_handed_to_a_person_is_no_longer_answered_by_the_bot(
    make_client: Any, store: SQLiteStore
) -> None:
    client = await make_client()
    await say(client, "carl", "talk to a human")

    _, body = await say(client, "carl", "i want a refund")

    conversation = await store.conversation_by_token("rest:carl")
    assert conversation is not None and conversation.status != "bot"
    assert "Refunds take 3-5 days." not in [m["text"] for m in body]


async def test_clarify_buttons_are_mapped_to_title_and_payload(
    make_client: Any, rulebook: Rulebook
) -> None:
    # an answer threshold no message of two intents' words reaches: "did you mean" it is
    unsure = replace(rulebook.config.thresholds, answer=95.0)
    client = await make_client(
        rulebook=replace(rulebook, config=replace(rulebook.config, thresholds=unsure))
    )

    _, body = await say(client, "carol", "password refund")

    assert body[0]["buttons"]
    assert all(set(b) == {"title", "payload"} for b in body[0]["buttons"])
    payloads = [b["payload"] for b in body[0]["buttons"]]
    # the guesses, then the way out when neither is it
    assert set(payloads[:-1]) <= {"/refund", "/password_reset"}
    assert payloads[-1] == "/none_of_these"


async def test_button_payload_sent_back_as_message_answers_that_intent(make_client: Any) -> None:
    client = await make_client()

    _, body = await say(client, "dave", "/password_reset")

    assert body == [{"recipient_id": "dave", "text": "Use 'Forgot password'."}]


async def test_metadata_is_accepted_and_kept_with_the_message(
    make_client: Any, store: SQLiteStore
) -> None:
    client = await make_client()

    status, _ = await say(client, "erin", "i want a refund", metadata={"plan": "premium"})

    conversation = await store.conversation_by_token("rest:erin")
    assert status == 200 and conversation is not None
    stored = await store.messages_after(conversation.id, 0)
    assert stored[0].body["metadata"] == {"plan": "premium"}


async def test_numeric_sender_is_taken_as_its_string(make_client: Any) -> None:
    client = await make_client()

    status, body = await say(client, 42, "refund please")

    assert status == 200 and body[0]["recipient_id"] == "42"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "bad_json"),
        (b"[1, 2]", "bad_json"),
        (b'{"sender": "a"}', "bad_frame"),
        (b'{"sender": "a", "message": "   "}', "bad_frame"),
        (b'{"message": "hi"}', "bad_frame"),
        (b'{"sender": "", "message": "hi"}', "bad_frame"),
        (b'{"sender": "a", "message": "hi", "metadata": [1]}', "bad_frame"),
    ],
)
async def test_bad_body_gets_400_with_a_json_error(make_client: Any, raw: bytes, code: str) -> None:
    client = await make_client()

    response = await client.post(PATH, data=raw, headers={"Content-Type": "application/json"})

    assert response.status == 400
    body = await response.json()
    assert body["code"] == code and body["error"]


async def test_overlong_message_gets_413_naming_the_limit(
    make_client: Any, make_settings: Any
) -> None:
    client = await make_client(make_settings(limits=Limits(max_text_chars=50)))

    status, body = await say(client, "frank", "x" * 51)

    assert status == 413
    assert body == {"code": "too_large", "error": "message is longer than 50 characters"}


async def test_oversized_body_gets_413_before_it_is_read(
    make_client: Any, make_settings: Any
) -> None:
    client = await make_client(make_settings(limits=Limits(max_frame_bytes=1024)))

    status, body = await say(client, "gina", "refund", padding="y" * 2000)

    assert status == 413
    assert body["code"] == "too_large" and "1024 bytes" in body["error"]


async def test_oversized_chunked_body_gets_413_while_reading(
    make_client: Any, make_settings: Any
) -> None:
    client = await make_client(make_settings(limits=Limits(max_frame_bytes=1024)))

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"sender": "ivy", "message": "refund", "padding": "'
        for _ in range(10):
            yield b"z" * 500
        yield b'"}'

    response = await client.post(PATH, data=chunks())

    assert response.status == 413
    assert (await response.json())["code"] == "too_large"


async def test_server_keeps_answering_after_bad_requests(make_client: Any) -> None:
    client = await make_client()
    await client.post(PATH, data=b"\xff\xfe", headers={"Content-Type": "application/json"})

    status, body = await say(client, "hana", "refund please")

    assert status == 200 and body[0]["text"] == "Refunds take 3-5 days."
