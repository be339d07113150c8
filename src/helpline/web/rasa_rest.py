"""POST /webhooks/rest/webhook: Rasa's REST channel, answered by the same conversation service.

What it trusts: nothing about who the sender is. A sender is the client's own name for a
conversation, kept under the "rest:" prefix: custom actions see "rest:<sender>", never a
verified customer id, and no widget can resume it. With a REST token set (HELPLINE_REST_TOKEN)
only clients that send it get in; without one, anyone who can reach the URL can chat.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from helpline.actions.wire import REST_TOKEN_PREFIX
from helpline.errors import ProtocolError, StoreError
from helpline.service import frames, inputs
from helpline.service.conversation import ConversationService
from helpline.service.frames import MessageNew
from helpline.settings import Limits
from helpline.store.base import Conversation, Message
from helpline.web.admission import address_of
from helpline.web.keys import ADMISSION, CONVERSATIONS, SETTINGS, TRUSTED_PROXIES

log = logging.getLogger(__name__)

PATH = "/webhooks/rest/webhook"
MAX_SENDER_CHARS = 128
STATUS = {frames.TOO_LARGE: 413, frames.RATE_LIMITED: 429}  # other refusals: 400


@dataclass(frozen=True)
class RestMessage:
    sender: str
    text: str
    metadata: Mapping[str, Any]


async def rest_webhook(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    if settings.rest_token is not None and not _authorised(request, settings.rest_token):
        return _error(401, "unauthorized", "send the REST channel's token")
    limits = settings.limits
    try:
        incoming = parse(await _body(request, limits), limits)
        replies = await answer(request.app[CONVERSATIONS], incoming, admit=_admitter(request))
    except ProtocolError as exc:
        return _error(STATUS.get(exc.code, 400), exc.code, exc.message)
    except StoreError as exc:
        log.warning("store failed for a REST message: %s", exc)
        return _error(503, frames.UNAVAILABLE, "storage unavailable; resend later")
    return web.json_response(replies, dumps=_dumps)


async def answer(
    service: ConversationService,
    incoming: RestMessage,
    admit: Callable[[], None] | None = None,  # raises to refuse a new sender's conversation
) -> list[dict[str, Any]]:
    """Post the message to the sender's conversation; the bot's replies in Rasa's format."""
    conversation = await _conversation(service, incoming.sender, admit)
    text = incoming.text
    frame = MessageNew(secrets.token_hex(8), text, text if text.startswith("/") else None)
    acks: list[Mapping[str, Any]] = []

    async def keep_ack(frame: Mapping[str, Any]) -> None:
        acks.append(frame)

    await service.post_message(conversation.id, frame, keep_ack, metadata=incoming.metadata)
    after = await service.history(conversation.id, int(acks[0]["seq"]))
    return [rasa_message(incoming.sender, m) for m in _replies(after)]


def rasa_message(recipient: str, message: Message) -> dict[str, Any]:
    """One bot message as Rasa's REST channel sends it (buttons only when there are some)."""
    out: dict[str, Any] = {"recipient_id": recipient, "text": message.body.get("text", "")}
    buttons = message.body.get("buttons") or ()
    if buttons:
        out["buttons"] = [{"title": b["label"], "payload": b["payload"]} for b in buttons]
    return out


def parse(raw: bytes, limits: Limits) -> RestMessage:
    """The request body as a value; ProtocolError says what is wrong with it."""
    data = inputs.load_object(raw, "body")
    text = data.get("message")
    if not isinstance(text, str) or not text.strip():
        raise ProtocolError(frames.BAD_FRAME, "field 'message' must be a non-empty string")
    if len(text) > limits.max_text_chars:
        raise ProtocolError(
            frames.TOO_LARGE, f"message is longer than {limits.max_text_chars} characters"
        )
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise ProtocolError(frames.BAD_FRAME, "field 'metadata' must be an object or null")
    return RestMessage(_sender(data.get("sender")), text, metadata or {})


def _sender(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ProtocolError(frames.BAD_FRAME, "field 'sender' must be a non-empty string")
    if len(value) > MAX_SENDER_CHARS:
        raise ProtocolError(frames.BAD_FRAME, f"field 'sender' is longer than {MAX_SENDER_CHARS}")
    return value


async def _body(request: web.Request, limits: Limits) -> bytes:
    """The body, refused with 413 past max_frame_bytes (before reading it when it says so)."""
    too_large = ProtocolError(
        frames.TOO_LARGE, f"body is larger than {limits.max_frame_bytes} bytes"
    )
    if request.content_length is not None and request.content_length > limits.max_frame_bytes:
        raise too_large
    body = bytearray()
    while chunk := await request.content.read(limits.max_frame_bytes + 1 - len(body)):
        body += chunk
        if len(body) > limits.max_frame_bytes:
            raise too_large
    return bytes(body)


async def _conversation(
    service: ConversationService, sender: str, admit: Callable[[], None] | None
) -> Conversation:
    token = REST_TOKEN_PREFIX + sender
    found = await service.store.conversation_by_token(token)
    if found is not None:
        return found
    async with service.locks.hold(token):  # two first messages at once make one conversation
        found = await service.store.conversation_by_token(token)
        if found is None:
            if admit is not None:
                admit()
            # No greeting: a REST client asked something and expects only the answer.
            found = await service.store.create_conversation(
                token=token, language=None, now=service.clock()
            )
    return found


def _admitter(request: web.Request) -> Callable[[], None]:
    """The per-address limit on new conversations, as the widget's socket has it: a client
    inventing a sender for every message is one address starting many conversations."""
    address = address_of(request, request.app[TRUSTED_PROXIES])
    return lambda: request.app[ADMISSION].start_conversation(address)


def _replies(after: list[Message]) -> list[Message]:
    """The bot's messages for this turn: those before the sender's next message."""
    replies: list[Message] = []
    for message in after:
        if message.sender == "customer":
            break
        if message.sender == "bot":
            replies.append(message)
    return replies


def _authorised(request: web.Request, expected: str) -> bool:
    """The channel's token as Rasa deployments send it: a Bearer header or ?token=."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    given = value.strip() if scheme.lower() == "bearer" else request.query.get("token", "")
    return hmac.compare_digest(given.encode(errors="replace"), expected.encode())


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": message, "code": code}, status=status)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
