"""Features of a text for matching: word forms, word pairs and Korean character n-grams."""

from __future__ import annotations

from collections import Counter

from helpline.text import SynonymMap, char_ngrams, is_hangul_word, normalize, split_words, word_form

WORD = "w:"
PAIR = "p:"
GRAM = "g:"


def text_forms(text: str, synonyms: SynonymMap | None) -> list[str]:
    """Normalised words after synonyms, particles and endings still attached."""
    raw = split_words(normalize(text))
    return synonyms.apply(raw) if synonyms else raw


def form_features(raw: list[str], forms: list[str] | None = None) -> Counter[str]:
    """Counts of word, adjacent word-pair and Korean character-n-gram features."""
    if forms is None:
        forms = [word_form(w) for w in raw]
    counts: Counter[str] = Counter(WORD + f for f in forms)
    counts.update(PAIR + a + " " + b for a, b in zip(forms, forms[1:], strict=False))
    # N-grams of the unstripped words: 결제가안돼요 and 결제가 안 돼요 give the same ones.
    hangul = "".join(w for w in raw if is_hangul_word(w))
    if hangul:
        # Spacing-insensitive: n-grams run across word boundaries of the joined text.
        counts.update(GRAM + g for g in char_ngrams(hangul, 2))
        counts.update(GRAM + g for g in char_ngrams(hangul, 3))
    return counts


def word_of(feature: str) -> str:
    """The readable part of a feature, for evidence."""
    return feature[2:]
