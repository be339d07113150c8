"""The bot's policy: (rules, state, inbound) -> replies + new state + decision. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from helpline.matcher import Matcher
from helpline.rules.model import Rulebook

Status = Literal["bot", "queued", "assigned", "closed", "offline"]


@dataclass(frozen=True)
class Button:
    label: str
    payload: str  # "/intent_name" (Rasa style) or "/talk_to_agent"


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()
    kind: str = "answer"  # greeting | answer | clarify | fallback | handoff | queue | feedback
    intent: str | None = None  # the intent this reply answers, so feedback can name it


@dataclass(frozen=True)
class Decision:
    """Why the bot did what it did: stored with its reply, the source of analytics."""

    decision: str  # greeting | answer | clarify | fallback | handoff | silent | feedback
    language: str
    intent: str | None = None
    score: float = 0.0
    candidates: tuple[tuple[str, float], ...] = ()
    mood: float = 0.0  # conversation frustration level after this message
    reasons: tuple[str, ...] = ()  # e.g. ("asked_for_human",), ("frustration",)


@dataclass(frozen=True)
class ConversationState:
    status: Status = "bot"
    language: str | None = None
    fallbacks_in_row: int = 0
    frustration: float = 0.0
    frustration_at: float = 0.0  # clock time (seconds) of the last frustration update
    recent_texts: tuple[str, ...] = ()  # last few normalised customer texts
    last_answered: str | None = None
    customer_name: str | None = None


@dataclass(frozen=True)
class Inbound:
    kind: Literal["text", "button", "feedback"]
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


def greet(rulebook: Rulebook, state: ConversationState, now: float) -> Turn:
    """The opening message of a new conversation (by name when the customer is known)."""
    raise NotImplementedError


def respond(
    rulebook: Rulebook, matcher: Matcher, state: ConversationState, inbound: Inbound
) -> Turn:
    """Decide what the bot says to one customer message, button press or feedback."""
    raise NotImplementedError
