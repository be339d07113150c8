"""Scores intents for a message from its nearest examples and the intents' centroids."""

from __future__ import annotations

from dataclasses import dataclass

from helpline.matcher.features import word_of
from helpline.matcher.index import Index, Vector

# How the raw similarity (0-1) is spread onto the 0-100 scale the thresholds use;
# chosen so that the default thresholds (answer 80, clarify 55) sit where answering
# and clarifying pay off on held-out data. Points are (raw, score), linear between.
SCALE = ((0.0, 0.0), (0.2, 30.0), (0.35, 55.0), (0.55, 80.0), (0.8, 95.0), (1.0, 100.0))
NEAREST_WEIGHT = 0.5  # the rest goes to the intent's centroid
EVIDENCE_WORDS = 4


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
    """Every intent that shares a feature with the query, best first."""
    nearest: dict[int, tuple[float, int]] = {}
    sims: dict[int, float] = {}
    for feature, q in query.items():
        for n, w in index.postings.get(feature, ()):
            sims[n] = sims.get(n, 0.0) + q * w
    examples = index.examples
    for n, sim in sims.items():
        intent = examples[n].intent
        best = nearest.get(intent)
        if best is None or sim > best[0]:
            nearest[intent] = (sim, n)
    centroid: dict[int, float] = {}
    for feature, q in query.items():
        for i, w in index.centroid_postings.get(feature, ()):
            centroid[i] = centroid.get(i, 0.0) + q * w
    out = [
        Scored(i, NEAREST_WEIGHT * sim + (1 - NEAREST_WEIGHT) * centroid.get(i, 0.0), n, sim,
               centroid.get(i, 0.0))
        for i, (sim, n) in nearest.items()
    ]
    out.sort(key=lambda s: (-s.raw, s.intent))
    return out


def explain(index: Index, query: Vector, scored: Scored) -> tuple[str, ...]:
    """The nearest example and the words that contributed most to it."""
    example = index.examples[scored.example]
    shared = sorted(
        ((query[f] * w, f) for f, w in example.vector.items() if f in query), reverse=True
    )
    words = " ".join(f"{word_of(f)}({c * 10:.1f})" for c, f in shared[:EVIDENCE_WORDS])
    return (
        f"example: {example.text!r}",
        f"words: {words}",
        f"nearest {scored.example_sim:.2f}, intent {scored.centroid_sim:.2f}",
    )
