"""A linear classifier over the examples' features: softmax regression, trained on load.

The similarity scores (scorer.py) ask "which examples is this message like?"; this asks
"which words tell the intents apart?". Word weights that are fitted jointly across all
intents lower the words every intent shares and raise the ones that decide between
neighbours, which similarity alone cannot do; the two together answer more messages
right and leave fewer out-of-scope ones looking like a match. Its sparse features are
the words and the 3-letter spelling pieces of English words (Index.classifier_input), so
"deletion" can speak for what "delete" taught it; beside them it takes each text's meaning
(meaning.py), a short dense vector, which lets words no example of an intent uses still
speak for it.

Training is deterministic (a fixed seed, a fixed number of passes) and takes a fraction
of a second for thousands of examples; a prediction is one gather of a few rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse

Vector = dict[str, float]

BIAS = "<bias>"  # a feature every text has: its weights are each intent's prior
PASSES = 5  # over the examples; more fits the examples' chance words
# A pass over a large rulebook is many updates already, so training stops after about
# UPDATES batches, though never before MIN_PASSES: on clinc150 (15,000 examples, 59
# batches a pass) 3 passes answered as well as 5 (90.5 against 90.6 in-scope at 88%
# out-of-scope recall) in 60% of the time. Rulebooks under ~7,500 examples get all 5.
UPDATES = 150
MIN_PASSES = 3
BATCH = 256  # examples per update
LEARNING_RATE = 0.5  # Adagrad's step, scaled down per weight by its gradients so far
SEED = 0  # the order of the examples in each pass
MEANING = "meaning"  # how the text's meaning is named among the features that decided


class SoftmaxClassifier:
    """P(intent | features) by multinomial logistic regression; the weights are readable
    as "this word speaks for (or against) this intent"."""

    def __init__(
        self,
        examples: Sequence[tuple[int, Vector]],
        n_intents: int,
        meanings: np.ndarray | None = None,  # (examples, dimensions): the texts' meanings
    ) -> None:
        # Imported here, where a classifier is trained: a start that reads its index back
        # (index_cache.py) never needs scipy, and importing it costs 0.1-0.3 s.
        import scipy.sparse

        numbering = _Numbering({BIAS: 0})
        column_of = numbering.__getitem__
        columns: list[int] = []
        values: list[float] = []
        starts = [0]
        for _, vector in examples:  # C loops (extend, map) over each text's features
            columns.append(0)
            values.append(1.0)
            columns.extend(map(column_of, vector))
            values.extend(vector.values())
            starts.append(len(columns))
        shape = (len(examples), len(numbering) + 1)
        matrix = scipy.sparse.csr_matrix(
            (np.asarray(values, np.float32), np.asarray(columns), np.asarray(starts)), shape
        )
        labels = np.fromiter((intent for intent, _ in examples), np.int64, len(examples))
        if meanings is None:
            meanings = np.zeros((len(examples), 0), np.float32)
        self._use(numbering, *_train(matrix, meanings, labels, n_intents))

    @classmethod
    def trained(
        cls, features: Sequence[str], weights: np.ndarray, meaning_weights: np.ndarray
    ) -> SoftmaxClassifier:
        """The classifier whose training gave these weights (read back by index_cache.py):
        `features` are its `features` in column order, BIAS first."""
        classifier = cls.__new__(cls)
        columns = {feature: n for n, feature in enumerate(features)}
        classifier._use(columns, weights, meaning_weights)
        return classifier

    def _use(
        self, columns: dict[str, int], weights: np.ndarray, meaning_weights: np.ndarray
    ) -> None:
        # One column more than the features, which no example has, so its weights stay
        # zero: a message's unknown features are looked up there rather than filtered out.
        self.features: dict[str, int] = _KnownOr(columns, len(columns))
        self._column_of = self.features.__getitem__
        self.weights, self.meaning_weights = weights, meaning_weights

    def probabilities(self, vector: Vector, meaning: np.ndarray | None = None) -> np.ndarray:
        """P(intent) for every intent, in the index's order."""
        columns = [0, *map(self._column_of, vector)]
        values = np.fromiter(chain((1.0,), vector.values()), np.float32, len(columns))
        logits = values @ self.weights[columns]
        if meaning is not None and len(self.meaning_weights):
            logits += meaning @ self.meaning_weights
        exps = np.exp(logits - logits.max())
        result: np.ndarray = exps / exps.sum()
        return result

    def strongest(
        self, vector: Vector, intent: int, limit: int, meaning: np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        """The message's features that speak most for the intent: value times weight; the
        meaning counts as one feature, MEANING."""
        found = []
        for feature, value in vector.items():
            column = self.features.get(feature)
            if column is not None:
                weight = float(self.weights[column, intent]) * value
                if weight > 0:
                    found.append((feature, weight))
        if meaning is not None and len(self.meaning_weights):
            weight = float(meaning @ self.meaning_weights[:, intent])
            if weight > 0:
                found.append((MEANING, weight))
        return sorted(found, key=lambda item: (-item[1], item[0]))[:limit]


class _Numbering(dict[str, int]):
    """Feature -> column, a new feature getting the next column when first looked up."""

    def __missing__(self, feature: str) -> int:
        self[feature] = column = len(self)
        return column


class _KnownOr(dict[str, int]):
    """Feature -> column, and one column for every feature not among them."""

    def __init__(self, columns: dict[str, int], unknown: int) -> None:
        super().__init__(columns)
        self.unknown = unknown

    def __missing__(self, feature: str) -> int:
        return self.unknown


def _passes(examples: int) -> int:
    """PASSES, or fewer for a rulebook whose passes are many batches each (UPDATES)."""
    batches = max(1, math.ceil(examples / BATCH))
    return max(MIN_PASSES, min(PASSES, math.ceil(UPDATES / batches)))


def _train(
    matrix: scipy.sparse.csr_matrix, meanings: np.ndarray, labels: np.ndarray, n_intents: int
) -> tuple[np.ndarray, np.ndarray]:
    """Minibatch Adagrad on the cross-entropy, touching only the rows of the features
    in each batch (a batch of short texts uses a few hundred of thousands). The meanings
    are dense, so their weights are a small matrix of their own, updated every batch."""
    weights = np.zeros((matrix.shape[1], n_intents), np.float32)
    squares = np.full_like(weights, 1e-6)  # sums of squared gradients, per weight
    dense = np.zeros((meanings.shape[1], n_intents), np.float32)
    dense_squares = np.full_like(dense, 1e-6)
    order = np.random.default_rng(SEED)
    for _ in range(_passes(matrix.shape[0])):
        shuffled = order.permutation(matrix.shape[0])
        for start in range(0, len(shuffled), BATCH):
            rows = shuffled[start : start + BATCH]
            batch = matrix[rows]
            batch_meanings = meanings[rows]
            logits = batch @ weights + batch_meanings @ dense
            logits -= logits.max(axis=1, keepdims=True)
            error = np.exp(logits)
            error /= error.sum(axis=1, keepdims=True)
            error[np.arange(len(rows)), labels[rows]] -= 1.0  # softmax minus one-hot
            used = np.unique(batch.indices)
            gradient = batch[:, used].T @ error
            seen = squares[used]
            seen += np.square(gradient)
            squares[used] = seen
            np.sqrt(seen, out=seen)
            gradient /= seen
            gradient *= LEARNING_RATE
            weights[used] -= gradient
            dense_gradient = batch_meanings.T @ error
            dense_squares += np.square(dense_gradient)
            dense -= LEARNING_RATE * dense_gradient / np.sqrt(dense_squares)
    return weights, dense
