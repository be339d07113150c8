"""A linear classifier over the examples' features: softmax regression, trained on load.

The similarity scores (scorer.py) ask "which examples is this message like?"; this asks
"which words tell the intents apart?". Word weights that are fitted jointly across all
intents lower the words every intent shares and raise the ones that decide between
neighbours, which similarity alone cannot do; the two together answer more messages
right and leave fewer out-of-scope ones looking like a match.

Training is deterministic (a fixed seed, a fixed number of passes) and takes a fraction
of a second for thousands of examples; a prediction is one gather of a few rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse

Vector = dict[str, float]

BIAS = "<bias>"  # a feature every text has: its weights are each intent's prior
PASSES = 5  # over the examples; more fits the examples' chance words
BATCH = 256  # examples per update
LEARNING_RATE = 0.5  # Adagrad's step, scaled down per weight by its gradients so far
SEED = 0  # the order of the examples in each pass


class SoftmaxClassifier:
    """P(intent | features) by multinomial logistic regression; the weights are readable
    as "this word speaks for (or against) this intent"."""

    def __init__(self, examples: Sequence[tuple[int, Vector]], n_intents: int) -> None:
        self.features: dict[str, int] = {BIAS: 0}
        columns: list[int] = []
        values: list[float] = []
        starts = [0]
        for _, vector in examples:
            columns.append(0)
            values.append(1.0)
            for feature, value in vector.items():
                columns.append(self.features.setdefault(feature, len(self.features)))
                values.append(value)
            starts.append(len(columns))
        shape = (len(examples), len(self.features))
        matrix = scipy.sparse.csr_matrix(
            (np.asarray(values, np.float32), np.asarray(columns), np.asarray(starts)), shape
        )
        labels = np.fromiter((intent for intent, _ in examples), np.int64, len(examples))
        self.weights = _train(matrix, labels, n_intents)

    def probabilities(self, vector: Vector) -> np.ndarray:
        """P(intent) for every intent, in the index's order."""
        columns, values = [0], [1.0]
        for feature, value in vector.items():
            column = self.features.get(feature)
            if column is not None:
                columns.append(column)
                values.append(value)
        logits = np.asarray(values, np.float32) @ self.weights[columns]
        exps = np.exp(logits - logits.max())
        result: np.ndarray = exps / exps.sum()
        return result

    def strongest(self, vector: Vector, intent: int, limit: int) -> list[tuple[str, float]]:
        """The message's features that speak most for the intent: value times weight."""
        found = []
        for feature, value in vector.items():
            column = self.features.get(feature)
            if column is not None:
                weight = float(self.weights[column, intent]) * value
                if weight > 0:
                    found.append((feature, weight))
        return sorted(found, key=lambda item: (-item[1], item[0]))[:limit]


def _train(matrix: scipy.sparse.csr_matrix, labels: np.ndarray, n_intents: int) -> np.ndarray:
    """Minibatch Adagrad on the cross-entropy, touching only the rows of the features
    in each batch (a batch of short texts uses a few hundred of thousands)."""
    weights = np.zeros((matrix.shape[1], n_intents), np.float32)
    squares = np.full_like(weights, 1e-6)  # sums of squared gradients, per weight
    order = np.random.default_rng(SEED)
    for _ in range(PASSES):
        shuffled = order.permutation(matrix.shape[0])
        for start in range(0, len(shuffled), BATCH):
            rows = shuffled[start : start + BATCH]
            batch = matrix[rows]
            logits = batch @ weights
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
    return weights
