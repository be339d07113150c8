"""The customer websocket's wire format: parse client frames, build server frames."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from helpline.address import normalise_address
from helpline.errors import ProtocolError
from helpline.page_url import MAX_PAGE_URL_CHARS, normalise_page_url
from helpline.service import inputs
from helpline.settings import Limits
from helpline.store.base import Message

# Error codes a client can receive (documented in docs/protocol.md).
BAD_JSON = "bad_json"
BAD_FRAME = "bad_frame"
UNKNOWN_TYPE = "unknown_type"
NOT_READY = "not_ready"
TOO_LARGE = "too_large"
RATE_LIMITED = "rate_limited"
FLOOD = "flood"
IDLE = "idle"
HELLO_TIMEOUT = "hello_timeout"  # no session.hello soon after the upgrade: then closed
UNAVAILABLE = "unavailable"  # a backend is down: resend later (retryable)
SERVER_ERROR = "server_error"
BAD_EMAIL = "bad_email"
BAD_ATTRIBUTES = "bad_attributes"  # a hello's identity.attributes too large or malformed
EMAIL_UNAVAILABLE = "email_unavailable"  # no SMTP server: an email.submit is refused


# One encoder, made once: json.dumps with options builds a new JSONEncoder per call,
# which costs about as much as encoding a frame. The text is json.dumps's.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class Wire(dict[str, Any]):
    """A server frame that keeps its JSON text once made: a frame fanned out to several
    sockets (tabs, agents) is encoded once, and constant frames are never re-encoded.
    Treat it as frozen once published."""

    __slots__ = ("_text",)

    def text(self) -> str:
        try:
            return self._text
        except AttributeError:
            self._text: str = _dumps(self)
            return self._text


def encode(frame: Mapping[str, Any]) -> str:
    """A frame's wire text (a Wire's kept text, or a fresh encoding of any other mapping)."""
    return frame.text() if isinstance(frame, Wire) else _dumps(frame)


@dataclass(frozen=True)
class Hello:
    token: str | None
    last_seq: int
    lang: str | None
    # the host site's signed claim {id, name, email, signature}, unverified: anything but
    # an object is dropped here, and the claim is trusted only after verify_identity
    identity: Mapping[str, Any] | None
    page: str | None = None  # the page the widget is on: an http(s) URL (page_url.py)


@dataclass(frozen=True)
class MessageNew:
    id: str
    text: str
    payload: str | None
    attachment: str | None = None  # an uploaded file's id (/customer/attachments)


@dataclass(frozen=True)
class FeedbackNew:
    id: str
    seq: int
    helpful: bool


@dataclass(frozen=True)
class EmailSubmit:
    """The customer's address for replies by email (validated and normalised)."""

    id: str
    email: str


@dataclass(frozen=True)
class CsatSubmit:
    id: str
    rating: int  # 1-5
    comment: str | None


@dataclass(frozen=True)
class Seen:
    """message.seen: the widget showed the customer every message up to `seq`."""

    seq: int


@dataclass(frozen=True)
class Signal:
    """A frame that carries nothing but its type: ping, typing.start, typing.stop."""

    type: Literal["ping", "typing.start", "typing.stop"]


ClientFrame = Hello | MessageNew | FeedbackNew | EmailSubmit | CsatSubmit | Seen | Signal


def decode_object(raw: str) -> dict[str, Any]:
    """A text frame's JSON object (either socket's), checked by service.inputs;
    ProtocolError(BAD_JSON or BAD_FRAME) otherwise. A hello's identity claim is left to
    its signature: one no host site can have signed makes the customer anonymous."""
    return inputs.load_object(raw, "frame", opaque=("identity",))


def parse_client_frame(raw: str, limits: Limits) -> ClientFrame:
    """One client text frame as a value; ProtocolError says what is wrong with it."""
    data = decode_object(raw)
    kind = data.get("type")
    if kind == "session.hello":
        return _hello(data)
    if kind == "message.new":
        return _message(data, limits)
    if kind == "feedback.new":
        return FeedbackNew(_client_id(data, limits), _int(data, "seq", 1), _bool(data, "helpful"))
    if kind == "email.submit":
        return _email(data, limits)
    if kind == "csat.submit":
        return _csat(data, limits)
    if kind == "message.seen":
        return Seen(_int(data, "seq", 1))
    if kind in ("ping", "typing.start", "typing.stop"):
        return Signal(kind)
    if not isinstance(kind, str):
        raise ProtocolError(BAD_FRAME, "field 'type' is required and must be a string")
    raise ProtocolError(UNKNOWN_TYPE, f"unknown frame type {kind[:40]!r}")


def _hello(data: dict[str, Any]) -> Hello:
    token = _optional_str(data, "token")
    lang = _optional_str(data, "lang")
    claim = data.get("identity")
    identity = claim if isinstance(claim, dict) else None
    last_seq = _int(data, "last_seq", 0) if data.get("last_seq") is not None else 0
    return Hello(token, last_seq, lang[:8] if lang else None, identity, _page(data))


