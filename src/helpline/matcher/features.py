"""Features of a text for matching: word forms, word pairs and Korean character n-grams."""

from __future__ import annotations

from collections import Counter

from helpline.text import SynonymMap, char_ngrams, is_hangul_word, normalize, split_words, word_form

WORD = "w:"
GRAM = "g:"


def text_forms(text: str, synonyms: SynonymMap | None) -> list[str]:
    """Normalised words after synonyms, particles and endings still attached."""
    raw = split_words(normalize(text))
    return synonyms.apply(raw) if synonyms else raw


def form_features(raw: list[str], forms: list[str] | None = None) -> Counter[str]:
    """Counts of word-form features and, for Korean, character bigrams.

    Word pairs and longer n-grams were tried and dropped: on held-out data they made
    in-scope and out-of-scope messages harder to tell apart.
    """
    if forms is None:
        forms = [word_form(w) for w in raw]
    counts: Counter[str] = Counter(WORD + f for f in forms)
    # Bigrams of the unstripped words, joined: 결제가안돼요 and 결제가 안 돼요 give the
    # same ones, and endings (하지마 against 해줘) still count.
    hangul = "".join(w for w in raw if is_hangul_word(w))
    if hangul:
        counts.update(GRAM + g for g in char_ngrams(hangul, 2))
    return counts


def word_of(feature: str) -> str:
    """The readable part of a feature, for evidence."""
    return feature[2:]
