"""Per-intent word weights learned from the examples: smoothed log-odds of each feature."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable

import numpy as np

Vector = dict[str, float]

SMOOTHING = 0.1  # added to every feature count (Lidstone), so unseen words cost, not veto
# An intent's weights are trusted in proportion to n / (n + TRUST_EXAMPLES) for n - 1 of
# its examples beyond the first: with one example they only repeat the similarity, and with
# a handful per intent (paraphrase groups built to be alike) they chase chance words.
TRUST_EXAMPLES = 20


class IntentWeights:
    """How much more likely each feature is in an intent's examples than in all of them.

    A closed-form naive-Bayes view of the examples: deterministic, built in one pass, and
    readable as "these words speak for this intent" (the weight) in explanations.
    """

    def __init__(self, examples: Iterable[tuple[int, Vector]], n_intents: int) -> None:
        counts: dict[str, Counter[int]] = defaultdict(Counter)
        sizes = [0] * n_intents
        per_intent = [0] * n_intents
        for intent, vector in examples:
            per_intent[intent] += 1
            sizes[intent] += len(vector)
            for feature in vector:
                counts[feature][intent] += 1
        self._counted(dict(counts), sizes, per_intent)

    def _counted(
        self, counts: dict[str, dict[int, int]], sizes: list[int], per_intent: list[int]
    ) -> None:
        self._counts = counts  # feature -> intent -> examples of the intent that have it
        self._sizes = sizes  # per intent, the features of its examples
        self.examples_per_intent = per_intent
        self._vocabulary = len(self._counts) or 1
        total = sum(self._sizes) + SMOOTHING * self._vocabulary
        self._background = {
            f: math.log((sum(c.values()) + SMOOTHING) / total) for f, c in self._counts.items()
        }
        # log(count + smoothing) by count: the scorer's inner loop does no logarithms.
        self._log_count = [math.log(n + SMOOTHING) for n in range(max(self._sizes, default=0) + 2)]

    @classmethod
    def counted(
        cls,
        lists: tuple[list[str], list[int], np.ndarray],
        intent_of_example: np.ndarray,
        n_intents: int,
    ) -> IntentWeights:
        """The weights of the examples whose inverted lists these are (index_parts.Postings:
        feature names, where each one's examples start, the examples), counted by numpy: a
        pass over every (example, feature) pair in Python took a 15,000-example restart
        0.08 s of its 0.25 in the index. The same counts as the examples give."""
        names, bounds, examples = lists
        intents = intent_of_example[examples]
        feature = np.repeat(np.arange(len(names)), np.diff(bounds))
        pairs, found = np.unique(feature * n_intents + intents, return_counts=True)
        starts = np.searchsorted(pairs // n_intents, np.arange(len(names) + 1)).tolist()
        of_intent, counted = (pairs % n_intents).tolist(), found.tolist()
        weights = cls.__new__(cls)
        counts = {
            name: dict(zip(of_intent[a:b], counted[a:b], strict=True))
            for name, a, b in zip(names, starts, starts[1:], strict=False)
        }
        sizes = np.bincount(intents, minlength=n_intents).tolist()
        per_intent = np.bincount(intent_of_example, minlength=n_intents).tolist()
        weights._counted(counts, sizes, per_intent)
        return weights

    def log_odds(self, vector: Vector, intent: int, without: Vector | None = None) -> float:
        """Sum over the message's features of log P(feature | intent) / P(feature);
        ``without``: one of the intent's examples to leave out (leave-one-out checks)."""
        if without:
            return sum(w for _, w in self._contributions(vector, intent, without))
        counts, background, log_count = self._counts, self._background, self._log_count
        denominator = self._denominator(intent, None)
        total = 0.0
        for feature in vector:
            found = counts.get(feature)
            if found is not None:
                total += log_count[found.get(intent, 0)] - denominator - background[feature]
        return total

    def log_odds_each(self, vector: Vector, intents: Iterable[int]) -> list[float]:
        """log_odds(vector, i) for each intent, the message's features looked up once."""
        counts, background, log_count = self._counts, self._background, self._log_count
        known = [(found, background[f]) for f in vector if (found := counts.get(f)) is not None]
        out = []
        for intent in intents:
            denominator = self._denominator(intent, None)
            total = 0.0
            for found, weight in known:
                total += log_count[found.get(intent, 0)] - denominator - weight
            out.append(total)
        return out

    def _denominator(self, intent: int, without: Vector | None) -> float:
        size = self._sizes[intent] - (len(without) if without else 0)
        return math.log(size + SMOOTHING * self._vocabulary)

    def _contributions(
        self, vector: Vector, intent: int, without: Vector | None
    ) -> list[tuple[str, float]]:
        denominator = self._denominator(intent, without)
        out = []
        for feature in vector:
            counts = self._counts.get(feature)
            if counts is None:
                continue
            n = counts.get(intent, 0) - (1 if without and feature in without else 0)
            out.append((feature, self._log_count[n] - denominator - self._background[feature]))
        return out

    def trust(self, intent: int, left_out: bool = False) -> float:
        """0-1: how far this intent's weights can be relied on, from its example count."""
        extra = self.examples_per_intent[intent] - 1 - left_out
        return extra / (extra + TRUST_EXAMPLES) if extra > 0 else 0.0

    def strongest(self, vector: Vector, intent: int, limit: int) -> list[tuple[str, float]]:
        """The message's features that speak most for the intent, with their log-odds."""
        denominator = self._denominator(intent, None)
        found = []
        for feature in vector:
            counts = self._counts.get(feature)
            n = counts.get(intent) if counts is not None else None
            if n:
                weight = self._log_count[n] - denominator - self._background[feature]
                if weight > 0:
                    found.append((feature, weight))
        return sorted(found, key=lambda item: (-item[1], item[0]))[:limit]
