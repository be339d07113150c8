"""Scores intents for a message: IDF cosine with examples and intent profiles, then
a rapidfuzz whole-string comparison with the closest examples of the best intents."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from operator import itemgetter

import numpy as np
from rapidfuzz import fuzz

from helpline.matcher.classifier import MEANING, SoftmaxClassifier
from helpline.matcher.features import SPELLING, WORD, word_of
from helpline.matcher.index import Index, Query, Vector, profile_without, sorted_words
from helpline.matcher.index_parts import Postings
from helpline.matcher.meaning import DIMENSIONS

# How the raw similarity (0-1) is spread onto the 0-100 scale the thresholds use (before
# the classifier's share is blended in). Points are (raw, score), linear between.
SCALE = ((0.0, 0.0), (0.2, 25.0), (0.4, 55.0), (0.55, 80.0), (0.8, 95.0), (1.0, 100.0))
NEAREST_WEIGHT = 0.5  # the rest goes to the intent's centroid
EVIDENCE_WORDS = 4
STRING_WEIGHT_EN = 0.45  # share of the whole-string similarity in the final score
# Korean endings carry meaning (해줘 / 하지마) that words lose. 0.7 was chosen before the
# classifier took over telling close intents apart by their words; with it, 0.75-0.85 all
# did better on ParaKQC val (0.8: 88.6 -> 89.1 in-scope at 88% out-of-scope recall with 5
# paraphrases a group, 66.2 -> 68.1 at 90% with one), 0.9 worse again.
STRING_WEIGHT_KO = 0.8
SCORED_INTENTS = 15  # intents with the nearest examples, scored against their profile
RERANKED_INTENTS = 10  # of those, the best, compared as whole strings
STRING_EXAMPLES = 5  # examples per intent compared as whole strings
PREFILTER_EXAMPLES = 60  # examples scored in full per message
PREFILTER_BUDGET = 700  # inverted-list entries walked per message to choose them
# The learned word weights (weights.py) take from an intent they can be trusted on in
# proportion to how far it falls short of certain among the scored intents, which mostly
# reorders close intents, and move it a little with its mean log-odds per feature around
# a typical in-scope value, which lowers intents whose examples never use the message's
# words (out-of-scope messages). Both are near 0 for a clear match, so the 0-100 scale
# and its thresholds keep their meaning.
WEIGHTS_SHARE = 0.3
LOG_ODDS_SHARE = 0.03
TYPICAL_LOG_ODDS = 1.0  # mean log-odds per feature of a right match, roughly
# The classifier's probability (classifier.py, on the 0-100 scale) takes this share of the
# final score from an intent it can be trusted on: extra / (extra + CLASSIFIER_TRUST) for
# `extra` examples beyond the first. With one example per intent it knows no more than the
# similarity does; with many it tells close intents apart better than similarity can.
CLASSIFIER_SHARE = 0.6
CLASSIFIER_TRUST = 5


SPELLING_NAME = "spelling"  # how the spelling pieces are named among the deciding features


@dataclass(frozen=True)
class Scored:
    intent: int
    raw: float  # 0-1
    example: int  # index of the example most like the message
    example_sim: float  # IDF cosine with the nearest example
    centroid_sim: float  # IDF cosine with the intent's profile
    string_sim: float  # rapidfuzz token_sort_ratio with the closest example, 0-1
    learned: float = 0.0  # what the learned word weights added to raw
    score: float = 0.0  # 0-100: raw on the threshold scale, blended with `classified`
    classified: float = 0.0  # the classifier's probability of the intent, 0-1


def to_scale(raw: float) -> float:
    """Piecewise-linear map of a 0-1 similarity to the 0-100 threshold scale."""
    for (x0, y0), (x1, y1) in zip(SCALE, SCALE[1:], strict=False):
        if raw <= x1:
            return y0 + (y1 - y0) * (max(raw, x0) - x0) / (x1 - x0)
    return 100.0


def score_intents(
    index: Index, query: Query, leave_out: int | None = None, limit: int | None = None,
    classifier: SoftmaxClassifier | None = None,
) -> list[Scored]:  # fmt: skip
    """Intents whose examples survive the prefilter, best first (the best `limit` of them);
    `leave_out` scores as if that example were not in the rules (leave-one-out checks),
    and then `classifier` should be one trained without it (the index's saw it)."""
    vector = query.vector
    sims = _prefiltered(vector, index, PREFILTER_EXAMPLES)
    if leave_out is not None:
        sims.pop(leave_out, None)
    by_intent: defaultdict[int, list[tuple[float, int]]] = defaultdict(list)
    intent_of = index.intent_of
    for n, sim in sims.items():
        by_intent[intent_of[n]].append((sim, n))
    # (sim, n) pairs are unique, so the best hit, and the order below, have no ties
    best = {i: max(hits) for i, hits in by_intent.items()}
    # sorted(...)[:k] is what heapq.nlargest promises, at a fraction of its cost for the
    # few dozen items here (nlargest's loop is Python, sorted's is C)
    ranked = sorted(best.items(), key=itemgetter(1), reverse=True)[:SCORED_INTENTS]
    nearest = [(i, by_intent[i]) for i, _ in ranked]
    blended = sorted(
        ((_profile_score(index, vector, i, best[i], leave_out), i, hits) for i, hits in nearest),
        key=lambda item: (-item[0][0], item[1]),
    )[:RERANKED_INTENTS]
    probabilities = (classifier or index.classifier).probabilities(
        query.features or vector, query.meaning
    )
    # The classifier's choice is always scored, even when none of its examples came
    # through the prefilter: words no example shares with the message (the meaning, the
    # spelling) may be what chose it. On clinc150 val this scored the right intent for
    # 20 of the 206 messages answered wrong; top-1 93.0 -> 93.4.
    chosen = int(probabilities.argmax())
    if all(i != chosen for _, i, _ in blended):
        hits = _hits_in(index, vector, chosen, leave_out)
        if hits:
            profile = _profile_score(index, vector, chosen, max(hits), leave_out)
            blended.append((profile, chosen, hits))
    weight = STRING_WEIGHT_KO if query.korean else STRING_WEIGHT_EN
    learned = _learned(index, vector, [i for _, i, _ in blended], leave_out)
    per_intent = index.weights.examples_per_intent
    rows = []
    for (mix, sim, c_sim), i, hits in blended:
        string_sim, n = _closest_string(index, query, hits)
        raw = (1 - weight) * mix + weight * string_sim + learned[i]
        classified = float(probabilities[i])
        extra = per_intent[i] - 1
        share = CLASSIFIER_SHARE * extra / (extra + CLASSIFIER_TRUST)
        score = (1 - share) * to_scale(raw) + share * 100.0 * classified
        rows.append((score, i, raw, n, sim, c_sim, string_sim, learned[i], classified))
    rows.sort(key=lambda row: (-row[0], row[1]))
    # Scored objects only for the rows asked for: a frozen dataclass is slow to build
    return [
        Scored(i, raw, n, sim, c_sim, string_sim, extra, score, classified)
        for score, i, raw, n, sim, c_sim, string_sim, extra, classified in rows[:limit]
    ]


def _learned(
    index: Index, vector: Vector, intents: list[int], leave_out: int | None
) -> dict[int, float]:
    """What the learned word weights add to each intent's similarity."""
    weights = index.weights
    left = index.examples[leave_out] if leave_out is not None else None
    if left is None:
        odds = dict(zip(intents, weights.log_odds_each(vector, intents), strict=True))
    else:
        odds = {}
        for i in intents:
            without = left.vector if left.intent == i else None
            odds[i] = weights.log_odds(vector, i, without)
    if not odds:
        return {}
    top = max(odds.values())
    exps = {i: math.exp(v - top) for i, v in odds.items()}
    total = sum(exps.values())
    size = len(vector)
    return {
        i: weights.trust(i, left is not None and left.intent == i)
        * (
            WEIGHTS_SHARE * (exps[i] / total - 1.0)
            + LOG_ODDS_SHARE * (odds[i] / size - TYPICAL_LOG_ODDS)
        )
        for i in intents
    }


def _profile_score(
    index: Index,
    vector: Vector,
    intent: int,
    nearest: tuple[float, int],
    leave_out: int | None,
) -> tuple[float, float, float]:
    """Blend of the nearest example's and the intent profile's IDF cosine."""
    sim = nearest[0]
    profiles = index.centroids[intent]
    if leave_out is not None and index.examples[leave_out].intent == intent:
        profiles = profile_without(index, leave_out)
    c_sim = 0.0
    for k, centroid in enumerate(profiles):  # max(..., default=0.0) without a generator
        dot = _dot(vector, centroid)
        if k == 0 or dot > c_sim:
            c_sim = dot
    return NEAREST_WEIGHT * sim + (1 - NEAREST_WEIGHT) * c_sim, sim, c_sim


def _dot(vector: Vector, other: Vector) -> float:
    weight_of = other.get
    total = 0.0
    for f, q in vector.items():
        total += q * weight_of(f, 0.0)
    return total


def _hits_in(
    index: Index, vector: Vector, intent: int, leave_out: int | None
) -> list[tuple[float, int]]:
    """(similarity, example) for the intent's examples that share a feature with the
    message."""
    postings, intent_of = index.postings, index.intent_of_example
    sims: dict[int, float] = {}
    for feature, q in vector.items():
        found = postings.get(feature)
        if found is None:
            continue
        examples, weights = found
        mine = intent_of[examples] == intent
        for n, w in zip(examples[mine].tolist(), weights[mine].tolist(), strict=True):
            sims[n] = sims.get(n, 0.0) + q * w
    if leave_out is not None:
        sims.pop(leave_out, None)
    return [(sim, n) for n, sim in sims.items()]


def _closest_string(index: Index, query: Query, hits: list[tuple[float, int]]) -> tuple[float, int]:
    """Whole-string similarity with the intent's nearest few examples (the best of them):
    word forms in any order, or the spelling without spaces (결제가안돼요)."""
    # token_sort_ratio is ratio on the words sorted; both sides are sorted once (query,
    # index), which is most of that call's cost here.
    examples_sorted, examples_joined, ratio = index.sorted_plain, index.joined, fuzz.ratio
    sorted_plain, joined = query.sorted_plain or sorted_words(query.plain.split()), query.joined
    best, best_n = -1.0, hits[0][1]
    for _, n in sorted(hits, reverse=True)[:STRING_EXAMPLES]:  # heapq.nlargest, cheaper
        by_words = ratio(sorted_plain, examples_sorted[n])
        by_spelling = ratio(joined, examples_joined[n])
        similarity = (by_words if by_words >= by_spelling else by_spelling) / 100.0
        if similarity > best:
            best, best_n = similarity, n
    return best, best_n


def _prefiltered(query: Vector, index: Index, keep: int) -> dict[int, float]:
    """Exact similarities for the `keep` examples that the query's weightiest features
    point at.

    Walking the inverted lists of common words would touch most examples for little
    weight, so the lists are walked heaviest feature first within a budget of entries;
    the best `keep` examples are then completed with the features left out. The lists are
    arrays, added into one total per example by numpy: a few calls a feature instead of
    a Python step an entry, and the same sums, added in the same order.
    """
    postings = index.postings
    budget = PREFILTER_BUDGET
    totals = np.zeros(len(index.intent_of))
    walked = False
    left_out: list[tuple[str, float]] = []
    for feature, q in sorted(query.items(), key=itemgetter(1), reverse=True):
        found = postings.get(feature)
        if found is None:
            continue
        examples, weights = found
        if walked and len(examples) > budget:  # the first list is walked whatever its length
            left_out.append((feature, q))
            continue
        budget -= len(examples)
        totals[examples] += q * weights  # an example is in a list once: no lost updates
        walked = True
    touched = np.flatnonzero(totals)  # every weight is positive
    if left_out and len(touched) > keep:
        touched = touched[np.argpartition(totals[touched], -keep)[-keep:]]
    sums = totals[touched]
    if left_out:
        sums = sums + _left_out_sums(postings, left_out, touched)
    return dict(zip(touched.tolist(), sums.tolist(), strict=True))


def _left_out_sums(
    postings: Postings, left_out: list[tuple[str, float]], touched: np.ndarray
) -> np.ndarray:
    """What the features left out of the walk add to each touched example's total: per
    feature, its weight in the example (found in its list, which is ascending) or 0.0,
    added in the features' order from 0.0 (the sums a pass over the examples' vectors in
    Python made, to the last bit, without a dict per example)."""
    extra = np.zeros(len(touched))
    for feature, q in left_out:
        found = postings.get(feature)
        assert found is not None, "only features with a list are left out"
        examples, weights = found
        at = np.minimum(np.searchsorted(examples, touched), len(examples) - 1)
        extra += q * np.where(examples[at] == touched, weights[at], 0.0)
    return extra


def _readable(feature: str) -> str:
    return feature if feature in (MEANING, SPELLING_NAME) else word_of(feature)


def _spelling_as_one(found: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The classifier's spelling pieces (dozens of 3-letter bits) summed into one item,
    like the meaning: a reader wants to know that the spelling counted, not which bits."""
    spelled = sum(w for f, w in found if f.startswith(SPELLING))
    kept = [(f, w) for f, w in found if not f.startswith(SPELLING)]
    if spelled > 0:
        kept.append((SPELLING_NAME, spelled))
    return sorted(kept, key=lambda item: (-item[1], item[0]))


def explain(index: Index, query: Query, scored: Scored) -> tuple[str, ...]:
    """The closest example and the words that contributed most to it."""
    example = index.examples[scored.example]
    vector = query.vector
    shared = sorted(
        ((vector[f] * w, f) for f, w in example.vector.items() if f in vector), reverse=True
    )
    # Whole words explain best; n-grams only when too few words are shared.
    whole = [item for item in shared if item[1].startswith(WORD)]
    shared = whole if len(whole) >= 2 else whole + [i for i in shared if i not in whole]
    words = " ".join(f"{word_of(f)}({c * 10:.1f})" for c, f in shared[:EVIDENCE_WORDS])
    learned = index.weights.strongest(vector, scored.intent, EVIDENCE_WORDS)
    classifier = index.classifier
    features = query.features or vector
    deciding = _spelling_as_one(
        classifier.strongest(features, scored.intent, len(features) + 1, query.meaning)
    )[:EVIDENCE_WORDS]
    # the words' part of the meaning comes first (the sentence's, if any, after it)
    words_part = classifier.meaning_weights[:DIMENSIONS, scored.intent]
    meaning = index.word_vectors.parts(*index.weighted_words(query.words), words_part)
    # Korean words have no vectors, so a Korean message has no meaning line
    meant = " ".join(f"{w}({v:+.1f})" for w, v in meaning[:EVIDENCE_WORDS])
    return (
        f"example: {example.text!r}",
        f"words: {words}",
        "intent words: " + " ".join(f"{word_of(f)}({w:+.1f})" for f, w in learned),
        "deciding words: " + " ".join(f"{_readable(f)}({w:+.1f})" for f, w in deciding),
        *([f"meaning from: {meant}"] if meant else []),
        f"nearest {scored.example_sim:.2f}, intent {scored.centroid_sim:.2f},"
        f" string {scored.string_sim:.2f}, learned {scored.learned:+.2f},"
        f" similarity {to_scale(scored.raw):.1f}, classifier {scored.classified:.2f}",
    )
