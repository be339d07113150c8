"""The hot path's shortcuts give what the plain computations give."""

from __future__ import annotations

from pathlib import Path

import pytest
from rapidfuzz import fuzz

from helpline import mood
from helpline.matcher import SoftIdfMatcher, build_matcher
from helpline.matcher.scorer import score_intents
from helpline.rules import load_rulebook
from helpline.text import normalize

RULES = Path(__file__).resolve().parents[1] / "bot_rules"
MESSAGES = (
    "I forgot my password", "비밀번호를 잊어버렸어요", "my card was declined!!",
    "결제가 안돼요", "how many screens can I watch on", "talk to a human please",
    "요금제 변경하고 싶어요", "wierd error when i play a movie", "",
)  # fmt: skip


@pytest.fixture(scope="module")
def matcher() -> SoftIdfMatcher:
    built = build_matcher(load_rulebook(RULES))
    assert isinstance(built, SoftIdfMatcher)
    return built


@pytest.mark.parametrize("text", [t for t in MESSAGES if t])
def test_word_sort_is_what_token_sort_ratio_compares(matcher: SoftIdfMatcher, text: str) -> None:
    query = matcher.index.query(text)
    for example in matcher.index.examples[::50]:
        assert fuzz.ratio(query.sorted_plain, example.sorted_plain) == fuzz.token_sort_ratio(
            query.plain, example.plain
        )


@pytest.mark.parametrize("text", [t for t in MESSAGES if t])
def test_log_odds_each_equals_log_odds_one_by_one(matcher: SoftIdfMatcher, text: str) -> None:
    weights, vector = matcher.index.weights, matcher.index.query(text).vector
    intents = list(range(len(matcher.index.intents)))
    assert weights.log_odds_each(vector, intents) == [weights.log_odds(vector, i) for i in intents]


@pytest.mark.parametrize("limit", [1, 3, 5])
def test_limited_scores_are_the_head_of_all_scores(matcher: SoftIdfMatcher, limit: int) -> None:
    query = matcher.index.query("I forgot my password and cannot log in")
    assert (
        score_intents(matcher.index, query, limit=limit)
        == score_intents(matcher.index, query)[:limit]
    )


def test_normalize_gives_each_text_its_own_form_when_texts_alternate() -> None:
    expected = {"HELLO!!!  World": "hello world", "결제가   안돼요ㅠㅠㅠ": "결제가 안돼요ㅠㅠ"}
    for _ in range(3):
        for text, form in expected.items():
            assert normalize(text) == form


def test_asking_for_a_person_is_judged_on_the_text_asked_about() -> None:
    mood.score_message("talk to a human please", "en")
    assert not mood.wants_human("my card was declined", "en")
    mood.score_message("my card was declined", "en")
    assert mood.wants_human("talk to a human please", "en")


@pytest.mark.parametrize("text", MESSAGES)
def test_a_repeated_text_gets_what_matching_it_afresh_gives(
    matcher: SoftIdfMatcher, text: str
) -> None:
    matcher.match(text)  # now remembered
    assert matcher.match(text) == matcher._matched(text, 5, explain=False)
    assert matcher.match(text, limit=2) == matcher._matched(text, 2, explain=False)


def test_a_remembered_answer_cannot_be_changed_by_its_caller(matcher: SoftIdfMatcher) -> None:
    first = matcher.match("I forgot my password")
    first.clear()
    assert matcher.match("I forgot my password") != []


def test_the_matcher_remembers_a_bounded_number_of_texts() -> None:
    rows = [("reset_password", "i forgot my password"), ("payment_failed", "my card was declined")]
    small = SoftIdfMatcher(rows, recent=3)
    for text in ("password", "card", "forgot password", "declined card"):
        small.match(text)
    assert [text for text, _ in small._recent] == ["card", "forgot password", "declined card"]
    small.match("card")  # used again: now the newest
    small.match("my password")
    assert [text for text, _ in small._recent] == ["declined card", "card", "my password"]
