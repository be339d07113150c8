"""The matcher on a small hand-written rulebook in Korean and English."""

from __future__ import annotations

import pytest

from helpline.matcher import Candidate, build_matcher
from helpline.matcher.weights import IntentWeights
from helpline.rules.model import Config, Intent, Rulebook

ANSWER, CLARIFY = 80.0, 55.0

EXAMPLES = {
    "reset_password": (
        ["i forgot my password", "reset my password", "can't log in, forgot password",
         "how do i change my password", "password reset link not working"],
        ["비밀번호를 잊어버렸어요", "비밀번호 재설정", "비밀번호 변경하고 싶어요",
         "로그인이 안 돼요 비밀번호 까먹음", "비밀번호 찾기"],
    ),
    "payment_failed": (
        ["my payment failed", "card was declined", "why can't i pay",
         "payment error when paying", "my card keeps getting declined"],
        ["결제가 안 돼요", "카드 결제 실패", "결제 오류가 나요", "카드가 거절됐어요",
         "결제하려는데 계속 실패해요"],
    ),
    "cancel_subscription": (
        ["cancel my subscription", "how do i cancel", "i want to stop my plan",
         "end my membership", "stop billing me every month"],
        ["구독 해지하고 싶어요", "해지 방법 알려주세요", "멤버십 해지", "정기결제 그만하고 싶어요",
         "구독 끊고 싶어요"],
    ),
    "refund_request": (
        ["i want a refund", "can i get my money back", "refund my last payment",
         "charged twice please refund", "how long does a refund take"],
        ["환불 받고 싶어요", "환불해 주세요", "돈 돌려받을 수 있나요", "두 번 결제됐는데 환불",
         "환불 언제 돼요"],
    ),
    "playback_error": (
        ["video won't play", "the movie keeps buffering", "playback error on my tv",
         "black screen when i play a show", "stream stops every few minutes"],
        ["영상이 재생이 안 돼요", "버퍼링이 너무 심해요", "재생 오류가 나요", "화면이 검게 나와요",
         "영상이 자꾸 끊겨요"],
    ),
    "talk_to_agent": (
        ["talk to a human", "i want a real person", "connect me to an agent",
         "customer service representative please", "let me speak to someone"],
        ["상담원 연결해 주세요", "사람이랑 얘기하고 싶어요", "상담사 바꿔줘", "직원 연결",
         "사람 불러줘"],
    ),
}

SYNONYMS = {
    "비밀번호": ("비번", "패스워드"),
    "결제": ("결재",),
    "해지": ("구독취소", "구독 취소"),
    "password": ("pw", "pwd"),
    "subscription": ("sub", "membership"),
    "please": ("pls", "plz"),
}


def _rulebook() -> Rulebook:
    intents = tuple(
        Intent(name, "support", {"en": tuple(en), "ko": tuple(ko)}, {"en": "-", "ko": "-"})
        for name, (en, ko) in EXAMPLES.items()
    )
    return Rulebook(Config(synonyms=SYNONYMS), intents)


@pytest.fixture(scope="module")
def matcher():  # type: ignore[no-untyped-def]
    return build_matcher(_rulebook())


def _top(matcher, text: str) -> Candidate:  # type: ignore[no-untyped-def]
    found = matcher.match(text)
    assert found, f"nothing matched {text!r}"
    return found[0]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I forgot my password", "reset_password"),
        ("i forgot my pasword", "reset_password"),  # typo
        ("paymnet faild", "payment_failed"),  # typos
        ("failed payment", "payment_failed"),  # word order
        ("forgot my pw", "reset_password"),  # synonym
        ("cancel my sub pls", "cancel_subscription"),  # synonyms
        ("wtf why charged twice, refund", "refund_request"),
        ("how can i cancel", "cancel_subscription"),
        ("i want to talk to a person", "talk_to_agent"),
    ],
)
def test_english_messages_match_their_intent(matcher, text: str, intent: str) -> None:  # type: ignore[no-untyped-def]
    assert _top(matcher, text).intent == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("비밀번호를 잊어버렸어요", "reset_password"),
        ("비밀번호잊어버렸어요", "reset_password"),  # no spacing
        ("비번 까먹었어요", "reset_password"),  # synonym
        ("결제가안돼요", "payment_failed"),  # no spacing
        ("결재가 안돼요", "payment_failed"),  # common misspelling, listed as a synonym
        ("졀제 오류", "payment_failed"),  # typo in one letter of a syllable
        ("재샹이 안돼요", "playback_error"),  # typo
        ("환볼 받고 싶어요", "refund_request"),  # typo
        ("카드결제 실패했어요", "payment_failed"),
        ("구독취소 할래요", "cancel_subscription"),  # synonym, multi-word variant
        ("환불을 받고 싶어요", "refund_request"),  # particle
        ("영상 재생이 안돼요", "playback_error"),
        ("상담원이랑 연결해줘", "talk_to_agent"),
    ],
)
def test_korean_messages_match_their_intent(matcher, text: str, intent: str) -> None:  # type: ignore[no-untyped-def]
    assert _top(matcher, text).intent == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [("졀제 오류", "payment_failed"), ("비밀번허 재설정", "reset_password"),
     ("my paymnet faild", "payment_failed"), ("cancle my subscription", "cancel_subscription")],
)
def test_a_typo_costs_little_score(matcher, text: str, intent: str) -> None:  # type: ignore[no-untyped-def]
    top = _top(matcher, text)
    assert top.intent == intent and top.score >= ANSWER


