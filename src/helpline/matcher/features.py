"""Features of a text for matching: word forms, Korean character n-grams, and spelling
pieces of the other words for the classifier."""

from __future__ import annotations

import functools
from collections import Counter

from helpline.text import SynonymMap, char_ngrams, is_hangul_word, normalize, split_words, word_form

WORD = "w:"
GRAM = "g:"
SPELLING = "s:"
SPELLING_GRAM = 3  # characters; 3 and 4 together did worse on clinc150 10-shot than 3


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


@functools.lru_cache(maxsize=1 << 15)
def spelling_grams(word: str) -> tuple[str, ...]:
    """Character 3-grams of a non-Korean word with its ends marked (<ca can anc nce ce>),
    for the classifier: they let it learn that cancelling, cancel and cancle share a stem.
    Korean words are left to the character bigrams that every Korean text already has."""
    if is_hangul_word(word):
        return ()
    return tuple(SPELLING + g for g in char_ngrams(f"<{word}>", SPELLING_GRAM))
