"""Intent matching: message -> top intents with 0-100 scores and the evidence for them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from helpline.matcher.encoder import CachedEncoder, SentenceEncoder
from helpline.matcher.framing import is_frame_only, question_core, sentences
from helpline.matcher.index import Index, Query
from helpline.matcher.index_cache import IndexCache
from helpline.matcher.korean_encoder import KoreanEncoder
from helpline.matcher.scorer import Scored, score_intents
from helpline.matcher.scorer import explain as explain_score
from helpline.rules.model import Rulebook
from helpline.sentence_model import KOREAN_NAME as KOREAN_ENCODER
from helpline.sentence_model import NAME as ENCODER
from helpline.text import SynonymMap

__all__ = ["Candidate", "IndexCache", "Matcher", "SoftIdfMatcher", "build_matcher"]

# Longer messages are matched on their start: the cost of matching grows with length,
# and a wall of text is rarely one FAQ question.
MAX_MESSAGE_CHARS = 1000
# Answers to texts seen lately, kept by the matcher that computed them (a reload builds a
# new matcher, so a cached answer never outlives its rules). Customers repeat themselves
# and each other ("hi", "talk to an agent", a quick reply typed out); matching such a
# text again cost 29% of a bot turn's CPU (py-spy, bench/open_loop.py at 300 msg/s).
# 2,048 texts of at most MAX_MESSAGE_CHARS hold a few MB at worst.
RECENT_TEXTS = 2048


@dataclass(frozen=True)
class Candidate:
    intent: str
    score: float  # 0-100
    evidence: tuple[str, ...] = ()  # examples or words that produced the score


class Matcher(Protocol):
    def match(
        self, text: str, language: str | None = None, limit: int = 5, *, explain: bool = False
    ) -> list[Candidate]:
        """Best intents first, at most one candidate per intent; with `explain`, each
        candidate carries the evidence for its score."""
        ...

    def answers_at_once(self, text: str) -> bool:
        """Whether match(text) is quick (no sentence to encode): a node matches anything
        else off its event loop (service/matching.py)."""
        ...


class SoftIdfMatcher:
    """IDF-weighted fuzzy word, word-pair and Korean n-gram similarity to every example."""

    def __init__(
        self,
        rows: list[tuple[str, str]],
        synonyms: SynonymMap | None = None,
        encoders: Sequence[CachedEncoder] = (),
        recent: int = RECENT_TEXTS,  # texts whose answers are kept
        cache: IndexCache | None = None,  # where the index is read back from and kept
    ) -> None:
        self.index = (
            cache.index(rows, synonyms, encoders) if cache else Index(rows, synonyms, encoders)
        )
        self._keep = recent
        self._recent: OrderedDict[tuple[str, int], tuple[Candidate, ...]] = OrderedDict()
        self._recent_lock = threading.Lock()  # a node matches on its loop and its matching thread

    def answers_at_once(self, text: str, limit: int = 5) -> bool:
        """No encoder, or this text's answer kept from before (a quick reply's button sends
        the same text each time it is pressed)."""
        return not self.index.encoders or (text[:MAX_MESSAGE_CHARS], limit) in self._recent

    def match(
        self, text: str, language: str | None = None, limit: int = 5, *, explain: bool = False
    ) -> list[Candidate]:
        text = text[:MAX_MESSAGE_CHARS]
        if explain:  # the evidence is for a person reading it: rare, and never cached
            return self._matched(text, limit, explain=True)
        key = (text, limit)  # the language is not an input of the matching below
        with self._recent_lock:
            found = self._recent.get(key)
            if found is not None:
                self._recent.move_to_end(key)
                return list(found)
        candidates = self._matched(text, limit, explain=False)
        with self._recent_lock:
            self._recent[key] = tuple(candidates)
            if len(self._recent) > self._keep:
                self._recent.popitem(last=False)
        return candidates

    def _matched(self, text: str, limit: int, explain: bool) -> list[Candidate]:
        query, scored = self._scored(text, limit)
        # "I moved last week. How do I sign in on the new TV?": the question may be one of
        # the sentences, and the others only lower its score. The best-scored of the whole
        # and each sentence is taken (real_en answered right 75.4 -> 78.5 words alone, no
        # more answered wrong).
        for part in sentences(text):
            if is_frame_only(part):  # "... won't start. What do I do?"
                continue
            found = self._scored(part, limit)
            if found[1] and (not scored or found[1][0].score > scored[0].score):
                query, scored = found
        # The evidence costs about as much as the scoring itself, and only a person reading
        # an explanation needs it, so the bot's hot path leaves it out.
        return [
            Candidate(
                self.index.intents[s.intent],
                round(s.score, 2),
                explain_score(self.index, query, s) if explain else (),
            )
            for s in scored
        ]

    def _scored(self, text: str, limit: int) -> tuple[Query, list[Scored]]:
        query = self.index.query(question_core(text))
        return query, score_intents(self.index, query, limit=limit) if query.vector else []


def rulebook_rows(rulebook: Rulebook) -> list[tuple[str, str]]:
    """(intent, example) pairs of every language, in the rulebook's order."""
    return [
        (intent.name, example)
        for intent in rulebook.intents
        for examples in intent.examples.values()
        for example in examples
    ]


def build_matcher(rulebook: Rulebook, cache: IndexCache | None = None) -> SoftIdfMatcher:
    """The rulebook's matcher, with the sentence encoders its config asks for; with a
    cache, its index is read back when an earlier build of the same rules kept it."""
    encoders: list[CachedEncoder] = []
    if rulebook.config.encoder == ENCODER:
        encoders.append(SentenceEncoder.shipped())
    if rulebook.config.korean_encoder == KOREAN_ENCODER:
        encoders.append(KoreanEncoder.shipped())
    synonyms = SynonymMap(rulebook.config.synonyms)
    return SoftIdfMatcher(rulebook_rows(rulebook), synonyms, encoders, cache=cache)
