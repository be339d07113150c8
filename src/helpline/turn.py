"""A bot turn's values: what came in, the conversation's state, the replies and the decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

Status = Literal["bot", "queued", "assigned", "closed", "offline"]


@dataclass(frozen=True)
class Button:
    label: str
    payload: str  # "/intent_name" (Rasa style), "/talk_to_agent" or "/none_of_these"


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()
    kind: str = "answer"  # greeting | answer | clarify | fallback | handoff | queue | feedback
    intent: str | None = None  # the intent this reply answers, so feedback can name it


@dataclass(frozen=True)
class Decision:
    """Why the bot did what it did: stored with its reply, the source of analytics."""

    # greeting | answer | clarify | fallback | handoff | silent | feedback | queue | file
    decision: str
    language: str
    intent: str | None = None  # answered intent; for clarify/fallback the top candidate
    score: float = 0.0
    candidates: tuple[tuple[str, float], ...] = ()
    mood: float = 0.0  # conversation frustration level after this message
    reasons: tuple[str, ...] = ()  # e.g. ("asked_for_human",), ("frustration",)
    action: str | None = None  # the answered intent's custom action, run by the edge
    # the intent the conversation is about (ConversationState.topic): a handoff is routed
    # by it, so "talk to a person" after a billing question goes to the billing team
    topic: str | None = None


@dataclass(frozen=True)
class ConversationState:
    status: Status = "bot"
    language: str | None = None
    fallbacks_in_row: int = 0
    frustration: float = 0.0
    frustration_at: float = 0.0  # clock time (seconds) of the last frustration update
    recent_texts: tuple[str, ...] = ()  # last few normalised customer texts
    last_answered: str | None = None
    topic: str | None = None  # the latest question answered or clarified: its top intent
    customer_name: str | None = None
    # custom actions' slots (Rasa style); the dialogue only carries them between turns
    slots: Mapping[str, Any] = field(default_factory=dict)


_STATE_FIELDS = frozenset(f.name for f in fields(ConversationState))


def changed(state: ConversationState, **changes: Any) -> ConversationState:
    """dataclasses.replace(state, **changes) at a third of its cost: a turn changes the
    state three or four times, and replace walks every field's metadata each time (a
    quarter of the dialogue's CPU on a text whose match is kept). The fields are copied
    as they stand, then the changes; the state has no __post_init__ to run."""
    if not changes.keys() <= _STATE_FIELDS:
        unknown = ", ".join(sorted(changes.keys() - _STATE_FIELDS))
        raise TypeError(f"ConversationState has no field {unknown}")
    new = object.__new__(ConversationState)
    vars(new).update(vars(state), **changes)
    return new


@dataclass(frozen=True)
class Inbound:
    kind: Literal["text", "button", "feedback", "file"]  # file: a file sent without words
    now: float  # clock time in seconds; passed in so tests control time
    text: str = ""
    payload: str = ""  # button payload
    helpful: bool | None = None  # feedback: thumbs up / down
    intent: str | None = None  # feedback: which answer


@dataclass(frozen=True)
class Turn:
    replies: tuple[Reply, ...]
    state: ConversationState
    decision: Decision
