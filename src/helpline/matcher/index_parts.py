"""What a cold build of the matcher's index computes from the rows, and the lookups made
from it that a cold build and a read-back index share."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

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
    vectors: Sequence[Vector]  # per example, unit length (read back: StoredVectors)
    idf: dict[str, float]
    meanings: np.ndarray  # (examples, dimensions): the words' meaning, then each encoder's
    centres: list[np.ndarray | None]  # per encoder, the centre its vectors were moved by
    classifier: SoftmaxClassifier
    classifier_inputs: list[Vector] | None = None  # made again when asked, if not given
    postings: Postings | None = None  # made from the vectors, if not given


def intent_idf(counted: list[tuple[int, Counter[str]]], n_intents: int) -> dict[str, float]:
    """IDF over intents, not examples: a word is worth what it tells intents apart."""
    owners: dict[str, set[int]] = defaultdict(set)
    for intent, counts in counted:
        for feature in counts:
            owners[feature].add(intent)
    return {f: math.log(1.0 + n_intents / len(s)) for f, s in owners.items()}


class Postings:
    """Inverted lists: feature -> (examples that have it, ascending; their weights), each a
    slice of two arrays sorted by feature. Sliced when asked: 40,000 features' lists made
    as arrays of their own cost a 50,000-example restart 0.3 s, and a message asks for ten."""

    def __init__(
        self, names: list[str], features: np.ndarray, examples: np.ndarray, weights: np.ndarray
    ) -> None:
        """features, examples, weights: one entry per (example, feature) pair, in the
        examples' order; features numbers names."""
        order = np.argsort(features, kind="stable")  # stable: examples stay ascending
        self.pairs = (features, examples, weights)  # in the examples' order (Index's profiles)
        self._names = names
        self._number = dict(zip(names, range(len(names)), strict=True))
        self._bounds = [0, *np.cumsum(np.bincount(features, minlength=len(names))).tolist()]
        self._examples, self._weights = examples[order], weights[order]

    @property
    def names(self) -> list[str]:
        return self._names

    def lists(self) -> tuple[list[str], list[int], np.ndarray]:
        """The features, where each one's examples start (and the last one's end), and
        the examples, sorted by feature."""
        return self._names, self._bounds, self._examples

    def get(self, feature: str) -> tuple[np.ndarray, np.ndarray] | None:
        k = self._number.get(feature)
        if k is None:
            return None
        start, end = self._bounds[k], self._bounds[k + 1]
        return self._examples[start:end], self._weights[start:end]


class StoredVectors(Sequence[Vector]):
    """Each example's vector as a read-back index keeps it: the (example, feature) pairs'
    arrays, each example's dict made the first time it is asked for. A message's scoring
    reads the inverted lists (Postings), not these; only explanations and leave-one-out
    checks ask for vectors, so 15,000 dicts made at every start (0.06-0.16 s of a
    15,000-example restart) were mostly never read."""

    def __init__(
        self, names: list[str], starts: np.ndarray, features: np.ndarray, weights: np.ndarray
    ) -> None:
        """starts: where each example's pairs start in features and weights (and where the
        last one's end); features numbers names."""
        self._names = names
        self._bounds = starts.tolist()
        self._features, self._weights = features, weights
        self._made: list[Vector | None] = [None] * (len(self._bounds) - 1)

    def __len__(self) -> int:
        return len(self._made)

    @overload
    def __getitem__(self, n: int) -> Vector: ...
    @overload
    def __getitem__(self, n: slice) -> list[Vector]: ...
    def __getitem__(self, n: int | slice) -> Vector | list[Vector]:
        if isinstance(n, slice):
            return [self[k] for k in range(*n.indices(len(self)))]
        made = self._made[n]
        if made is None:
            k = n + len(self._made) if n < 0 else n
            a, b = self._bounds[k], self._bounds[k + 1]
            names = self._names
            made = self._made[k] = dict(
                zip(
                    [names[f] for f in self._features[a:b].tolist()],
                    self._weights[a:b].tolist(),
                    strict=True,
                )
            )
        return made


def postings(vectors: Sequence[Vector]) -> Postings:
    """The inverted lists of the examples' vectors."""
    features = [f for vector in vectors for f in vector]
    names = list(dict.fromkeys(features))
    number = {f: k for k, f in enumerate(names)}
    feature_of = np.fromiter(map(number.__getitem__, features), np.intp, len(features))
    example_of = np.repeat(np.arange(len(vectors)), [len(v) for v in vectors])
    weight_of = np.fromiter((w for v in vectors for w in v.values()), np.float64, len(features))
    return Postings(names, feature_of, example_of, weight_of)


def profile_sums(
    postings: Postings, intent_of: np.ndarray, profile_of: list[bool], n_intents: int
) -> list[dict[bool, dict[str, float]]]:
    """Per intent, the sum of its example vectors in each script (Hangul or not), so a
    Korean message is not compared with a profile half made of English examples.

    Summed by numpy over the (example, feature) pairs in the examples' order, as a pass in
    Python added them (0.14 s of a 50,000-example restart): np.bincount adds each pair's
    weight into its total in input order, from 0.0, so every total is the same float; and
    each intent's scripts, and each profile's features, come in the order they first
    appear, as the dicts a pass in Python filled."""
    sums: list[dict[bool, dict[str, float]]] = [{} for _ in range(n_intents)]
    script = np.array(profile_of, bool)
    groups = intent_of * 2 + script  # (intent, script) of each example
    present, first = np.unique(groups, return_index=True)
    for group in present[np.argsort(first)].tolist():  # an example with no features too
        sums[group // 2][bool(group % 2)] = {}
    features, examples, weights = postings.pairs
    width = max(len(postings.names), 1)
    keys = groups[examples].astype(np.int64) * width + features  # (intent, script, feature)
    entries, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    totals = np.bincount(inverse, weights=weights, minlength=len(entries))
    order = np.lexsort((first, entries // width))  # by group, then as they first appear
    group_of = entries[order] // width
    name_of = [postings.names[k] for k in (entries[order] % width).tolist()]
    values = totals[order].tolist()
    cuts = [0, *(np.flatnonzero(np.diff(group_of)) + 1).tolist(), len(order)]
    for a, b in zip(cuts, cuts[1:], strict=False) if len(order) else ():
        group = int(group_of[a])
        sums[group // 2][bool(group % 2)] = dict(zip(name_of[a:b], values[a:b], strict=True))
    return sums
