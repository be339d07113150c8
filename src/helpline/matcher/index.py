"""The matcher's index: IDF weights, example vectors, intent centroids and inverted lists."""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
from rapidfuzz import fuzz, process

from helpline.matcher.classifier import SoftmaxClassifier
from helpline.matcher.encoder import CachedEncoder
from helpline.matcher.features import WORD, form_features, spelling_grams, text_forms
from helpline.matcher.index_parts import IndexParts, intent_idf, postings, profile_sums
from helpline.matcher.meaning import WordVectors
from helpline.matcher.weights import IntentWeights
from helpline.text import SynonymMap, is_hangul_word, mostly_hangul, word_form

Vector = dict[str, float]
_HANGUL = re.compile(r"[\uac00-\ud7a3]")

# Typo tolerance: an unknown word stands for a known one this similar (rapidfuzz ratio).
FUZZY_CUTOFF = 80.0
FUZZY_MIN_LENGTH = 4
_FUZZY_CACHE_SIZE = 4096
_NOT_KEPT = object()  # nearest_word's cache has no entry (None is a kept answer)
# Weight of a feature no example has, as a share of the highest IDF, by kind.
UNSEEN_SHARE = {"w:": 1.0, "g:": 0.5}
# Length of the classifier's spelling features (features.spelling_grams) next to the
# unit-length word features. On validation, against none: clinc150 89.7 -> 90.5 in-scope
# at 88% out-of-scope recall, clinc150 10-shot 78.0 -> 78.8, banking77 10-shot top-1
# 72.6 -> 73.7, bitext 95.1 -> 95.3. At 0.7 and 1.0 clinc150 gained as much and the
# 10-shot set lost; leaving out words under 4 or 5 letters lost on both.
SPELLING_LENGTH = 0.5


@dataclass(frozen=True)
class Example:
    intent: int  # index into Index.intents
    text: str
    vector: Vector  # unit length
    plain: str  # word forms after synonyms, for whole-string comparison
    joined: str  # the normalised words after synonyms without spaces (결제가안돼요)
    sorted_plain: str = ""  # plain's words sorted: token_sort_ratio's form, made once


@dataclass(frozen=True)
class Query:
    vector: Vector
    plain: str
    joined: str
    korean: bool  # mostly Hangul: the whole-string comparison weighs more
    sorted_plain: str = ""  # plain's words sorted, as the examples' sorted_plain
    meaning: np.ndarray | None = None  # meaning.py: for the classifier
    words: tuple[str, ...] = ()  # the normalised words after synonyms (meaning's input)
    features: Vector | None = None  # the classifier's input: vector plus spelling


def weigh(
    counts: Counter[str],
    idf: dict[str, float],
    scale: dict[str, float] | None = None,
    unseen: dict[str, float] | None = None,
) -> Vector:
    """Sublinear TF times IDF, unit length.

    Features no example has (``unseen``: IDF by feature kind) still count in the length,
    so a message about something else is not made to look like a close match.
    """
    vector: Vector = {}
    norm2 = 0.0
    for feature, count in counts.items():
        weight = idf.get(feature)
        if weight:
            factor = scale.get(feature, 1.0) if scale else 1.0
            vector[feature] = value = (1.0 + math.log(count)) * weight * factor
        elif unseen:
            value = (1.0 + math.log(count)) * unseen.get(feature[:2], 0.0)
        else:
            continue
        norm2 += value * value
    norm = math.sqrt(norm2)
    return {f: v / norm for f, v in vector.items()} if norm else {}


