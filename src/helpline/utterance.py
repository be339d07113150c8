"""One customer message, read: its language, matching intents and frustration cues."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from helpline import mood
from helpline.matcher import Candidate, Matcher
from helpline.rules.model import Config, Intent, Rulebook
from helpline.scope import Scope
from helpline.text import detect_language, normalize

if TYPE_CHECKING:
    from helpline.turn import ConversationState, Inbound

RECENT_TEXTS = 5  # how many earlier customer texts a repeat is checked against
NOT_OURS = "not_ours"  # the message names another product or subject (config scope)
NOT_ANSWERED = "not_answered"  # a subject about us the desk does not answer (config scope)


@dataclass(frozen=True)
class Utterance:
    """One customer message or button press, read: what it asks and how it sounds."""

    text: str
    payload: str
    language: str
    now: float
    candidates: tuple[Candidate, ...]
    pressed: bool  # a button named a known intent: answer it whatever the score
    signal: float  # frustration this message adds (words, repeats)
    reasons: tuple[str, ...]


# "How long?" while waiting for a person: the one question the bot still answers then.
_WAIT_QUESTION = re.compile(
    r"how long|when|wait|\beta\b|still|anyone there|얼마나|언제|기다|대기|아직|몇\s*분|멀었",
    re.IGNORECASE,
)


def read(
    rulebook: Rulebook, matcher: Matcher, state: ConversationState, inbound: Inbound
) -> Utterance:
    """A button naming a known intent scores 100; anything else goes through the matcher."""
    pressed = _pressed_intent(rulebook, inbound)
    lang = language(rulebook.config, state, inbound.text)
    text = inbound.text or (pressed.label(lang) if pressed else "")
    if pressed is not None:
        candidates: tuple[Candidate, ...] = (Candidate(pressed.name, 100.0, ("button",)),)
    else:
        found = matcher.match(text, lang, limit=5) if text.strip() else []
        candidates = tuple(c for c in found if c.intent in rulebook.by_name)
    typed = pressed is None
    signal, reasons = _cues(state, text, lang) if typed else (0.0, ())
    if typed:
        reasons += _scope_reason(rulebook.config.scope, text)  # zone() will not answer it
    return Utterance(
        text, inbound.payload, lang, inbound.now, candidates, not typed, signal, reasons
    )


def _scope_reason(scope: Scope, text: str) -> tuple[str, ...]:
    found = scope.other_subject(text)
    if found is None:
        return ()
    return (NOT_ANSWERED if scope.is_not_answered(found) else NOT_OURS,)


def _cues(state: ConversationState, text: str, lang: str) -> tuple[float, tuple[str, ...]]:
    """How frustrated a typed message sounds, a repeat of a recent one included."""
    felt = mood.score_message(text, lang)
    signal, reasons = mood.conversation_signal(felt), tuple(felt.reasons)
    if _is_repeat(state, text, lang):
        signal, reasons = combine(signal, mood.REPEAT_SIGNAL), reasons + ("repeated",)
    return signal, reasons


def _pressed_intent(rulebook: Rulebook, inbound: Inbound) -> Intent | None:
    if inbound.kind != "button" or not inbound.payload.startswith("/"):
        return None
    return rulebook.by_name.get(inbound.payload[1:])


def language(config: Config, state: ConversationState, text: str) -> str:
    default = state.language or config.default_language
    return detect_language(text, default=default) if text.strip() else default


def _is_repeat(state: ConversationState, text: str, lang: str) -> bool:
    key = normalize(text, lang)
    return bool(key) and key in state.recent_texts


def remember(state: ConversationState, text: str, lang: str) -> tuple[str, ...]:
    key = normalize(text, lang)
    return (state.recent_texts + (key,))[-RECENT_TEXTS:] if key else state.recent_texts


def combine(a: float, b: float) -> float:
    """Two independent signals as one, staying within 0..1."""
    return 1.0 - (1.0 - a) * (1.0 - b)


def is_negative_feedback(text: str, lang: str) -> bool:
    return mood.is_negative_feedback(text, lang)


def asks_for_human(rulebook: Rulebook, msg: Utterance) -> bool:
    human = rulebook.config.human_intent
    if msg.payload == "/" + human:
        return True
    if msg.pressed:
        return False  # a button for another intent is not a request for a person
    top = msg.candidates[0] if msg.candidates else None
    if top and top.intent == human and top.score >= rulebook.thresholds_for(human).answer:
        return True
    return mood.wants_human(msg.text, msg.language)


def zone(rulebook: Rulebook, msg: Utterance) -> str:
    """answer | clarify | fallback, from the top score, the thresholds and the runner-up."""
    if not msg.candidates:
        return "fallback"
    if msg.pressed:
        return "answer"
    if NOT_OURS in msg.reasons or NOT_ANSWERED in msg.reasons:
        return "fallback"
    top = msg.candidates[0]
    limits = rulebook.thresholds_for(top.intent)
    if top.score < limits.clarify:
        return "fallback"
    close = len(msg.candidates) > 1 and top.score - msg.candidates[1].score < limits.ambiguity
    return "answer" if top.score >= limits.answer and not close else "clarify"


def is_wait_question(text: str) -> bool:
    """Whether a customer waiting for a person asks how long ("how long?", "언제요?")."""
    return bool(_WAIT_QUESTION.search(text))
