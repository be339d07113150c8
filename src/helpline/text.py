"""Text normalisation and language detection for Korean and English messages."""

from __future__ import annotations

import re
import unicodedata

_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)
_SPACE = re.compile(r"\s+")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile(r"[A-Za-z]")


def normalize(text: str, language: str | None = None) -> str:
    """NFKC, lower case, punctuation to spaces, collapsed whitespace."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def detect_language(text: str, default: str = "ko") -> str:
    """'ko' when Hangul outweighs Latin letters, 'en' when Latin does, else default."""
    hangul = len(_HANGUL.findall(text))
    latin = len(_LATIN.findall(text))
    if hangul == 0 and latin == 0:
        return default
    return "ko" if hangul * 2 >= latin else "en"