class Index:
    """Everything the scorer needs, built once per rulebook."""

    def __init__(
        self,
        rows: list[tuple[str, str]],
        synonyms: SynonymMap | None,
        encoders: Sequence[CachedEncoder] = (),
    ) -> None:
        self.synonyms = synonyms
        self.encoders = tuple(encoders)
        self.word_vectors = WordVectors.shipped()
        self._assemble(self._trained(rows))

    @classmethod
    def restored(
        cls, parts: IndexParts, synonyms: SynonymMap | None, encoders: Sequence[CachedEncoder]
    ) -> Index:
        """The index a cold build of the same rows made these parts for."""
        index = cls.__new__(cls)
        index.synonyms = synonyms
        index.encoders = tuple(encoders)
        index.word_vectors = WordVectors.shipped()
        index._assemble(parts)
        return index

    def _trained(self, rows: list[tuple[str, str]]) -> IndexParts:
        """The cold build: every example's words, weights and meanings; the classifier."""
        intents = list(dict.fromkeys(name for name, _ in rows))
        position = {name: i for i, name in enumerate(intents)}
        example_intents = [position[name] for name, _ in rows]
        texts = [text for _, text in rows]
        words = [text_forms(text, self.synonyms) for text in texts]
        form_counts = [form_features(raw) for raw in words]
        idf = intent_idf(list(zip(example_intents, form_counts, strict=True)), len(intents))
        self._weigh_words(idf, len(intents), words)
        vectors = [weigh(counts, idf) for counts in form_counts]
        # one row per example, in the examples' order
        meanings = self.word_vectors.meanings([self.weighted_words(raw) for raw in words])
        centres: list[np.ndarray | None] = []  # per encoder, what its vectors lose
        for encoder in self.encoders:  # the sentence's meaning after the words', per model
            block = encoder.encode(texts)
            read = block.any(axis=1)  # the examples of the model's language
            centre = block[read].mean(axis=0) if encoder.centred and read.any() else None
            if centre is not None:
                block[read] = _centred(block[read], centre)
            centres.append(centre)
            meanings = np.hstack([meanings, block])
        # what the classifier reads of each example, in the examples' order
        inputs = [self.classifier_input(v, raw) for v, raw in zip(vectors, words, strict=True)]
        classifier = SoftmaxClassifier(
            list(zip(example_intents, inputs, strict=True)), len(intents), meanings
        )
        forms = [list(map(word_form, raw)) for raw in words]
        return IndexParts(
            intents, example_intents, texts, words, [" ".join(f) for f in forms],
            ["".join(raw) for raw in words], [sorted_words(f) for f in forms], vectors, idf,
            meanings, centres, classifier, inputs,
        )  # fmt: skip

    def _weigh_words(self, idf: dict[str, float], intents: int, words: list[list[str]]) -> None:
        """What weighted_words reads: the IDF, the weight of what no example has, and the
        IDF of each example word's form, looked up once per word rather than per use."""
        self.idf = idf
        top = math.log(1.0 + intents)
        self.unseen = {kind: top * share for kind, share in UNSEEN_SHARE.items()}
        known = dict.fromkeys(chain.from_iterable(words))  # each word once: many repeat
        self._example_word_idf = {w: idf[WORD + word_form(w)] for w in known}

    def _assemble(self, parts: IndexParts) -> None:
        """Everything else, from the parts: cheap enough to make at every start."""
        self.parts = parts
        self.intents = parts.intents
        self._weigh_words(parts.idf, len(parts.intents), parts.words)
        # per example, what a message's whole-string comparison reads (scorer._closest_string)
        self.sorted_plain, self.joined = parts.sorted_plain, parts.joined
        self.examples_vectors = parts.vectors
        self.meanings = parts.meanings
        self.centres = parts.centres
        self.intent_of = parts.example_intents
        self.classifier = parts.classifier
        self._classifier_inputs = parts.classifier_inputs
        self.postings = parts.postings or postings(self.examples_vectors)
        self.intent_of_example = np.array(self.intent_of, np.intp)  # intent_of, for arrays
        self.weights = IntentWeights.counted(
            self.postings.lists(), self.intent_of_example, len(self.intents)
        )
        self.profile_of = [_is_hangul(text) for text in parts.texts]
        self.profile_sums = profile_sums(
            self.postings, self.intent_of_example, self.profile_of, len(self.intents)
        )
        self.centroids = [[_unit(total) for total in sums.values()] for sums in self.profile_sums]
        words = sorted(f[len(WORD) :] for f in self.idf if f.startswith(WORD))
        self.vocabulary = _latin_vocabulary(words)
        self.hangul_vocabulary = _hangul_vocabulary(words)
        self._jamo = {
            w: unicodedata.normalize("NFD", w) for b in self.hangul_vocabulary.values() for w in b
        }
        self._fuzzy_cache: dict[str, tuple[str, float] | None] = {}

    @functools.cached_property
    def examples(self) -> list[Example]:
        """Every example whole, made the first time they are asked for: only explanations
        and leave-one-out checks read them (a message's scoring reads the lists above), and
        15,000 frozen dataclasses cost a restart 0.03-0.1 s."""
        parts = self.parts
        return list(
            map(
                Example,
                parts.example_intents,
                parts.texts,
                parts.vectors,
                parts.plain,
                parts.joined,
                parts.sorted_plain,
            )
        )

    @property
    def classifier_inputs(self) -> list[Vector]:
        """What the classifier reads of each example, in the examples' order; a restored
        index makes them the first time they are asked for (only evaluations ask)."""
        if self._classifier_inputs is None:
            self._classifier_inputs = [
                self.classifier_input(vector, raw)
                for vector, raw in zip(self.parts.vectors, self.parts.words, strict=True)
            ]
        return self._classifier_inputs

    def query(self, text: str) -> Query:
        """What the scorer needs to know about one message."""
        raw = text_forms(text, self.synonyms)
        forms, scale = self._known_forms(raw)
        korean = mostly_hangul(raw)
        vector = weigh(form_features(raw, forms), self.idf, scale, self.unseen)
        meaning = self.word_vectors.meaning(*self.weighted_words(raw))
        if self.encoders:
            # a message with no known word is not matched at all: no need to encode it
            meaning = np.concatenate(
                [meaning]
                + [
                    self._sentence(e, c, text, bool(vector))
                    for e, c in zip(self.encoders, self.centres, strict=True)
                ]
            )
        return Query(
            vector,
            " ".join(forms),
            "".join(raw),
            korean,
            sorted_words(forms),
            meaning,
            tuple(raw),
            self.classifier_input(vector, raw),
        )

    @staticmethod
    def _sentence(
        encoder: CachedEncoder, centre: np.ndarray | None, text: str, known_words: bool
    ) -> np.ndarray:
        """One model's part of the message's meaning; a message with no known word is not
        matched at all, so it is not encoded."""
        if not known_words:
            return np.zeros(encoder.dimensions, np.float32)
        found = encoder.encode_one(text)
        return _centred(found[None, :], centre)[0] if centre is not None and found.any() else found

    def query_vector(self, text: str) -> Vector:
        return self.query(text).vector

    @staticmethod
    def classifier_input(vector: Vector, raw: Sequence[str]) -> Vector:
        """The word features and, SPELLING_LENGTH long, the spelling pieces of the words as
        written (before typo fixes: the pieces are what make a misspelling still count).
        Each piece counts once, however many of the words have it."""
        pieces = dict.fromkeys(chain.from_iterable(map(spelling_grams, raw)))
        if not pieces:
            return vector
        return vector | dict.fromkeys(pieces, SPELLING_LENGTH / math.sqrt(len(pieces)))

    def weighted_words(self, raw: Sequence[str]) -> tuple[list[str], list[float]]:
        """Each word once, weighted as in the word features (sublinear count times the IDF
        of its form), for the text's meaning. A word the examples never use weighs as much
        as the rarest one: its meaning is all there is to go on."""
        counts: dict[str, int] = {}
        for word in raw:
            counts[word] = counts.get(word, 0) + 1
        known, unseen, idf = self._example_word_idf, self.unseen[WORD], self.idf
        weights = []
        for word, n in counts.items():
            weight = known.get(word)
            if weight is None:
                weight = idf.get(WORD + word_form(word), unseen)
            weights.append(weight if n == 1 else (1.0 + math.log(n)) * weight)
        return list(counts), weights

    def _known_forms(self, raw: list[str]) -> tuple[list[str], dict[str, float]]:
        """Word forms with unknown words replaced by their nearest known spelling, and
        the similarity that scales each replacement's weight (SoftTF-IDF)."""
        forms = [word_form(w) for w in raw]
        scale: dict[str, float] = {}
        for n, form in enumerate(forms):
            if WORD + form in self.idf:
                continue
            near = self.nearest_word(form)
            if near is not None:
                forms[n] = near[0]
                scale[WORD + near[0]] = near[1]
        return forms, scale

    def nearest_word(self, form: str) -> tuple[str, float] | None:
        """The known word most like an unknown one, with similarity 0-1 (SoftTF-IDF);
        Korean words are compared letter by letter (jamo), so 졀제 finds 결제."""
        # read once: the node's matching thread and its event loop may both be here
        known = self._fuzzy_cache.get(form, _NOT_KEPT)
        if known is not _NOT_KEPT:
            return known  # type: ignore[return-value]
        found = self._nearest_hangul(form) if is_hangul_word(form) else self._nearest_latin(form)
        if len(self._fuzzy_cache) >= _FUZZY_CACHE_SIZE:
            self._fuzzy_cache.clear()
        self._fuzzy_cache[form] = found
        return found

    def _nearest_latin(self, form: str) -> tuple[str, float] | None:
        # Only words with the same first letter and a length that could reach the cutoff:
        # a few dozen candidates instead of the whole vocabulary.
        if len(form) < FUZZY_MIN_LENGTH:
            return None
        low, high = len(form) * 2 / 3, len(form) * 1.5
        near = [w for w in self.vocabulary.get(form[0], ()) if low <= len(w) <= high]
        hit = process.extractOne(form, near, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if hit is None or not self.word_vectors.alike(form, hit[0]):
            return None
        return hit[0], hit[1] / 100.0

    def _nearest_hangul(self, form: str) -> tuple[str, float] | None:
        # A one-letter typo in a word of 2-4 syllables leaves its first or its last
        # syllable intact, so those two buckets hold every word it could be.
        if not 2 <= len(form) <= 4:
            return None
        near = sorted(
            {*self.hangul_vocabulary.get(form[0], ()), *self.hangul_vocabulary.get(form[-1], ())}
        )
        near = [w for w in near if len(w) == len(form)]
        hit = process.extractOne(
            unicodedata.normalize("NFD", form),
            [self._jamo[w] for w in near],
            scorer=fuzz.ratio,
            score_cutoff=FUZZY_CUTOFF,
        )
        return (near[hit[2]], hit[1] / 100.0) if hit else None


def sorted_words(forms: Iterable[str]) -> str:
    """Words in code-point order, space-separated: what rapidfuzz's token_sort_ratio compares
    (forms never hold whitespace), so the scorer can call plain ratio on strings made once."""
    return " ".join(sorted(forms))


def _latin_vocabulary(words: list[str]) -> dict[str, list[str]]:
    """Known non-Korean words long enough for typo matching, by first letter."""
    buckets: dict[str, list[str]] = {}
    for word in words:
        if len(word) >= FUZZY_MIN_LENGTH and not is_hangul_word(word):
            buckets.setdefault(word[0], []).append(word)
    return buckets


def _hangul_vocabulary(words: list[str]) -> dict[str, list[str]]:
    """Known Korean words of 2-4 syllables, by their first and by their last syllable."""
    buckets: dict[str, list[str]] = {}
    for word in words:
        if is_hangul_word(word) and 2 <= len(word) <= 4 and word.isalpha():
            buckets.setdefault(word[0], []).append(word)
            if word[-1] != word[0]:
                buckets.setdefault(word[-1], []).append(word)
    return buckets


def _is_hangul(text: str) -> bool:
    return bool(_HANGUL.search(text))


def profile_without(index: Index, n: int) -> list[Vector]:
    """The profiles of example n's intent as if n were not one of its examples."""
    example = index.examples[n]
    out = []
    for hangul, total in index.profile_sums[example.intent].items():
        if hangul == index.profile_of[n]:
            total = {f: v - example.vector.get(f, 0.0) for f, v in total.items()}
        out.append(_unit(total))
    return out


def _unit(total: dict[str, float]) -> Vector:
    norm = math.sqrt(sum(v * v for v in total.values())) or 1.0
    return {f: v / norm for f, v in total.items()}


def _centred(vectors: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Each row less the centre, made unit length again (a row at the centre stays zero)."""
    moved = vectors - centre
    norms = np.linalg.norm(moved, axis=1, keepdims=True)
    result: np.ndarray = (moved / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    return result
