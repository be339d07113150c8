"""rasa-sdk's webhook JSON: the action call we send and the result we read back."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from helpline.actions.base import ActionCall, ActionMessage, ActionResult
from helpline.errors import ActionError, ActionNotFoundError, ActionServerError
from helpline.identity import REST_PREFIX, is_rest_token
from helpline.rules.model import Rulebook
from helpline.store.base import Conversation
from helpline.turn import Button

CHANNEL = "helpline"
# A conversation opened through Rasa's REST channel has this token + the sender's id; its
# actions see that token ("rest:alice") as tracker.sender_id: the REST client's own name for
# itself, unproven, in a namespace no verified customer id can enter (identity.REST_PREFIX).
REST_TOKEN_PREFIX = REST_PREFIX


@functools.cache
def rasa_version() -> str:
    """The action server warns when Rasa's major.minor differs from its own; speak its
    version. Looked up at the first action call, not at import: importlib.metadata scans
    every installed package (10-30 ms of a start)."""
    from importlib import metadata

    try:
        return metadata.version("rasa-sdk")
    except metadata.PackageNotFoundError:
        return "3.8.0"


def sender_id(conversation: Conversation) -> str:
    """Who an action sees: the verified customer, the REST sender under its prefix
    ("rest:alice"), or else the conversation."""
    if conversation.customer_id:
        return conversation.customer_id
    if is_rest_token(conversation.token):
        return conversation.token
    return conversation.id


def action_call(call: ActionCall, domain: Mapping[str, Any]) -> dict[str, Any]:
    """The body of POST /webhook, as Rasa sends it."""
    return {
        "next_action": call.name,
        "sender_id": call.sender_id,
        "tracker": tracker(call),
        "domain": dict(domain),
        "version": rasa_version(),
    }


def tracker(call: ActionCall) -> dict[str, Any]:
    latest = latest_message(call)
    user_event = {
        "event": "user",
        "timestamp": call.now,
        "text": call.text,
        "parse_data": latest,
        "input_channel": CHANNEL,
        "metadata": latest["metadata"],
    }
    return {
        "sender_id": call.sender_id,
        "slots": dict(call.slots),
        "latest_message": latest,
        "events": [user_event],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
        "latest_event_time": call.now,
        "latest_input_channel": CHANNEL,
    }


def latest_message(call: ActionCall) -> dict[str, Any]:
    return {
        "text": call.text,
        "intent": {"name": call.intent, "confidence": call.confidence},
        "entities": [],
        "intent_ranking": [{"name": n, "confidence": c} for n, c in call.ranking],
        "metadata": {**call.metadata, "language": call.language},
    }


def domain(rulebook: Rulebook, slot_names: Sequence[str] = ()) -> dict[str, Any]:
    """A Rasa domain describing the rules: intents, actions, and the slots in use."""
    actions = sorted({i.action for i in rulebook.intents if i.action})
    return {
        "version": "3.1",
        "intents": [i.name for i in rulebook.intents],
        "entities": [],
        "slots": {n: {"type": "any", "mappings": [{"type": "custom"}]} for n in slot_names},
        "responses": {},
        "actions": actions,
        "forms": {},
    }


def result(action: str, data: Any) -> ActionResult:
    """The action server's 200 body ({"events": [...], "responses": [...]}) as a value."""
    if data is None:  # rasa-sdk answers `null` when it ran nothing
        return ActionResult()
    if not isinstance(data, Mapping):
        raise ActionServerError(action, "the action server's answer is not a JSON object")
    events, responses = data.get("events") or [], data.get("responses") or []
    if not isinstance(events, list) or not isinstance(responses, list):
        raise ActionServerError(action, "'events' and 'responses' must be lists")
    messages = (message(r) for r in responses if isinstance(r, Mapping))
    return ActionResult(
        messages=tuple(m for m in messages if m is not None),
        events=tuple(e for e in events if isinstance(e, Mapping) and e.get("event")),
    )


def message(raw: Mapping[str, Any]) -> ActionMessage | None:
    """A dispatcher message: text, buttons, and custom JSON's "text"; None if nothing shows."""
    custom = raw.get("custom")
    text = raw.get("text") or (custom.get("text") if isinstance(custom, Mapping) else None)
    buttons = tuple(b for b in (button(r) for r in raw.get("buttons") or ()) if b is not None)
    response = raw.get("response") or raw.get("template")
    if not text and not buttons and not response:
        return None
    return ActionMessage(
        text=str(text or ""),
        buttons=buttons,
        response=str(response) if response else None,
    )


def button(raw: Any) -> Button | None:
    if not isinstance(raw, Mapping) or not raw.get("title"):
        return None
    return Button(str(raw["title"]), str(raw.get("payload") or raw["title"]))


def slots_after(slots: Mapping[str, Any], events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The slots once the action's SlotSet / AllSlotsReset / Restarted events are applied."""
    updated = dict(slots)
    for event in events:
        kind = event.get("event")
        if kind == "slot" and isinstance(event.get("name"), str):
            updated[event["name"]] = _json_value(event.get("value"))
        elif kind in ("reset_slots", "restart"):
            updated.clear()
    return {k: v for k, v in updated.items() if v is not None}


def _json_value(value: Any) -> Any:
    # Slots are stored as JSON; an in-process action may set a date or a set.
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def error_for_status(action: str, status: int, body: Any) -> ActionError:
    """The action server's error answer as a domain error (its statuses as rasa-sdk sets them)."""
    said = body.get("error") if isinstance(body, Mapping) else None
    if status == 404:
        return ActionNotFoundError(action, said or "not registered on the action server")
    if status == 400:
        return ActionError(action, said or "the action rejected the call")
    return ActionServerError(action, f"action server answered {status}: {said or 'no details'}")
