"""Frustration: a per-message score and a per-conversation level that decays."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from helpline.mood import cues, human
from helpline.mood.lexicon import SubstringList, WordList, substring_list, word_list
from helpline.rules.model import FrustrationSettings

__all__ = [
    "FALLBACK_SIGNAL",
    "NEGATIVE_FEEDBACK_SIGNAL",
    "REPEAT_SIGNAL",
    "MessageMood",
    "conversation_signal",
    "is_negative_feedback",
    "score_message",
    "update_level",
    "wants_human",
]

# Conversation events that are not words but still say "this is not working".
FALLBACK_SIGNAL = 0.25
NEGATIVE_FEEDBACK_SIGNAL = 0.4
REPEAT_SIGNAL = 0.3

# The score is a logistic of summed cue weights (logit units). A message with no cue sits
# at sigmoid(-_BIAS) ~ 0.03; summed evidence 2.0 (one swear word, one angry phrase such as
# "장난하냐" or "fed up") scores 0.79, whose signal above CALM_BASELINE is the default
# escalate_at 0.7: one clearly upset message hands a fresh conversation over, and a message
# just under that adds little. Weights were set by hand and their scale checked against
# public sentiment data (English tweets, Korean comments) and support-style messages
# (bench/data/frustration_*.jsonl).
_BIAS = 3.575
_SLOPE = 2.45
# Lexicon words are many and weak; each one moves the score a little. These and the
# _PROBLEM_ weights are whole-list scales chosen on the public dev sets (AUROC on airline
# tweets / Korean comments: 0.8723 / 0.8193 with all four at 0.5, 0.8751 / 0.8209 as set).
_LEXICON_EN = 0.5
_LEXICON_KO = 0.6
_PROFANITY_CAP = 5.0  # two swear words say all that ten can
_ANGER_CAP = 5.0  # so do two angry phrases
_FEEDBACK = 0.5  # small: the dialogue adds NEGATIVE_FEEDBACK_SIGNAL for the same words
_HUMAN = 1.5
# Words that describe a problem (왜, 안 돼요, 또, not working, again, error) count like the
# lexicon up to a cap, shared with negative feedback ("still doesn't work" is both):
# however a problem is described, describing it is not anger. Measured on calm support
# messages, a polite-question discount was not needed once the cap applied everywhere, and
# on the public sets the cap cost less AUROC than it did without the per-language scales.
_PROBLEM_EN = 0.7
_PROBLEM_KO = 0.4
_PROBLEM_CAP = 1.4  # sigmoid(2.45 * 1.4 - 3.575) = 0.46: problem words alone add at most 0.23


@dataclass(frozen=True)
class MessageMood:
    score: float  # 0..1: how frustrated this one message reads
    # e.g. "profanity", "anger", "shouting", "lexicon", "problem", "asked_for_human"
    reasons: tuple[str, ...] = ()


def score_message(text: str, language: str | None = None) -> MessageMood:
    """How frustrated a single message reads, with the reasons.

    Both languages' lists are always consulted (customers mix them), so `language` is
    accepted for symmetry with the rest of the core and not needed.
    """
    return _score(text)


# Customers send the same few texts again and again ("agent", "hello", "환불"), and a turn
# asks about one text more than once (its score, a request for a person, feedback): the
# verdicts, pure functions of the text, are kept for the latest texts.
_TEXTS_KEPT = 2048


@lru_cache(maxsize=_TEXTS_KEPT)
def _score(text: str) -> MessageMood:
    found = cues.surface(text)
    lexicon, problem, anger = _lexicon(found)
    parts = {
        "profanity": min(_profanity(found), _PROFANITY_CAP),
        "anger": min(anger, _ANGER_CAP),
        "negative_feedback": _FEEDBACK if _feedback(found) else 0.0,
        "asked_for_human": _HUMAN if _asks_for_human(text) else 0.0,
        "lexicon": lexicon,
    }
    # "Still doesn't work" is both a problem and feedback: together they share one cap.
    parts["problem"] = max(0.0, min(problem, _PROBLEM_CAP - parts["negative_feedback"]))
    # Caps, !!! and ㅠㅠ intensify whatever the message says: "THANK YOU!!!" is joy, and a
    # shouted complaint is anger. So they count only on top of some negative evidence.
    negative = (
        parts["profanity"] + parts["anger"] + parts["negative_feedback"] + parts["problem"]
    ) + max(lexicon, 0.0)
    parts["shouting"] = cues.shouting(found.raw) if negative > 0 else 0.0
    raw = sum(parts.values())
    # The lexicon always says something; name it only when it said a fair amount.
    reasons = tuple(n for n, w in parts.items() if w >= _NAMED.get(n, 1e-9))
    return MessageMood(_sigmoid(_SLOPE * raw - _BIAS), reasons)


_NAMED = {"lexicon": 1.0, "problem": 0.5}  # the least weight for which a cue is a reason


def wants_human(text: str, language: str | None = None) -> bool:
    """An explicit request for a person, in any wording we know."""
    return _asks_for_human(text)


@lru_cache(maxsize=_TEXTS_KEPT)
def _asks_for_human(text: str) -> bool:
    return human.wants_human(cues.surface(text))


def is_negative_feedback(text: str, language: str | None = None) -> bool:
    """The customer says the last answer did not help ("that didn't help", "그게 아니라")."""
    return _feedback_in(text)


@lru_cache(maxsize=_TEXTS_KEPT)
def _feedback_in(text: str) -> bool:
    return _feedback(cues.surface(text))


# Support messages describe problems ("로그인이 안 됨", "payment won't go through"), and a
# problem described calmly reads mildly negative. Only what a message says beyond that
# calm baseline adds to the conversation's level; otherwise a patient customer with a few
# problems would build up to a handoff "for frustration" without ever being upset.
CALM_BASELINE = 0.3


def conversation_signal(felt: MessageMood) -> float:
    """What one message adds to the conversation's level: its score above the calm baseline."""
    return max(0.0, felt.score - CALM_BASELINE) / (1.0 - CALM_BASELINE)


