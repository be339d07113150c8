"""Text normalisation, word forms, synonyms and language detection for Korean and English."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

_APOSTROPHE = re.compile(r"['\u2019`]")
_PUNCT = re.compile(r"[^\w\s]+|_", re.UNICODE)
_SPACE = re.compile(r"\s+")
_REPEAT = re.compile(r"(.)\1{2,}")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile(r"[a-z]")
_WORD = re.compile(r"[0-9]+|[a-z]+|[\uac00-\ud7a3]+|[\u3130-\u318f]+|[^\W\d_]+", re.UNICODE)

# Particles and polite endings that change a Korean word's shape but not its topic.
# Longest first, so 에서는 goes before 에서 and 는.
_KO_SUFFIXES = tuple(
    sorted(
        set(
        (
            "을 를 이 가 은 는 에 의 도 만 와 과 로 랑 께 요 "
            "에서 으로 에게 한테 까지 부터 처럼 보다 이랑 이나 라도 마다 밖에 "
            "에서는 에서도 으로는 으로도 에는 에도 로는 로도 만요 이요 이에요 예요 "
            "에요 인가요 나요 까요 는데 은데 인데 해요 하고 해서 해줘 해주세요 주세요 "
            "해줄래 할래 합니다 습니다 입니다 어요 아요 네요 죠 고요"
        ).split()
        ),
        key=len,
        reverse=True,
    )
)


def normalize(text: str, language: str | None = None) -> str:
    """NFKC, case folding, apostrophes dropped, other punctuation to spaces, runs of 3+ to 2."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _APOSTROPHE.sub("", text)
    text = _PUNCT.sub(" ", text)
    text = _REPEAT.sub(r"\1\1", text)
    return _SPACE.sub(" ", text).strip()


def detect_language(text: str, default: str = "ko") -> str:
    """'ko' when Hangul outweighs Latin letters, 'en' when Latin does, else default."""
    folded = text.casefold()
    hangul = len(_HANGUL.findall(folded))
    latin = len(_LATIN.findall(folded))
    if hangul == 0 and latin == 0:
        return default
    # A Hangul syllable carries about as much as two or three Latin letters.
    return "ko" if hangul * 2 >= latin else "en"


def is_hangul_word(word: str) -> bool:
    return bool(word) and "\uac00" <= word[0] <= "\ud7a3"


def strip_particle(word: str) -> str:
    """The Korean word without a trailing particle or ending, keeping at least two syllables."""
    for suffix in _KO_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            return word[: -len(suffix)]
    return word


def stem(word: str) -> str:
    """A light English stem: plurals, -ing, -ed, -ly; the same on both sides is what matters."""
    if len(word) <= 3 or not word.isascii():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return _undouble(word[: -len(suffix)])
    if word.endswith("ly") and len(word) > 5:
        return word[:-2]
    return word


def _undouble(base: str) -> str:
    if len(base) >= 3 and base[-1] == base[-2] and base[-1] not in "lsz":
        return base[:-1]
    return base


def split_words(normalized: str) -> list[str]:
    """Words of a normalised text; Hangul, Latin and digit runs are separate words."""
    return _WORD.findall(normalized)


def word_form(word: str) -> str:
    """The comparable form of one word: particle-stripped Korean or stemmed English."""
    return strip_particle(word) if is_hangul_word(word) else stem(word)


def words(text: str, language: str | None = None) -> list[str]:
    """Comparable word forms of a raw text, in order."""
    return [word_form(w) for w in split_words(normalize(text, language))]


def compact(text: str) -> str:
    """The spacing-insensitive form: normalised, particles stripped, spaces removed."""
    return "".join(words(text))


def char_ngrams(text: str, n: int) -> list[str]:
    """Overlapping n-character pieces of text (the whole text when shorter than n)."""
    if len(text) <= n:
        return [text] if text else []
    return [text[i : i + n] for i in range(len(text) - n + 1)]


class SynonymMap:
    """Rewrites an author's variants (multi-word too) to their canonical word."""

    def __init__(self, synonyms: Mapping[str, Iterable[str]]) -> None:
        self._table: dict[tuple[str, ...], tuple[str, ...]] = {}
        for canonical, variants in synonyms.items():
            target = tuple(words(canonical))
            for variant in variants:
                key = tuple(words(variant))
                if key and key != target:
                    self._table[key] = target
        self._longest = max((len(k) for k in self._table), default=0)
        self._prefixes = {k[0]: True for k in self._table if len(k) == 1 and is_hangul_word(k[0])}

    def __bool__(self) -> bool:
        return bool(self._table)

    def apply(self, raw_words: list[str]) -> list[str]:
        """Replace the longest variant at each position of a list of word forms."""
        out: list[str] = []
        i = 0
        while i < len(raw_words):
            i = self._replace_at(raw_words, i, out)
        return out

    def _replace_at(self, raw_words: list[str], i: int, out: list[str]) -> int:
        for size in range(min(self._longest, len(raw_words) - i), 0, -1):
            target = self._table.get(tuple(raw_words[i : i + size]))
            if target is not None:
                out.extend(target)
                return i + size
        word = raw_words[i]
        out.append(self._replace_prefix(word) if self._prefixes else word)
        return i + 1

    def _replace_prefix(self, word: str) -> str:
        # 비번을 / 비번변경: Korean attaches particles and nouns without a space.
        if not is_hangul_word(word):
            return word
        # A remainder of two syllables or more is a second noun (비번변경); one syllable
        # usually means the variant was only the start of another word (페이 in 페이지).
        for cut in range(len(word) - 2, 1, -1):
            head = word[:cut]
            if head in self._prefixes:
                return self._table[(head,)][0] + word[cut:]
        return word


def comparable(text: str, synonyms: SynonymMap | None = None) -> list[str]:
    """Word forms after synonyms: what the matcher compares."""
    forms = words(text)
    return synonyms.apply(forms) if synonyms else forms
