"""Frustration: a per-message score and a per-conversation level that decays."""

from __future__ import annotations

import math
from dataclasses import dataclass

from helpline.rules.model import FrustrationSettings

# Conversation events that are not words but still say "this is not working".
FALLBACK_SIGNAL = 0.25
NEGATIVE_FEEDBACK_SIGNAL = 0.4
REPEAT_SIGNAL = 0.3


@dataclass(frozen=True)
class MessageMood:
    score: float  # 0..1: how frustrated this one message reads
    reasons: tuple[str, ...] = ()  # e.g. "profanity", "shouting", "lexicon", "asked_for_human"


def score_message(text: str, language: str | None = None) -> MessageMood:
    """How frustrated a single message reads, with the reasons."""
    shouting = sum(1 for c in text if c.isupper()) > 8 or "!!!" in text
    return MessageMood(0.5 if shouting else 0.0, ("shouting",) if shouting else ())


def wants_human(text: str, language: str | None = None) -> bool:
    """An explicit request for a person, in any wording we know."""
    lowered = text.lower()
    return any(k in lowered for k in ("human", "agent", "person", "상담원", "사람"))


def update_level(
    level: float, elapsed_s: float, signal: float, settings: FrustrationSettings
) -> float:
    """Decay the conversation's level over elapsed time, then add a new signal (capped at 1)."""
    decayed = level * math.pow(0.5, max(elapsed_s, 0.0) / settings.half_life_s)
    return min(1.0, decayed + signal * (1.0 - decayed))
