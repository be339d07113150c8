"""The built-in wording: every text the bot and the desk say has a default in each language."""

from __future__ import annotations

import string

import pytest

from helpline.rules.texts import BUILTIN_TEXTS

LANGUAGES = ("en", "ko")


@pytest.mark.parametrize("key", sorted(BUILTIN_TEXTS))
def test_every_built_in_text_is_written_in_both_languages(key: str) -> None:
    versions = BUILTIN_TEXTS[key]
    assert all(versions.get(lang, "").strip() for lang in LANGUAGES)


@pytest.mark.parametrize("key", sorted(BUILTIN_TEXTS))
def test_both_languages_of_a_text_fill_in_the_same_placeholders(key: str) -> None:
    def names(template: str) -> set[str]:
        return {field for _, field, _, _ in string.Formatter().parse(template) if field}

    en, ko = (names(BUILTIN_TEXTS[key][lang]) for lang in LANGUAGES)
    assert en == ko
