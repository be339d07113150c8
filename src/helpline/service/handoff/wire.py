"""The agent websocket's client frames: parsed and checked before anything acts on them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from helpline.errors import ProtocolError
from helpline.service.frames import BAD_FRAME, UNKNOWN_TYPE, decode_object
from helpline.settings import Limits

MAX_TAGS = 20
MAX_TAG_CHARS = 50

# type -> fields it requires (beyond "type"); every one is a non-empty string unless below
TYPES: dict[str, tuple[str, ...]] = {
    "ping": (),
    "presence.set": ("status",),
    "conversation.accept": ("conversation",),
    "message.new": ("conversation", "id", "text"),
    "note.new": ("conversation", "id", "text"),
    "typing.start": ("conversation",),
    "typing.stop": ("conversation",),
    "canned.search": ("conversation", "query"),
    "conversation.transfer": ("conversation",),
    "conversation.release": ("conversation",),
    "conversation.close": ("conversation",),
    "conversation.urgent": ("conversation",),  # and "urgent": true | false (default true)
}
OPTIONAL = ("to_agent", "to_team", "note", "id")
PRESENCE_SET = ("online", "away")


@dataclass(frozen=True)
class AgentFrame:
    type: str
    fields: dict[str, str]  # the required and optional string fields that were given
    tags: tuple[str, ...] = ()
    urgent: bool = True  # conversation.urgent: set (true) or clear (false) the flag

    def __getitem__(self, name: str) -> str:
        return self.fields[name]

    def get(self, name: str) -> str | None:
        return self.fields.get(name)


def parse_agent_frame(raw: str, limits: Limits) -> AgentFrame:
    data = decode_object(raw)
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ProtocolError(BAD_FRAME, "field 'type' is required and must be a string")
    if kind not in TYPES:
        raise ProtocolError(UNKNOWN_TYPE, f"unknown frame type {kind[:40]!r}")
    fields = {name: _text(data, name, limits, required=True) for name in TYPES[kind]}
    for name in OPTIONAL:
        if data.get(name) is not None:
            fields[name] = _text(data, name, limits, required=False)
    if kind == "presence.set" and fields["status"] not in PRESENCE_SET:
        raise ProtocolError(BAD_FRAME, "field 'status' must be 'online' or 'away'")
    urgent = data.get("urgent", True)
    if kind == "conversation.urgent" and not isinstance(urgent, bool):
        raise ProtocolError(BAD_FRAME, "field 'urgent' must be true or false")
    tags = _tags(data) if kind == "conversation.close" else ()
    return AgentFrame(kind, fields, tags, urgent is not False)


def _text(data: dict[str, Any], name: str, limits: Limits, *, required: bool) -> str:
    value = data.get(name)
    if not isinstance(value, str) or (required and not value.strip()):
        raise ProtocolError(BAD_FRAME, f"field {name!r} must be a non-empty string")
    if len(value) > limits.max_text_chars:
        raise ProtocolError("too_large", f"field {name!r} is longer than {limits.max_text_chars}")
    return value


def _tags(data: dict[str, Any]) -> tuple[str, ...]:
    tags = data.get("tags", [])
    ok = isinstance(tags, list) and len(tags) <= MAX_TAGS
    if not ok or not all(isinstance(t, str) and 0 < len(t.strip()) <= MAX_TAG_CHARS for t in tags):
        raise ProtocolError(
            BAD_FRAME, f"field 'tags' must be a list of up to {MAX_TAGS} short strings"
        )
    return tuple(dict.fromkeys(t.strip() for t in tags))
