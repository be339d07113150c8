"""What English words mean beyond the rules' own examples: pretrained word vectors.

Ten examples of an intent rarely hold every word customers use for it. Word vectors,
learned from six billion words of text, put "cash" near "money" and "refund" near
"reimburse", so a message's meaning (the IDF-weighted mean of its words' vectors) can lean on
what the examples taught about its neighbours. Only the classifier uses it, as features
beside the words (classifier.py): as a similarity of its own it told out-of-scope
messages apart far worse than the word similarity does (AUROC 0.87 against 0.98 on
clinc150), so it helps choose between intents, not decide whether to answer.

The vectors are GloVe 6B, 50 dimensions (Pennington, Socher and Manning, 2014; public
domain under PDDL 1.0), cut to the 50,000 most frequent alphabetic words and stored as
int8 with one scale per word: 2.7 MB, shipped with the package, nothing downloaded.
scripts/make_word_vectors.py makes the file from the published glove.6B.50d.txt.
Korean words have no vectors here: a Korean message's meaning is zero and adds nothing.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data" / "glove-6b-50d-50k.npz"
DIMENSIONS = 50
# The length of a text's meaning vector next to its unit-length word features. At 2,
# clinc150 10-shot did better (79.4 against 78.1 in-scope at 88% out-of-scope recall) but
# the full set, banking77 and bitext did worse; 3 and 4 were worse still.
LENGTH = 1.0
# Two real words whose vectors are at least this alike may be one the other's typo
# (form/from 0.68, canceled/cancelled 0.89); cash/crash (0.17) or loose/lose (0.43) not.
ALIKE = 0.5


class WordVectors:
    """Word -> vector, and texts -> their meaning."""

    def __init__(self, words: Sequence[str], vectors: np.ndarray) -> None:
        self.position = {word: n for n, word in enumerate(words)}
        self.vectors = vectors  # (words, DIMENSIONS) float32

    @staticmethod
    @functools.cache
    def shipped() -> WordVectors:
        """The package's vectors, read once per process (about 50 ms)."""
        with np.load(DATA) as data:
            words = str(data["words"]).split("\n")
            vectors = data["vectors"].astype(np.float32)
            vectors *= data["scales"].astype(np.float32)[:, None]
        return WordVectors(words, vectors)

    def meaning(self, words: Sequence[str], weights: Sequence[float]) -> np.ndarray:
        """The weighted mean of the words' vectors, LENGTH long (zeros: no word known)."""
        _, rows, found = self._known(words, weights)
        if not rows:
            return np.zeros(DIMENSIONS, np.float32)
        total: np.ndarray = np.asarray(found, np.float32) @ self.vectors[rows]
        length = math.sqrt(float(total @ total))  # one row: plain arithmetic, not _to_length
        if length:
            total *= LENGTH / length
        return total

    def meanings(self, texts: Sequence[tuple[Sequence[str], Sequence[float]]]) -> np.ndarray:
        """meaning() of many texts at once: one sparse product instead of a loop of small ones."""
        import scipy.sparse  # only a cold build of the index needs it (classifier.py says why)

        columns: list[int] = []
        values: list[float] = []
        starts = [0]
        for words, weights in texts:
            _, rows, found = self._known(words, weights)
            columns += rows
            values += found
            starts.append(len(columns))
        counts = scipy.sparse.csr_matrix(
            (np.asarray(values, np.float32), np.asarray(columns, np.int64), np.asarray(starts)),
            shape=(len(texts), len(self.vectors)),
        )
        return _to_length(np.asarray(counts @ self.vectors, np.float32))

    def alike(self, word: str, other: str) -> bool:
        """False only when both are words here and are used unalike (cosine below ALIKE):
        a typo fix must not turn "cash" into "crash". Misspellings are rarely among the
        50,000 words, so they keep being fixed."""
        a, b = self.position.get(word), self.position.get(other)
        if a is None or b is None:
            return True
        x, y = self.vectors[a], self.vectors[b]
        return float(x @ y) >= ALIKE * float(np.linalg.norm(x) * np.linalg.norm(y))

    def parts(
        self, words: Sequence[str], weights: Sequence[float], direction: np.ndarray
    ) -> list[tuple[str, float]]:
        """Each word's part in meaning(words, weights) @ direction, largest first: the
        meaning is a weighted sum, so the parts add up to the whole (for explanations)."""
        kept, rows, found = self._known(words, weights)
        if not rows:
            return []
        picked = self.vectors[rows]
        norm = float(np.linalg.norm(np.asarray(found, np.float32) @ picked)) or 1.0
        along = picked @ direction  # each word's vector along the direction
        shares = [
            (w, LENGTH * weight / norm * float(a))
            for w, weight, a in zip(kept, found, along, strict=True)
        ]
        return sorted(shares, key=lambda item: -item[1])

    def _known(
        self, words: Sequence[str], weights: Sequence[float]
    ) -> tuple[list[str], list[int], list[float]]:
        """The words that have vectors, their rows, and their weights."""
        position = self.position
        kept, rows, found = [], [], []
        for word, weight in zip(words, weights, strict=True):
            n = position.get(word)
            if n is not None:
                kept.append(word)
                rows.append(n)
                found.append(weight)
        return kept, rows, found


def _to_length(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    scaled: np.ndarray = rows * (LENGTH / np.where(norms > 0, norms, 1.0))
    return scaled.astype(np.float32)
