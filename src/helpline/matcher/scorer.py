"""Scores intents for a message from its nearest examples and the intents' centroids."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from operator import itemgetter

from helpline.matcher.features import WORD, word_of
from helpline.matcher.index import Index, Vector

# How the raw similarity (0-1) is spread onto the 0-100 scale the thresholds use;
# chosen so that the default thresholds (answer 80, clarify 55) sit where answering
# and clarifying pay off on held-out data. Points are (raw, score), linear between.
SCALE = ((0.0, 0.0), (0.2, 30.0), (0.35, 55.0), (0.55, 80.0), (0.8, 95.0), (1.0, 100.0))
NEAREST_WEIGHT = 0.5  # the rest goes to the intent's centroid
EVIDENCE_WORDS = 4
SCORED_INTENTS = 30  # intents with the nearest examples, scored against their centroid
PREFILTER_EXAMPLES = 100  # examples scored in full per message
COMMON_LIST = 100  # a feature in more examples than this does not choose candidates


@dataclass(frozen=True)
class Scored:
    intent: int
    raw: float
    example: int  # index of the nearest example of this intent
    example_sim: float
    centroid_sim: float


def to_scale(raw: float) -> float:
    """Piecewise-linear map of a 0-1 similarity to the 0-100 threshold scale."""
    for (x0, y0), (x1, y1) in zip(SCALE, SCALE[1:], strict=False):
        if raw <= x1:
            return y0 + (y1 - y0) * (max(raw, x0) - x0) / (x1 - x0)
    return 100.0


def score_intents(index: Index, query: Vector) -> list[Scored]:
    """Intents whose examples survive the prefilter, best first."""
    sims = _prefiltered(query, index.postings, index.examples_vectors, PREFILTER_EXAMPLES)
    nearest: dict[int, tuple[float, int]] = {}
    examples = index.examples
    for n, sim in sims.items():
        intent = examples[n].intent
        best = nearest.get(intent)
        if best is None or sim > best[0]:
            nearest[intent] = (sim, n)
    centroids = index.centroids
    out = []
    best = heapq.nlargest(SCORED_INTENTS, nearest.items(), key=lambda item: item[1][0])
    for i, (sim, n) in best:
        c_sim = max(
            sum(q * centroid.get(f, 0.0) for f, q in query.items()) for centroid in centroids[i]
        )
        raw = NEAREST_WEIGHT * sim + (1 - NEAREST_WEIGHT) * c_sim
        out.append(Scored(i, raw, n, sim, c_sim))
    out.sort(key=lambda s: (-s.raw, s.intent))
    return out


def _prefiltered(
    query: Vector,
    postings: dict[str, list[tuple[int, float]]],
    vectors: list[Vector],
    keep: int,
) -> dict[int, float]:
    """Exact similarities for the `keep` rows that the query's rarer features point at.

    Walking the inverted lists of common words would touch most rows; their weight is
    small, so rows are chosen by the rare features and then scored on all of them.
    """
    rare: list[tuple[str, float]] = []
    common: list[tuple[str, float]] = []
    for feature, q in query.items():
        found = postings.get(feature)
        if found is not None:
            (rare if len(found) <= COMMON_LIST else common).append((feature, q))
    if not rare:
        rare, common = common, []
    sims: dict[int, float] = {}
    for feature, q in rare:
        for n, w in postings[feature]:
            sims[n] = sims.get(n, 0.0) + q * w
    if not common:
        return sims
    if len(sims) > keep:
        sims = dict(heapq.nlargest(keep, sims.items(), key=itemgetter(1)))
    for n in sims:
        vector = vectors[n]
        sims[n] += sum(q * vector.get(f, 0.0) for f, q in common)
    return sims


def explain(index: Index, query: Vector, scored: Scored) -> tuple[str, ...]:
    """The nearest example and the words that contributed most to it."""
    example = index.examples[scored.example]
    shared = sorted(
        ((query[f] * w, f) for f, w in example.vector.items() if f in query), reverse=True
    )
    # Whole words explain best; n-grams only when too few words are shared.
    whole = [item for item in shared if item[1].startswith(WORD)]
    shared = whole if len(whole) >= 2 else whole + [i for i in shared if i not in whole]
    words = " ".join(f"{word_of(f)}({c * 10:.1f})" for c, f in shared[:EVIDENCE_WORDS])
    return (
        f"example: {example.text!r}",
        f"words: {words}",
        f"nearest {scored.example_sim:.2f}, intent {scored.centroid_sim:.2f}",
    )