def _page(data: dict[str, Any]) -> str | None:
    value = _optional_str(data, "page")
    if value is None:
        return None
    page = normalise_page_url(value)
    if page is None:
        raise ProtocolError(
            BAD_FRAME,
            f"field 'page' must be an http(s) URL of at most {MAX_PAGE_URL_CHARS} characters",
        )
    return page


def _message(data: dict[str, Any], limits: Limits) -> MessageNew:
    client_id = _client_id(data, limits)
    text = data.get("text")
    if not isinstance(text, str):
        raise ProtocolError(BAD_FRAME, "field 'text' is required and must be a string")
    if len(text) > limits.max_text_chars:
        raise ProtocolError(TOO_LARGE, f"text is longer than {limits.max_text_chars} characters")
    payload = _optional_str(data, "payload")
    attachment = _optional_str(data, "attachment")
    if not text.strip() and not payload and not attachment:
        raise ProtocolError(BAD_FRAME, "field 'text' must not be empty")
    return MessageNew(client_id, text, payload[:200] if payload else None, attachment or None)


def _email(data: dict[str, Any], limits: Limits) -> EmailSubmit:
    client_id = _client_id(data, limits)
    value = data.get("email")
    address = normalise_address(value) if isinstance(value, str) else None
    if address is None:
        raise ProtocolError(BAD_EMAIL, "that does not look like an email address")
    return EmailSubmit(client_id, address)


def _csat(data: dict[str, Any], limits: Limits) -> CsatSubmit:
    rating = _int(data, "rating", 1)
    if rating > 5:
        raise ProtocolError(BAD_FRAME, "field 'rating' must be an integer from 1 to 5")
    comment = _optional_str(data, "comment")
    if comment is not None and len(comment) > limits.max_text_chars:
        raise ProtocolError(TOO_LARGE, f"comment is longer than {limits.max_text_chars} characters")
    return CsatSubmit(_client_id(data, limits), rating, (comment or "").strip() or None)


def _client_id(data: dict[str, Any], limits: Limits) -> str:
    value = data.get("id")
    if not isinstance(value, str) or not value:
        raise ProtocolError(BAD_FRAME, "field 'id' is required and must be a non-empty string")
    if len(value) > limits.max_client_id_chars:
        raise ProtocolError(BAD_FRAME, f"field 'id' is longer than {limits.max_client_id_chars}")
    return value


def _optional_str(data: dict[str, Any], name: str) -> str | None:
    return inputs.optional_text(data.get(name), name)


def _int(data: dict[str, Any], name: str, minimum: int) -> int:
    return inputs.bounded_int(data.get(name), name, minimum)


def _bool(data: dict[str, Any], name: str) -> bool:
    value = data.get(name)
    if not isinstance(value, bool):
        raise ProtocolError(BAD_FRAME, f"field {name!r} must be true or false")
    return value


def error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


def ack(client_id: str, stored: Message, duplicate: bool) -> dict[str, Any]:
    """`at`: the stored time, which the sending tab shows (its echo may go to others only)."""
    return {
        "type": "message.ack", "id": client_id, "seq": stored.seq, "duplicate": duplicate,
        "at": stored.created_at,
    }  # fmt: skip


def email_ack(client_id: str, email: str, seq: int, duplicate: bool) -> dict[str, Any]:
    """email.submit stored: `seq` is the bot's confirmation message."""
    return {
        "type": "email.ack",
        "id": client_id,
        "email": email,
        "seq": seq,
        "duplicate": duplicate,
    }


def ready(
    conversation_id: str, token: str, resumed: bool, status: str, last_seq: int, email: bool
) -> dict[str, Any]:
    """`email`: whether the customer may leave an email for replies (the widget's form)."""
    return {
        "type": "session.ready",
        "conversation": conversation_id,
        "token": token,
        "resumed": resumed,
        "status": status,
        "last_seq": last_seq,
        "email": email,
    }


_TYPING: dict[tuple[str, str], Wire] = {}


def typing(kind: Literal["typing.start", "typing.stop"], sender: str) -> dict[str, Any]:
    """The same frame each time (the bot sends two per answer): encoded only once."""
    frame = _TYPING.get((kind, sender))
    if frame is None:
        frame = _TYPING[(kind, sender)] = Wire(type=kind, sender=sender)
    return frame


def csat_ack(client_id: str, rating: int, duplicate: bool) -> dict[str, Any]:
    return {"type": "csat.ack", "id": client_id, "rating": rating, "duplicate": duplicate}


def status(value: str) -> dict[str, Any]:
    return {"type": "conversation.status", "status": value}


def message(stored: Message) -> dict[str, Any]:
    """A stored message as the client sees it (the bot's decision details stay server-side)."""
    body = stored.body
    return Wire(
        {
            "type": "message.new",
            "seq": stored.seq,
            "sender": stored.sender,
            "text": body.get("text", ""),
            "buttons": list(body.get("buttons", ())),
            "kind": body.get("kind"),
            "intent": body.get("intent"),
            "client_id": stored.client_id,
            "at": stored.created_at,
            **({"name": body["name"]} if stored.sender == "agent" and "name" in body else {}),
            **({"attachment": body["attachment"]} if "attachment" in body else {}),
        }
    )
