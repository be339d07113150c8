"""What a cold build of the matcher's index computes from the rows, and the lookups made
from it that a cold build and a read-back index share."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from helpline.matcher.classifier import SoftmaxClassifier

Vector = dict[str, float]


@dataclass(frozen=True)
class IndexParts:
    """What a cold build computes from the rows, and all a restart needs to read back
    (index_cache.py): the rest of an Index follows from these in milliseconds, where these
    took seconds (15,000 examples: 2.4 s, 0.9 s of it training the classifier)."""

    intents: list[str]
    example_intents: list[int]  # index into intents, per example
    texts: list[str]
    words: list[list[str]]  # per example, its normalised words after synonyms (text_forms)
    plain: list[str]  # per example, Example.plain; and so the next two
    joined: list[str]
    sorted_plain: list[str]
    vectors: list[Vector]  # per example, unit length
    idf: dict[str, float]
    meanings: np.ndarray  # (examples, dimensions): the words' meaning, then each encoder's
    centres: list[np.ndarray | None]  # per encoder, the centre its vectors were moved by
    classifier: SoftmaxClassifier
    classifier_inputs: list[Vector] | None = None  # made again when asked, if not given


def intent_idf(counted: list[tuple[int, Counter[str]]], n_intents: int) -> dict[str, float]:
    """IDF over intents, not examples: a word is worth what it tells intents apart."""
    owners: dict[str, set[int]] = defaultdict(set)
    for intent, counts in counted:
        for feature in counts:
            owners[feature].add(intent)
    return {f: math.log(1.0 + n_intents / len(s)) for f, s in owners.items()}


def postings(vectors: list[Vector]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Inverted lists: feature -> (examples that have it, ascending; their weights)."""
    features = [f for vector in vectors for f in vector]
    names = list(dict.fromkeys(features))
    number = {f: k for k, f in enumerate(names)}
    feature_of = np.fromiter(map(number.__getitem__, features), np.intp, len(features))
    example_of = np.repeat(np.arange(len(vectors)), [len(v) for v in vectors])
    weight_of = np.fromiter((w for v in vectors for w in v.values()), np.float64, len(features))
    order = np.argsort(feature_of, kind="stable")  # stable: examples stay ascending
    ends = np.cumsum(np.bincount(feature_of, minlength=len(names)))[:-1]
    examples = np.split(example_of[order], ends)
    weights = np.split(weight_of[order], ends)
    return dict(zip(names, zip(examples, weights, strict=True), strict=True))
