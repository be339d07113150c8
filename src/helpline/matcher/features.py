"""Features of a text for matching: word forms, word pairs and Korean character n-grams."""

from __future__ import annotations

from collections import Counter

from helpline.text import SynonymMap, char_ngrams, comparable, is_hangul_word

WORD = "w:"
PAIR = "p:"
GRAM = "g:"


def text_forms(text: str, synonyms: SynonymMap | None) -> list[str]:
    """The word forms the matcher compares, after synonyms."""
    return comparable(text, synonyms)


def form_features(forms: list[str]) -> Counter[str]:
    """Counts of word, adjacent word-pair and Korean character-n-gram features."""
    counts: Counter[str] = Counter(WORD + f for f in forms)
    counts.update(PAIR + a + " " + b for a, b in zip(forms, forms[1:], strict=False))
    hangul = "".join(f for f in forms if is_hangul_word(f))
    if hangul:
        # Spacing-insensitive: n-grams run across word boundaries of the joined text.
        counts.update(GRAM + g for g in char_ngrams(hangul, 2))
        counts.update(GRAM + g for g in char_ngrams(hangul, 3))
    return counts


def word_of(feature: str) -> str:
    """The readable part of a feature, for evidence."""
    return feature[2:]
