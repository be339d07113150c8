"""Text normalisation, word forms, synonyms and language detection for Korean and English."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

_APOSTROPHE = re.compile(r"['\u2019`]")
_PUNCT = re.compile(r"[^\w\s]+|_", re.UNICODE)
_REPEAT = re.compile(r"(.)\1{2,}")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile(r"[a-z]")
_WORD = re.compile(r"[0-9]+|[a-z]+|[\uac00-\ud7a3]+|[\u3130-\u318f]+|[^\W\d_]+", re.UNICODE)

# Particles and polite endings that change a Korean word's shape but not its topic.
# Longest first, so 에서는 goes before 에서 and 는.
_KO_PARTICLES = (
    "을", "를", "이", "가", "은", "는", "에", "의", "도", "만", "와", "과", "로", "랑", "께",
    "에서", "으로", "에게", "한테", "까지", "부터", "처럼", "보다", "이랑", "이나", "라도",
    "마다", "밖에", "에서는", "에서도", "으로는", "으로도", "에는", "에도", "로는", "로도",
)
_KO_ENDINGS = (
    "요", "만요", "이요", "이에요", "예요", "에요", "인가요", "나요", "까요", "는데", "은데",
    "인데", "해요", "하고", "해서", "해줘", "해주세요", "주세요", "해줄래", "할래", "합니다",
    "습니다", "입니다", "어요", "아요", "네요", "죠", "고요",
)
_KO_SUFFIXES = tuple(sorted(set(_KO_PARTICLES + _KO_ENDINGS), key=len, reverse=True))
_KO_SUFFIX_SET = frozenset(_KO_SUFFIXES)
_KO_LONGEST = len(_KO_SUFFIXES[0])


# NFKC turns a lone ㅠ or ㅋ into a combining jamo; customers type the standalone letter.
_LONE_JAMO = {
    ord(unicodedata.normalize("NFKC", chr(c))): chr(c)
    for c in range(0x3131, 0x318F)
    if len(unicodedata.normalize("NFKC", chr(c))) == 1
}


def normalize(text: str, language: str | None = None) -> str:
    """NFKC, case folding, apostrophes dropped, other punctuation to spaces, runs of 3+ to 2."""
    return _normal_form(text)


# The bot reads one message several times in a turn (matching, repeat check, memory), and
# customers send the same few texts again and again: the latest texts' forms are kept.
@functools.lru_cache(maxsize=4096)
def _normal_form(text: str) -> str:
    form = unicodedata.normalize("NFKC", text).casefold()
    if not form.isascii():  # the jamo are not: translate looks up every character (20% here)
        form = form.translate(_LONE_JAMO)
    form = _APOSTROPHE.sub("", form)
    form = _PUNCT.sub(" ", form)
    form = _REPEAT.sub(r"\1\1", form)
    # as re.sub(r"\s+", " ", form).strip() in a fifth of the time: both split on isspace()
    return " ".join(form.split())


@functools.lru_cache(maxsize=4096)  # a turn asks once or twice; texts repeat
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


def mostly_hangul(words: Sequence[str]) -> bool:
    """At least half the letters of the words are in Hangul words (False for none)."""
    hangul = sum(len(w) for w in words if is_hangul_word(w))
    return hangul * 2 >= sum(len(w) for w in words) > 0


def strip_particle(word: str) -> str:
    """The Korean word without a trailing particle or ending; a one-syllable particle must
    leave two syllables (나이 is not 나 + 이), a longer one may leave one (앱에서)."""
    for size in range(min(_KO_LONGEST, len(word) - 1), 0, -1):
        if word[-size:] in _KO_SUFFIX_SET and len(word) - size >= (2 if size == 1 else 1):
            return word[:-size]
    return word


def stem(word: str) -> str:
    """A light English stem (plurals, -ing, -ed, -ly, final e and y); the same on both sides
    of a comparison is what matters, not linguistic accuracy."""
    if len(word) <= 3 or not word.isascii():
        return word
    word = _strip_plural(word)
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = _undouble(word[: -len(suffix)])
            break
    else:
        if word.endswith("ly") and len(word) > 5:
            word = word[:-2]
    if len(word) > 4 and word.endswith("e") and not word.endswith("ee"):
        return word[:-1]
    if len(word) > 3 and word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "i"
    return word


def _strip_plural(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "i"
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _undouble(base: str) -> str:
    if len(base) >= 3 and base[-1] == base[-2] and base[-1] not in "lsz":
        return base[:-1]
    return base


def split_words(normalized: str) -> list[str]:
    """Words of a normalised text; Hangul, Latin and digit runs are separate words."""
    return _WORD.findall(normalized)


# Every number has one form: an order number, an amount or a date in a message is rarely
# one an example holds, and as a word never seen it would weigh as much as the rarest word
# and pull the message away from the examples it is like ("track order 48213"). As one
# form, numbers weigh as little as they tell intents apart. On validation: clinc150 90.5 ->
# 90.8 in-scope at 88% out-of-scope recall, its 10-shot set 78.8 -> 79.4; the rest moved
# within 0.2.
NUMBER = "0"


# A message's words are mostly words seen before, and a word's form is asked for several
# times per message (synonyms, known-word lookup, features): remembered, not recomputed.
@functools.lru_cache(maxsize=1 << 15)
def word_form(word: str) -> str:
    """The comparable form of one word: particle-stripped Korean, stemmed English, or
    NUMBER for a run of digits."""
    if word.isdigit():
        return NUMBER
    return strip_particle(word) if is_hangul_word(word) else stem(word)


def words(text: str, language: str | None = None) -> list[str]:
    """Comparable word forms of a raw text, in order."""
    return [word_form(w) for w in split_words(normalize(text, language))]


def compact(text: str) -> str:
    """The spacing-insensitive form: the normalised text without spaces."""
    return "".join(split_words(normalize(text)))


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
            target = tuple(split_words(normalize(canonical)))
            for variant in variants:
                key = tuple(split_words(normalize(variant)))
                if key and key != target:
                    self._table[key] = target
                    # memberships -> membership: the stemmed spelling is a variant too.
                    self._table.setdefault(tuple(word_form(w) for w in key), target)
        self._longest = max((len(k) for k in self._table), default=0)
        self._prefixes = {k[0]: True for k in self._table if len(k) == 1 and is_hangul_word(k[0])}

    def __bool__(self) -> bool:
        return bool(self._table)

    def pairs(self) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        """Each variant's words and its canonical words: all that decides what apply()
        does, so what caches matching work is keyed by."""
        return list(self._table.items())

    def apply(self, raw_words: list[str]) -> list[str]:
        """Replace the longest variant at each position of a list of normalised words."""
        out: list[str] = []
        forms = [word_form(w) for w in raw_words]  # once, not once per piece tried
        i = 0
        while i < len(raw_words):
            i = self._replace_at(raw_words, forms, i, out)
        return out

    def _replace_at(self, raw_words: list[str], forms: list[str], i: int, out: list[str]) -> int:
        table = self._table
        for size in range(min(self._longest, len(raw_words) - i), 0, -1):
            end = i + size
            target = table.get(tuple(raw_words[i:end])) or table.get(tuple(forms[i:end]))
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
        # After the variant comes a particle (비번을) or a second noun (비번변경); a single
        # syllable usually means the variant was only the start of a word (페이 in 페이지).
        for cut in range(len(word) - 1, 1, -1):
            head = word[:cut]
            if head in self._prefixes and _starts_new_part(word[cut:]):
                return self._table[(head,)][0] + word[cut:]
        return word


def _starts_new_part(rest: str) -> bool:
    """True when what follows a variant is a particle or another word of 2+ syllables."""
    if strip_particle("가나" + rest) == "가나":
        return True
    for suffix in _KO_SUFFIXES:
        if rest.endswith(suffix) and len(rest) > len(suffix):
            return len(rest) - len(suffix) >= 2
    return len(rest) >= 2


def comparable(text: str, synonyms: SynonymMap | None = None) -> list[str]:
    """Word forms after synonyms: what the matcher compares."""
    raw = split_words(normalize(text))
    return [word_form(w) for w in (synonyms.apply(raw) if synonyms else raw)]
