"""Normalisation, word forms, synonyms and language detection in Korean and English."""

from __future__ import annotations

import pytest

from helpline.text import (
    SynonymMap,
    char_ngrams,
    compact,
    comparable,
    detect_language,
    normalize,
    stem,
    strip_particle,
    words,
)

SYNONYMS = SynonymMap(
    {
        "비밀번호": ["비번", "패스워드"],
        "결제": ["결재", "페이"],
        "해지": ["구독 취소", "탈퇴"],
        "password": ["pw", "pass word"],
        "subscription": ["membership", "sub"],
        "please": ["pls", "plz"],
    }
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＨＥＬＬＯ　Ｗｏｒｌｄ", "hello world"),  # full-width letters and space (NFKC)
        ("Why was I CHARGED twice?!", "why was i charged twice"),
        ("can't log in", "cant log in"),
        ("can’t log in", "cant log in"),  # typographic apostrophe
        ("pleaseeeee help", "pleasee help"),  # long runs of one letter
        ("결제가   안 돼요...", "결제가 안 돼요"),
        ("ㅠㅠㅠㅠ 왜 안돼", "ㅠㅠ 왜 안돼"),
        ("  e-mail_address ", "e mail address"),
        ("①번 문의", "1번 문의"),  # circled digit (NFKC)
    ],
)
def test_normalize_folds_width_case_punctuation_and_runs(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("spaced", "unspaced"),
    [
        ("결제가 안 돼요", "결제가안돼요"),
        ("비밀번호 변경 어떻게 해요", "비밀번호변경어떻게해요"),
        ("log in", "login"),
    ],
)
def test_compact_form_ignores_spacing(spaced: str, unspaced: str) -> None:
    assert compact(spaced) == compact(unspaced)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("환불을", "환불"),
        ("결제가", "결제"),
        ("비밀번호는", "비밀번호"),
        ("앱에서", "앱"),
        ("넷플릭스에서는", "넷플릭스"),
        ("카드로", "카드"),
        ("환불도", "환불"),
        ("나이", "나이"),  # a two-syllable stem keeps its last syllable
        ("국가", "국가"),
        ("요금", "요금"),
    ],
)
def test_strip_particle_removes_particles_but_keeps_stems(word: str, expected: str) -> None:
    assert strip_particle(word) == expected


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("환불을 받고 싶어요", "환불 받고 싶어요"),
        ("앱에서 결제가 안돼요", "앱 결제 안돼요"),
        ("my payments failed", "my payment fails"),
        ("charged twice", "charge twice"),
        ("cancelling movies", "cancelling movie"),
    ],
)
def test_word_forms_ignore_particles_and_inflection(one: str, other: str) -> None:
    assert words(one) == words(other)


def test_every_number_has_one_form() -> None:
    assert words("where is order 48213") == words("where is order 7") == words("where is order 0")
    assert words("주문 1234번") == words("주문 98번")


@pytest.mark.parametrize(
    ("word", "expected"),
    [("payments", "payment"), ("failed", "fail"), ("watching", "watch"), ("stopped", "stop"),
     ("cities", "citi"), ("city", "citi"), ("plays", "play"), ("pls", "pls")],
)
def test_stem_is_light_and_consistent(word: str, expected: str) -> None:
    assert stem(word) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("비번을 까먹었어요", ["비밀번호", "까먹었"]),
        ("비번변경 하고 싶어", ["비밀번호변경", "하고", "싶어"]),
        ("결재가 안돼요", ["결제", "안돼"]),
        ("구독 취소 할래요", ["해지", "할래"]),
        ("페이지가 안 열려요", ["페이지", "안", "열려"]),  # 페이 starts another word here
        ("forgot my PW", ["forgot", "my", "password"]),
        ("forgot my pass word", ["forgot", "my", "password"]),
        ("cancel my memberships pls", ["cancel", "my", "subscription", "pleas"]),
        ("subway", ["subway"]),  # a variant inside another word is left alone
    ],
)
def test_synonyms_rewrite_variants_to_their_canonical_word(raw: str, expected: list[str]) -> None:
    assert comparable(raw, SYNONYMS) == expected


def test_char_ngrams_cover_the_text_in_overlapping_pieces() -> None:
    assert char_ngrams("결제오류", 2) == ["결제", "제오", "오류"]
    assert char_ngrams("돈", 2) == ["돈"]
    assert char_ngrams("", 2) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("결제가 안 돼요", "ko"),
        ("my payment failed", "en"),
        ("넷플릭스 password 바꾸고 싶어요", "ko"),
        ("why was i charged twice for StreamFlix 결제", "en"),
        ("ㅠㅠ", "ko"),
        ("WTF", "en"),
        ("1234 !!!", "ko"),  # no letters: the default
        ("😡😡", "ko"),
    ],
)
def test_detect_language_by_script(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_detect_language_uses_the_given_default_without_letters() -> None:
    assert detect_language("??? 123", default="en") == "en"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("\u3000 a\u2028\u2029b\x85\x1cc\t\xa0", "a b c"), ("ＡＢ\u200bＣ", "ab c"),
     ("  ", ""), ("ㅠㅠㅠ  결제!!", "ㅠㅠ 결제"), ("Don't...STOP", "dont stop")],
)  # fmt: skip
def test_every_kind_of_space_becomes_one_space_and_none_is_left_at_the_ends(
    text: str, expected: str
) -> None:
    assert normalize(text) == expected
