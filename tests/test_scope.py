"""Whose product a message is about (scope.py), and what the bot does with another's."""

from __future__ import annotations

import pytest

from helpline import dialogue
from helpline.matcher import build_matcher
from helpline.rules import load_rulebook
from helpline.scope import Scope
from helpline.turn import ConversationState, Inbound, Turn

SCOPE = Scope(
    ours=("streamflix", "스트림플릭스", "네이버페이"),
    not_ours=("instagram", "disney+", "tracking number", "디즈니플러스", "네이버", "배송"),
)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("how do I delete my instagram account", "instagram"),
        ("How do I delete my Instagram account?", "instagram"),
        ("is disney+ cheaper", "disney+"),
        ("where do I find the tracking  number", "tracking number"),
        ("디즈니플러스 해지는 어떻게 해요", "디즈니플러스"),
        ("디즈니 플러스에서 해지는", "디즈니플러스"),  # Korean terms ignore spacing
        ("배송지를 바꾸고 싶어요", "배송"),
        ("네이버 2단계 인증 해제", "네이버"),
    ],
)
def test_a_message_naming_another_product_is_found(text: str, named: str) -> None:
    assert SCOPE.other_subject(text) == named


@pytest.mark.parametrize(
    "text",
    [
        "how do I delete my account",
        "instagrammer here, how do I cancel",  # whole words only in English
        "I moved from instagram ads to streamflix, how do I pay",  # names ours too
        "네이버페이로 결제가 안 돼요",  # a payment method we accept, though it holds 네이버
        "disney",
    ],
)
def test_a_message_about_us_is_not_flagged(text: str) -> None:
    assert SCOPE.other_subject(text) is None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("배송이랑 디즈니플러스 문의요", "디즈니플러스"),  # the longest term, not the leftmost
        ("결제가 안 돼요", None),  # Korean, naming nothing listed
        ("인스타 말고 instagram 계정이요", "instagram"),
    ],
)
def test_a_korean_message_gets_the_first_listed_term_it_names(
    text: str, named: str | None
) -> None:
    assert SCOPE.other_subject(text) == named


def test_no_list_flags_nothing() -> None:
    assert Scope().other_subject("how do I delete my instagram account") is None


def _first_reply(text: str) -> Turn:
    rulebook = load_rulebook("bot_rules")
    state = dialogue.greet(rulebook, ConversationState(), 0.0).state
    inbound = Inbound("text", 1.0, text)
    return dialogue.respond(rulebook, build_matcher(rulebook), state, inbound)


@pytest.mark.parametrize(
    "text",
    ["how do I delete my instagram account", "디즈니플러스 해지는 어떻게 해요",
     "I want to change the shipping address", "핸드폰 요금이 두 번 빠져나갔어요",
     "이마트에서 카드 결제가 안 돼요"],
)  # fmt: skip
def test_the_shipped_bot_does_not_answer_about_another_product(text: str) -> None:
    turn = _first_reply(text)
    assert turn.decision.decision == "fallback"
    assert "not_ours" in turn.decision.reasons
    assert all(r.kind != "answer" for r in turn.replies)
    # it says why, and what it can help with instead
    text = turn.replies[0].text
    assert ("another company" in text or "다른 회사" in text) and "\n- " in text


@pytest.mark.parametrize(
    ("text", "intent"),
    [("how do I delete a profile on streamflix", "delete_profile"),
     ("스트림플릭스 해지는 어떻게 해요", "cancel_subscription"),
     ("스트림플릭스 카드 결제가 자꾸 실패해요", "payment_failed")],
)  # fmt: skip
def test_the_shipped_bot_answers_the_same_question_about_us(text: str, intent: str) -> None:
    turn = _first_reply(text)
    assert turn.decision.decision == "answer"
    assert turn.decision.intent == intent


