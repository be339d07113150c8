"""The dialogue's values as the store keeps them (message, replies, state), and back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from helpline.store.base import Conversation
from helpline.turn import ConversationState, Inbound, Reply


def inbound(body: Mapping[str, Any], now: float) -> Inbound:
    """The dialogue's view of a stored customer message (also after a restart)."""
    if body.get("kind") == "feedback":
        return Inbound(
            kind="feedback", now=now, helpful=bool(body.get("helpful")), intent=body.get("intent")
        )
    text = str(body.get("text", ""))
    payload = body.get("payload")
    if payload:
        return Inbound(kind="button", now=now, text=text, payload=str(payload))
    if body.get("attachment") and not text.strip():
        return Inbound(kind="file", now=now)
    return Inbound(kind="text", now=now, text=text)


def reply_body(reply: Reply, decision: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "text": reply.text,
        "buttons": [{"label": b.label, "payload": b.payload} for b in reply.buttons],
        "kind": reply.kind,
        "intent": reply.intent,
        "decision": decision,
    }


def shallow(value: Any) -> dict[str, Any]:
    """A flat dataclass as a dict; dataclasses.asdict deep-copies and costs far more per turn."""
    names = _field_names(type(value))
    found = getattr(value, "__dict__", None)
    if found is not None and len(found) == len(names):
        # the generated __init__ sets the fields in their order, and nothing else was set:
        # the same dict as the comprehension below, copied in C (a turn makes two)
        return dict(found)
    return {name: getattr(value, name) for name in names}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """dataclasses.fields builds a fresh tuple on every call; a turn asks twice per class."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def state_dict(state: ConversationState) -> dict[str, Any]:
    data = shallow(state)
    data["recent_texts"] = list(state.recent_texts)
    return data


_STATE_FIELDS = frozenset(_field_names(ConversationState))


def restore_state(conversation: Conversation) -> ConversationState:
    """The saved bot state; keys from another version of the dialogue are dropped, not fatal."""
    known = _STATE_FIELDS
    saved = {k: v for k, v in conversation.bot_state.items() if k in known}
    if not saved:
        return ConversationState(language=conversation.language)
    # people change the status outside bot turns (accept, close, hand back): the
    # conversation's own status is the truth, the bot's saved copy may be older
    saved["status"] = conversation.status
    if "recent_texts" in saved:
        saved["recent_texts"] = tuple(saved["recent_texts"])
    return ConversationState(**saved)
