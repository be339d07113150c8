"""Surface cues of a message: its words and Hangul run, shouting, and undone obfuscation."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from helpline.mood.lexicon import WordList

# Fullwidth ASCII (！？Ａ) and curly apostrophes, mapped without a full NFKC pass: NFKC would
# also turn compatibility jamo (ㅅㅂ, ㅠㅠ) into conjoining jamo that the lists do not use.
_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x2019: 0x27, 0x2018: 0x27}
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_ODD_TOKEN = re.compile(r"[a-z0-9$@*!]*[a-z$@][a-z0-9$@*!]*")
_ODD_CHAR = re.compile(r"[0-9$@*!]")  # without one, every _ODD_TOKEN is letters alone
_NOT_HANGUL = re.compile(r"[^\uac00-\ud7a3\u3131-\u318e^]+")
_LETTER_RUN = re.compile(r"([a-z])\1{2,}")
_LEET = str.maketrans("$@0134579!", "saoieastgi")
_NUMBERISH = re.compile(r"^\d+[a-z]{0,3}$")  # 24hrs, 2nd, 10am: not obfuscation

_CAPS_WORD = re.compile(r"\b[A-Z]{4,}\b")
_UPPER = re.compile(r"[A-Z]")
_LATIN = re.compile(r"[A-Za-z]")
_BANGS = re.compile(r"!{2,}|[?!]*\?[?!]*![?!]*|\?{3,}")
_GLARE = re.compile(r"ㅡ{2,}|;{2,}|-_-|ㅗ")
_CRYING = re.compile(r"[ㅠㅜ]{2,}")
_OPENING_NO = re.compile(r"^\W*아니(?![요오]|에요|었)")


@dataclass(frozen=True)
class Surface:
    """What the scanners read: lower-case English words and the message's Hangul run."""

    raw: str  # NFC, fullwidth undone, original case
    words: tuple[str, ...]
    odd_tokens: tuple[str, ...]  # tokens mixing letters with digits or symbols (sh1t, f*ck, $hit)
    hangul: str  # Hangul and jamo only, spaces and punctuation removed (시.발 -> 시발)


# A turn reads one text's surface for its score, for a request for a person and for
# negative feedback: kept for the last few texts (a pure function of the text; immutable).
@lru_cache(maxsize=256)
def surface(text: str) -> Surface:
    if not text.isascii():
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        text = text.translate(_WIDTH)
    lower = text.lower()
    odd: tuple[str, ...] = ()
    if _ODD_CHAR.search(lower):  # most texts have no digit or symbol: nothing to look at
        odd = tuple(t for t in (t.strip("!") for t in _ODD_TOKEN.findall(lower)) if _is_odd(t))
    hangul = "" if lower.isascii() else _NOT_HANGUL.sub("", lower)
    return Surface(text, tuple(_WORD.findall(lower)), odd, hangul)


def _is_odd(token: str) -> bool:
    return bool(token) and not token.isalpha() and not _NUMBERISH.match(token)


def shouting(raw: str) -> float:
    """Caps lock, !!!, ?!?, ㅡㅡ, ;;, and repeated ㅠㅠ, each worth a little, summed."""
    score = 0.0
    letters = len(_LATIN.findall(raw))
    if letters >= 8 and len(_UPPER.findall(raw)) >= 0.6 * letters:
        score += 2.0
    elif len(_CAPS_WORD.findall(raw)) >= 2:
        score += 1.0
    score += min(len(_BANGS.findall(raw)), 2) * 1.0
    score += 1.5 if _GLARE.search(raw) else 0.0
    crying = _CRYING.findall(raw)
    score += 1.5 if any(len(c) >= 4 for c in crying) else 0.8 if crying else 0.0
    score += 1.0 if _OPENING_NO.search(raw) else 0.0
    return score


def unmasked_words(found: Surface, profanity: WordList) -> list[str]:
    """Extra candidate words recovered from obfuscation: leet, stars, stretched letters, spacing."""
    extra = [_unleet(t, profanity) for t in found.odd_tokens]
    for word in found.words:
        if _LETTER_RUN.search(word) and not _known(word, profanity):
            variants = (_LETTER_RUN.sub(r"\1", word), _LETTER_RUN.sub(r"\1\1", word))
            extra.append(next((v for v in variants if _known(v, profanity)), ""))
    extra += _unspaced(found.words)
    return [w for w in extra if w]


def _known(word: str, profanity: WordList) -> bool:
    return profanity.scan([word])[1] > 0


def _unleet(token: str, profanity: WordList) -> str:
    plain = token.translate(_LEET)
    if "*" not in plain:
        return plain
    pattern = re.compile(plain.replace("*", "[a-z]") + "$")
    known = list(profanity.words) + list(profanity.stems)
    return next((w for w in known if pattern.match(w)), "")


def _unspaced(words: tuple[str, ...]) -> list[str]:
    """'f u c k' -> 'fuck': runs of three or more single letters, joined."""
    out: list[str] = []
    run: list[str] = []
    for w in [*words, ""]:
        if len(w) == 1:
            run.append(w)
            continue
        if len(run) >= 3:
            out.append("".join(run))
        run = []
    return out