ABOUT_US = Scope(
    ours=("streamflix", "스트림플릭스"),
    not_ours=("instagram", "share price", "remote batteries"),
    not_answered=("job openings", "stock", "채용", "드라마 추천"),
)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("does streamflix have any job openings", "job openings"),
        ("is StreamFlix a good stock to buy", "stock"),
        ("스트림플릭스 채용 공고 있나요", "채용"),
        ("스트림플릭스에서 볼 드라마 추천 좀", "드라마추천"),
        ("any job openings?", "job openings"),  # with no name at all, too
    ],
)
def test_a_subject_not_answered_is_found_even_when_it_names_us(text: str, named: str) -> None:
    assert ABOUT_US.other_subject(text) == named
    assert ABOUT_US.is_not_answered(named)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("what is their share price", "share price"),
        ("my remote batteries are dead", "remote batteries"),
    ],
)
def test_a_term_not_ours_is_not_taken_for_one_not_answered(text: str, named: str) -> None:
    assert ABOUT_US.other_subject(text) == named
    assert not ABOUT_US.is_not_answered(named)


def test_naming_us_still_clears_a_term_not_ours() -> None:
    assert ABOUT_US.other_subject("my streamflix remote batteries are dead") is None


@pytest.mark.parametrize(
    "text",
    ["does streamflix have any job openings", "who is the ceo of streamflix",
     "is streamflix a good stock to buy", "whats the best show on streamflix to watch",
     "스트림플릭스에 입사하고 싶은데 채용 어디서 봐요", "스트림플릭스 대표가 누구야",
     "스트림플릭스 주식 지금 사면 오를까", "스트림플릭스에서 제일 재밌는 드라마 추천해줘"],
)  # fmt: skip
def test_the_shipped_bot_does_not_answer_what_is_not_its_to_answer_about_us(text: str) -> None:
    turn = _first_reply(text)
    assert turn.decision.decision == "fallback"
    assert "not_answered" in turn.decision.reasons
    assert all(r.kind != "answer" for r in turn.replies)
    said = turn.replies[0].text  # why, and what it can help with instead
    assert "not something I can answer" in said or "답해 드릴 수 없어요" in said
    assert "\n- " in said


@pytest.mark.parametrize(
    "text",
    ["my tv remote wont turn the tv on", "리모컨으로 티비가 안 켜져요",
     "my headphones only work in one ear", "이어폰 한쪽만 소리 나요"],
)  # fmt: skip
def test_the_shipped_bot_does_not_answer_about_a_device_s_own_hardware(text: str) -> None:
    turn = _first_reply(text)
    assert turn.decision.decision == "fallback"
    assert "not_ours" in turn.decision.reasons


@pytest.mark.parametrize(
    ("text", "intent"),
    [("my streamflix app remote login code", "tv_app_login"),
     ("typing a password with the tv remote is painful", "tv_app_login"),
     ("리모컨으로 비번 치기 너무 힘들어요", "tv_app_login")],
)  # fmt: skip
def test_the_shipped_bot_still_answers_about_the_tv_remote(text: str, intent: str) -> None:
    turn = _first_reply(text)
    assert turn.decision.intent == intent
    assert turn.decision.decision == "answer"


@pytest.mark.parametrize(
    "text",
    ["which plan would you recommend for a family", "스트림플릭스 요금제 추천해 주세요",
     "the app won't turn on my tv's subtitles", "TV 앱이 안 켜져요", "기본 사양이 뭐예요",
     "화면 접속이 안 돼요", "가입 사은품 있나요", "태블릿 기기 자막이 안 나와요",
     "I lost my job, can I pause my subscription", "my brother shares my account"],
)  # fmt: skip
def test_the_shipped_scope_leaves_questions_for_us_alone(text: str) -> None:
    assert load_rulebook("bot_rules").config.scope.other_subject(text) is None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("is hbo max cheaper", "hbo max"),  # the longer of two terms sharing a start
        ("is hbo  max cheaper", "hbo max"),
        ("hbo maximum resolution", "hbo"),  # the longer one is not a whole word here
        ("hbox", None),
        ("disney+ or disney plus", "disney+"),
        ("apple tv", None),  # a prefix of a term is not the term
        ("my apple tv+ sub", "apple tv+"),
    ],
)
def test_terms_that_share_a_start_are_told_apart(text: str, named: str | None) -> None:
    scope = Scope(not_ours=("hbo", "hbo max", "disney+", "disney plus", "apple tv+"))
    assert scope.other_subject(text) == named