def update_level(
    level: float, elapsed_s: float, signal: float, settings: FrustrationSettings
) -> float:
    """Decay the conversation's level over elapsed time, then add a new signal (capped at 1)."""
    decayed = level * math.pow(0.5, max(elapsed_s, 0.0) / settings.half_life_s)
    return min(1.0, decayed + signal * (1.0 - decayed))


def _profanity(found: cues.Surface) -> float:
    total = 0.0
    if found.words or found.odd_tokens:
        en = word_list("en_profanity.txt")
        total += en.scan([*found.words, *cues.unmasked_words(found, en)])[0]
    if found.hangul:
        total += substring_list("ko_profanity.txt").scan(found.hangul)[0]
    return total


def _feedback(found: cues.Surface) -> bool:
    return bool(found.words and word_list("en_feedback.txt").scan(found.words)[1]) or bool(
        found.hangul and substring_list("ko_feedback.txt").scan(found.hangul)[1]
    )


def _lexicon(found: cues.Surface) -> tuple[float, float, float]:
    """Weighted sums of the general lexicon, the problem words and the angry phrases."""
    lexicon = problem = anger = 0.0
    if found.words:
        words, trouble, angry = _english_lists().tally(found.words)
        lexicon, problem, anger = _LEXICON_EN * words, _PROBLEM_EN * trouble, angry
    if found.hangul:
        words, trouble, angry = _korean_lists().tally(found.hangul)
        lexicon += _LEXICON_KO * words
        problem += _PROBLEM_KO * trouble
        anger += angry
    return lexicon, problem, anger


def _english_lists() -> WordList:  # read on first use, then cached by word_list
    return word_list("en_words.txt", "en_problem.txt", "en_anger.txt")


def _korean_lists() -> SubstringList:  # read on first use, then cached by substring_list
    return substring_list("ko_words.txt", "ko_problem.txt", "ko_anger.txt")


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
