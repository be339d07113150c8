"""The agent websocket's wire format: each client frame parsed into its own typed value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from helpline.errors import ProtocolError
from helpline.service.frames import BAD_FRAME, TOO_LARGE, UNKNOWN_TYPE, decode_object
from helpline.settings import Limits

MAX_TAGS = 20
MAX_TAG_CHARS = 50
PRESENCE_SET = ("online", "away")

Presence = Literal["online", "away"]
TypingKind = Literal["typing.start", "typing.stop"]


@dataclass(frozen=True, kw_only=True)
class AgentFrame:
    """Any agent frame: one that carries an `id` is acknowledged (`ack`) once it is done."""

    id: str | None = None


@dataclass(frozen=True, kw_only=True)
class Ping(AgentFrame):
    pass


@dataclass(frozen=True, kw_only=True)
class PresenceSet(AgentFrame):
    status: Presence


@dataclass(frozen=True, kw_only=True)
class Accept(AgentFrame):
    conversation: str


@dataclass(frozen=True, kw_only=True)
class Reply(AgentFrame):
    """message.new: a reply to the customer, stored once per (required) id."""

    conversation: str
    id: str
    text: str
    attachment: str | None = None  # a file uploaded to the conversation; text may be empty


@dataclass(frozen=True, kw_only=True)
class NoteNew(AgentFrame):
    conversation: str
    id: str
    text: str


@dataclass(frozen=True, kw_only=True)
class Typing(AgentFrame):
    conversation: str
    kind: TypingKind


@dataclass(frozen=True, kw_only=True)
class CannedSearch(AgentFrame):
    conversation: str
    query: str


@dataclass(frozen=True, kw_only=True)
class Transfer(AgentFrame):
    """To an agent or a team (exactly one of them: the desk checks, naming both fields)."""

    conversation: str
    to_agent: str | None
    to_team: str | None
    note: str | None


@dataclass(frozen=True, kw_only=True)
class TransferOptions(AgentFrame):
    """Ask where a conversation can go: answered with a transfer.options frame."""


@dataclass(frozen=True, kw_only=True)
class Release(AgentFrame):
    conversation: str


@dataclass(frozen=True, kw_only=True)
class Close(AgentFrame):
    conversation: str
    tags: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Urgent(AgentFrame):
    """Set (true, the default) or clear (false) the conversation's urgent flag."""

    conversation: str
    urgent: bool


Data = dict[str, Any]


def parse_agent_frame(raw: str, limits: Limits) -> AgentFrame:
    """One agent text frame as a value; ProtocolError says what is wrong with it."""
    data = decode_object(raw)
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ProtocolError(BAD_FRAME, "field 'type' is required and must be a string")
    parse = PARSERS.get(kind)
    if parse is None:
        raise ProtocolError(UNKNOWN_TYPE, f"unknown frame type {kind[:40]!r}")
    return parse(data, limits)


def _ping(data: Data, limits: Limits) -> Ping:
    return Ping(id=_optional(data, "id", limits))


def _presence(data: Data, limits: Limits) -> PresenceSet:
    status = _text(data, "status", limits)
    if status not in PRESENCE_SET:
        raise ProtocolError(BAD_FRAME, "field 'status' must be 'online' or 'away'")
    return PresenceSet(status="online" if status == "online" else "away", id=_id(data, limits))


def _accept(data: Data, limits: Limits) -> Accept:
    return Accept(conversation=_conversation(data, limits), id=_id(data, limits))


def _reply(data: Data, limits: Limits) -> Reply:
    conversation = _conversation(data, limits)
    attachment = _optional(data, "attachment", limits)
    # a file may go without words
    text = (_optional(data, "text", limits) or "") if attachment else _text(data, "text", limits)
    return Reply(
        conversation=conversation, id=_text(data, "id", limits), text=text, attachment=attachment
    )


def _note(data: Data, limits: Limits) -> NoteNew:
    conversation = _conversation(data, limits)
    return NoteNew(
        conversation=conversation, id=_text(data, "id", limits), text=_text(data, "text", limits)
    )


def _typing(kind: TypingKind) -> Callable[[Data, Limits], Typing]:
    def parse(data: Data, limits: Limits) -> Typing:
        return Typing(conversation=_conversation(data, limits), kind=kind, id=_id(data, limits))

    return parse


def _canned(data: Data, limits: Limits) -> CannedSearch:
    conversation = _conversation(data, limits)
    query = _text(data, "query", limits)
    return CannedSearch(conversation=conversation, query=query, id=_id(data, limits))


def _transfer(data: Data, limits: Limits) -> Transfer:
    return Transfer(
        conversation=_conversation(data, limits), to_agent=_optional(data, "to_agent", limits),
        to_team=_optional(data, "to_team", limits), note=_optional(data, "note", limits),
        id=_id(data, limits),
    )  # fmt: skip


def _transfer_options(data: Data, limits: Limits) -> TransferOptions:
    return TransferOptions(id=_id(data, limits))


def _release(data: Data, limits: Limits) -> Release:
    return Release(conversation=_conversation(data, limits), id=_id(data, limits))


def _close(data: Data, limits: Limits) -> Close:
    conversation = _conversation(data, limits)
    return Close(conversation=conversation, tags=_tags(data), id=_id(data, limits))


def _urgent(data: Data, limits: Limits) -> Urgent:
    conversation = _conversation(data, limits)
    urgent = data.get("urgent", True)
    if not isinstance(urgent, bool):
        raise ProtocolError(BAD_FRAME, "field 'urgent' must be true or false")
    return Urgent(conversation=conversation, urgent=urgent, id=_id(data, limits))


# type -> its parser: the one list of the frames an agent may send (docs/protocol.md)
PARSERS: dict[str, Callable[[Data, Limits], AgentFrame]] = {
    "ping": _ping,
    "presence.set": _presence,
    "conversation.accept": _accept,
    "message.new": _reply,
    "note.new": _note,
    "typing.start": _typing("typing.start"),
    "typing.stop": _typing("typing.stop"),
    "canned.search": _canned,
    "conversation.transfer": _transfer,
    "transfer.options": _transfer_options,
    "conversation.release": _release,
    "conversation.close": _close,
    "conversation.urgent": _urgent,
}


def _conversation(data: Data, limits: Limits) -> str:
    return _text(data, "conversation", limits)


def _id(data: Data, limits: Limits) -> str | None:
    return _optional(data, "id", limits)


def _text(data: Data, name: str, limits: Limits) -> str:
    """A required string field with something in it."""
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ProtocolError(BAD_FRAME, f"field {name!r} must be a non-empty string")
    return _bounded(name, value, limits)


def _optional(data: Data, name: str, limits: Limits) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProtocolError(BAD_FRAME, f"field {name!r} must be a string or null")
    return _bounded(name, value, limits)


def _bounded(name: str, value: str, limits: Limits) -> str:
    if len(value) > limits.max_text_chars:
        raise ProtocolError(TOO_LARGE, f"field {name!r} is longer than {limits.max_text_chars}")
    return value


def _tags(data: Data) -> tuple[str, ...]:
    tags = data.get("tags", [])
    ok = isinstance(tags, list) and len(tags) <= MAX_TAGS
    if not ok or not all(isinstance(t, str) and 0 < len(t.strip()) <= MAX_TAG_CHARS for t in tags):
        raise ProtocolError(
            BAD_FRAME, f"field 'tags' must be a list of up to {MAX_TAGS} short strings"
        )
    return tuple(dict.fromkeys(t.strip() for t in tags))
