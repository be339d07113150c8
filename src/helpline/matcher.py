"""Intent matching on rapidfuzz: message -> top intents with 0-100 scores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rapidfuzz import fuzz, process

from helpline.rules.model import Rulebook
from helpline.text import normalize


@dataclass(frozen=True)
class Candidate:
    intent: str
    score: float  # 0-100
    evidence: tuple[str, ...] = ()  # examples or words that produced the score


class Matcher(Protocol):
    def match(self, text: str, language: str | None = None, limit: int = 5) -> list[Candidate]:
        """Best intents first, at most one candidate per intent."""
        ...


class NearestExampleMatcher:
    """Baseline: the intent of the nearest example by token_sort_ratio."""

    def __init__(self, rulebook: Rulebook) -> None:
        self._choices: list[str] = []
        self._owners: list[str] = []
        for intent in rulebook.intents:
            for examples in intent.examples.values():
                for example in examples:
                    self._choices.append(normalize(example))
                    self._owners.append(intent.name)

    def match(self, text: str, language: str | None = None, limit: int = 5) -> list[Candidate]:
        query = normalize(text, language)
        if not query or not self._choices:
            return []
        hits = process.extract(
            query, self._choices, scorer=fuzz.token_sort_ratio, limit=limit * 8
        )
        best: dict[str, Candidate] = {}
        for choice, score, index in hits:
            owner = self._owners[index]
            if owner not in best:
                best[owner] = Candidate(owner, float(score), (choice,))
        return sorted(best.values(), key=lambda c: -c.score)[:limit]


def build_matcher(rulebook: Rulebook) -> Matcher:
    return NearestExampleMatcher(rulebook)