@pytest.mark.parametrize(
    "text",
    ["I forgot my password", "my payment failed", "비밀번호를 잊어버렸어요", "결제가 안 돼요",
     "결제가안돼요", "cancel my subscription"],
)
def test_a_message_like_an_example_scores_at_or_above_answer(matcher, text: str) -> None:  # type: ignore[no-untyped-def]
    assert _top(matcher, text).score >= ANSWER


@pytest.mark.parametrize(
    "text",
    [
        "what is the weather like in paris",
        "my password for the wifi at home is weak",  # shares "password"
        "how do i pay my electricity bill",  # shares "pay"
        "play some jazz music",  # shares "play"
        "오늘 날씨 어때요",
        "비밀번호가 들어간 노래 추천해줘",  # shares 비밀번호
        "영화 추천해 주세요",
    ],
)
def test_out_of_scope_messages_score_below_answer(matcher, text: str) -> None:  # type: ignore[no-untyped-def]
    found = matcher.match(text)
    assert not found or found[0].score < ANSWER


def _explained(matcher, text: str) -> Candidate:  # type: ignore[no-untyped-def]
    return matcher.match(text, explain=True)[0]  # type: ignore[no-any-return]


def test_evidence_is_left_out_unless_asked_for(matcher) -> None:  # type: ignore[no-untyped-def]
    assert _top(matcher, "my payment failed again").evidence == ()


def test_evidence_names_the_example_and_the_words(matcher) -> None:  # type: ignore[no-untyped-def]
    top = _explained(matcher, "my payment failed again")
    assert "example: 'my payment failed'" in top.evidence
    words = next(e for e in top.evidence if e.startswith("words: "))
    assert "payment(" in words and "fail(" in words


def test_one_candidate_per_intent_best_first(matcher) -> None:  # type: ignore[no-untyped-def]
    found = matcher.match("payment failed, refund please, cancel", limit=6)
    names = [c.intent for c in found]
    assert len(names) == len(set(names))
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)


def test_limit_caps_the_number_of_candidates(matcher) -> None:  # type: ignore[no-untyped-def]
    assert len(matcher.match("payment failed, refund please, cancel", limit=2)) == 2


@pytest.mark.parametrize("text", ["", "   ", "?!?", "ㅋㅋㅋㅋ"])
def test_a_message_without_words_matches_nothing(matcher, text: str) -> None:  # type: ignore[no-untyped-def]
    assert matcher.match(text) == []


def test_scores_stay_on_the_0_to_100_scale(matcher) -> None:  # type: ignore[no-untyped-def]
    for text in ("cancel my subscription", "hello there", "결제 오류가 나요"):
        for candidate in matcher.match(text):
            assert 0.0 <= candidate.score <= 100.0


def test_matching_is_deterministic() -> None:
    first = build_matcher(_rulebook()).match("refund my payment pls")
    second = build_matcher(_rulebook()).match("refund my payment pls")
    assert first == second


def test_a_very_long_message_is_matched_on_its_start(matcher) -> None:  # type: ignore[no-untyped-def]
    text = "my payment failed " + "blah " * 5000
    assert _top(matcher, text).intent == "payment_failed"


def test_an_order_number_no_example_holds_counts_like_the_ones_they_do() -> None:
    examples = ["where is my order 1234", "track order 5521", "has order 87 shipped yet",
                "my package has not arrived", "when will my order arrive"]
    intents = (
        *_rulebook().intents,
        Intent("track_order", "support", {"en": tuple(examples)}, {"en": "-"}),
    )
    matcher = build_matcher(Rulebook(Config(synonyms=SYNONYMS), intents))
    with_number = _top(matcher, "where is my order 99812")
    assert with_number.intent == "track_order"
    # a number is not a word the examples never use: it does not pull the score down
    assert with_number.score >= _top(matcher, "where is my order").score


def test_evidence_names_the_intent_words_that_speak_for_it(matcher) -> None:  # type: ignore[no-untyped-def]
    top = _explained(matcher, "my payment failed again")
    learned = next(e for e in top.evidence if e.startswith("intent words: "))
    assert "fail(+" in learned and "payment(+" in learned


def _weights(rows: list[tuple[int, dict[str, float]]], n_intents: int) -> IntentWeights:
    return IntentWeights(rows, n_intents)


def test_an_intents_own_word_has_higher_log_odds_there_than_elsewhere() -> None:
    rows = [(0, {"w:refund": 1.0, "w:money": 1.0}), (0, {"w:refund": 1.0}),
            (1, {"w:password": 1.0}), (1, {"w:password": 1.0, "w:money": 1.0})]
    weights = _weights(rows, 2)
    assert weights.log_odds({"w:refund": 1.0}, 0) > 0 > weights.log_odds({"w:refund": 1.0}, 1)


def test_leaving_out_an_intents_only_use_of_a_word_removes_its_weight() -> None:
    rows = [(0, {"w:refund": 1.0}), (0, {"w:money": 1.0}), (1, {"w:password": 1.0})]
    weights = _weights(rows, 2)
    message = {"w:money": 1.0}
    assert weights.log_odds(message, 0, without={"w:money": 1.0}) < weights.log_odds(message, 0)


@pytest.mark.parametrize(("examples", "trusted"), [(1, False), (2, True), (100, True)])
def test_learned_weights_are_trusted_only_beyond_one_example(examples: int, trusted: bool) -> None:
    weights = _weights([(0, {"w:a": 1.0})] * examples, 1)
    assert (weights.trust(0) > 0) is trusted


def test_learned_weights_are_trusted_more_with_more_examples() -> None:
    few = _weights([(0, {"w:a": 1.0})] * 5, 1)
    many = _weights([(0, {"w:a": 1.0})] * 100, 1)
    assert few.trust(0) < many.trust(0) < 1.0
