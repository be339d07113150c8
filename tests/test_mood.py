"""Frustration detection: per-message cues in Korean and English, and the decaying level."""

from __future__ import annotations

import pytest

from helpline.mood import (
    FALLBACK_SIGNAL,
    NEGATIVE_FEEDBACK_SIGNAL,
    REPEAT_SIGNAL,
    MessageMood,
    conversation_signal,
    is_negative_feedback,
    score_message,
    update_level,
    wants_human,
)
from helpline.rules.model import FrustrationSettings

ESCALATE_AT = FrustrationSettings().escalate_at
SETTINGS = FrustrationSettings(escalate_at=0.7, half_life_s=300.0)


@pytest.mark.parametrize(
    "text",
    [
        "How do I change my password?",
        "Can I watch on two TVs at once?",
        "hi, what plans do you have",
        "Thanks, that worked!",
        "비밀번호 변경은 어떻게 하나요?",
        "요금제 종류 알려주세요",
        "안녕하세요 다운로드 방법 궁금해요",
        "감사합니다 해결됐어요",
    ],
)
def test_calm_message_scores_near_zero(text: str) -> None:
    assert score_message(text).score < 0.05


@pytest.mark.parametrize(
    "text",
    [
        "THIS APP IS FUCKING USELESS",
        "WTF I WAS CHARGED TWICE!!!",
        "씨발 또 안되네 ㅡㅡ",
        "아 진짜 짜증나 몇 번째야!!!",
    ],
)
def test_profanity_with_shouting_reaches_escalation_in_one_message(text: str) -> None:
    assert score_message(text).score >= ESCALATE_AT


@pytest.mark.parametrize(
    "text",
    [
        "fuck this",
        "f*ck this",
        "f**k",
        "sh1t service",
        "$hit service",
        "fuuuuck",
        "f u c k",
        "this is bullsh!t",
        "시발",
        "시1발",
        "ㅅㅂ",
        "ㅆ ㅂ",
        "병.신",
        "존나 느리네",
        "개같은 앱",
    ],
)
def test_profanity_is_found_through_obfuscation(text: str) -> None:
    assert "profanity" in score_message(text).reasons


@pytest.mark.parametrize(
    "text",
    [
        "시발점에서 다시 시작",
        "시바견 사진",
        "class assignment",
        "hello there",
        "새끼손가락 다쳤어요",
    ],
)
def test_innocent_words_containing_profanity_are_not_profanity(text: str) -> None:
    assert "profanity" not in score_message(text).reasons


@pytest.mark.parametrize(
    "text",
    [
        "WHY IS THIS STILL NOT WORKING",
        "still not working!!!",
        "또 안돼요 ㅡㅡ",
        "결제가 안돼요 ㅠㅠㅠㅠ",
    ],
)
def test_shouting_is_a_reason_on_a_complaint(text: str) -> None:
    assert "shouting" in score_message(text).reasons


@pytest.mark.parametrize(
    ("loud", "quiet"),
    [
        ("WHY IS THIS STILL NOT WORKING", "why is this still not working"),
        ("still not working!!!", "still not working"),
        ("또 안돼요 ㅡㅡ", "또 안돼요"),
        ("결제가 안돼요 ㅠㅠㅠㅠ", "결제가 안돼요"),
        ("아니 왜 또 안돼", "왜 또 안돼"),
    ],
)
def test_shouting_raises_the_score_of_a_complaint(loud: str, quiet: str) -> None:
    assert score_message(loud).score > score_message(quiet).score


@pytest.mark.parametrize("text", ["THANK YOU SO MUCH!!!", "WOW GREAT NEW SHOWS!!", "감사합니다!!!"])
def test_shouted_joy_stays_calm(text: str) -> None:
    assert score_message(text).score < 0.05


@pytest.mark.parametrize(
    ("worse", "better"),
    [
        ("this is the worst service, still waiting for hours", "this is the service"),
        ("최악이네요 아직도 환불이 안 됐어요", "환불이 됐어요"),
        ("ridiculous, I want a refund now", "I want a refund"),
        ("어이없네 장난하나", "네 알겠습니다"),
    ],
)
def test_complaint_words_raise_the_score(worse: str, better: str) -> None:
    assert score_message(worse).score > score_message(better).score


@pytest.mark.parametrize(
    ("thanked", "plain"),
    [("thanks, the app is slow", "the app is slow"), ("감사해요 앱이 느려요", "앱이 느려요")],
)
def test_thanks_lowers_the_score(thanked: str, plain: str) -> None:
    assert score_message(thanked).score < score_message(plain).score


def test_negated_praise_counts_against_not_for() -> None:
    assert score_message("the answer was not great").score > score_message("the answer").score


@pytest.mark.parametrize(
    "text",
    [
        "agent",
        "HUMAN",
        "human pls",
        "representative!!!",
        "operator",
        "talk to a human",
        "I want to speak to a real person",
        "can i talk to someone",
        "connect me with an agent please",
        "let me speak to your manager",
        "transfer me to customer service",
        "i'd like a human",
        "I need a live agent now",
        "get me a representative",
        "are you a bot? i want to talk to a human",
        "talk to a humna",
        "speak to an agnet",
        "representitive please",
        "call me back please",
        "상담원",
        "상담원 연결해주세요",
        "상담사 바꿔줘",
        "사람 바꿔",
        "사람이랑 얘기하고 싶어요",
        "사람하고 통화하고 싶어요",
        "직원 연결 부탁드려요",
        "전화 연결해주세요",
        "상담 받고 싶어요",
        "담당자 있나요?",
        "상담언 연결",
        "진짜 사람이랑 대화하고 싶어",
        "상담원이세요? 상담원 연결해줘",
        "봇 말고 진짜 사람",
        "챗봇 말고요",
    ],
)
def test_explicit_request_for_a_person_is_recognised(text: str) -> None:
    assert wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "what are you, a human?",
        "are you human",
        "are you a real person?",
        "is this a bot or a human?",
        "am I talking to a human?",
        "you talk like a human lol",
        "I work in human resources",
        "my travel agent booked it",
        "how do I reset my password manager",
        "someone else is using my account",
        "너 사람이야?",
        "사람이에요 봇이에요?",
        "상담원이세요?",
        "지금 사람이랑 대화하는 거예요 아니면 AI예요?",
        "상담원이랑 채팅 중인가요?",
        "진짜 사람 같아요",
        "다른 사람이 내 계정에 로그인했어요",
        "프로필에 사람 추가하는 법",
        "직원이 친절했어요",
        "고객센터 전화번호가 뭐예요",
    ],
)
def test_small_talk_about_people_is_not_a_request(text: str) -> None:
    assert not wants_human(text)


def test_request_for_a_person_is_a_reason_of_the_score() -> None:
    assert "asked_for_human" in score_message("상담원 연결해주세요").reasons


@pytest.mark.parametrize(
    "text",
    [
        "that didn't help",
        "not helpful",
        "no, that's not what I asked",
        "you don't understand",
        "I already tried that",
        "도움이 안 돼요",
        "아니 그게 아니라",
        "그거 말고요",
        "말을 못 알아듣네",
        "다 해봤는데 안돼요",
    ],
)
def test_negative_feedback_is_recognised(text: str) -> None:
    assert is_negative_feedback(text)


@pytest.mark.parametrize(
    "text", ["that helped, thanks", "How do I cancel?", "도움이 됐어요", "그게 궁금했어요"]
)
def test_ordinary_reply_is_not_negative_feedback(text: str) -> None:
    assert not is_negative_feedback(text)


def test_score_is_between_zero_and_one_for_a_long_rant() -> None:
    rant = "FUCK THIS SHIT!!! 씨발 ㅡㅡ worst useless garbage " * 30
    assert 0.0 <= score_message(rant).score <= 1.0


def test_empty_message_scores_low() -> None:
    assert score_message("").score < 0.05


@pytest.mark.parametrize(
    ("elapsed_s", "expected"), [(0.0, 0.8), (300.0, 0.4), (600.0, 0.2), (900.0, 0.1)]
)
def test_level_halves_every_half_life(elapsed_s: float, expected: float) -> None:
    assert update_level(0.8, elapsed_s, 0.0, SETTINGS) == pytest.approx(expected)


def test_negative_elapsed_time_does_not_grow_the_level() -> None:
    assert update_level(0.5, -100.0, 0.0, SETTINGS) == pytest.approx(0.5)


def test_signal_adds_after_decay() -> None:
    assert update_level(0.8, 300.0, 0.5, SETTINGS) == pytest.approx(0.4 + 0.5 * 0.6)


def test_repeated_signals_accumulate_but_stay_capped_at_one() -> None:
    level = 0.0
    for _ in range(50):
        level = update_level(level, 1.0, 0.9, SETTINGS)
    assert 0.99 < level <= 1.0


def test_three_quick_fallbacks_and_a_thumbs_down_escalate() -> None:
    level = 0.0
    for signal in (FALLBACK_SIGNAL, FALLBACK_SIGNAL, REPEAT_SIGNAL, NEGATIVE_FEEDBACK_SIGNAL):
        level = update_level(level, 10.0, signal, SETTINGS)
    assert level >= SETTINGS.escalate_at


def test_one_fallback_alone_does_not_escalate() -> None:
    assert update_level(0.0, 0.0, FALLBACK_SIGNAL, SETTINGS) < SETTINGS.escalate_at


def test_frustration_fades_after_a_quiet_half_hour() -> None:
    level = update_level(0.0, 0.0, score_message("WTF THIS IS USELESS!!!").score, SETTINGS)
    assert update_level(level, 1800.0, 0.0, SETTINGS) < 0.05


@pytest.mark.parametrize("text", ["that didn't help", "도움이 안 됐어요"])
def test_negative_feedback_is_a_reason_but_alone_does_not_escalate(text: str) -> None:
    felt = score_message(text)
    assert "negative_feedback" in felt.reasons and felt.score < ESCALATE_AT


@pytest.mark.parametrize(
    "text", ["앱이 자꾸 꺼져요", "화면이 계속 꺼져 ㅠ", "앱이 꺼져", "티비가 꺼져서 못 봐요"]
)
def test_a_device_that_switches_off_is_not_an_insult(text: str) -> None:
    assert "profanity" not in score_message(text, "ko").reasons


def test_a_calm_message_adds_nothing_to_the_conversation_level() -> None:
    assert conversation_signal(MessageMood(0.2)) == 0.0
    assert conversation_signal(MessageMood(1.0)) == 1.0
    assert 0.0 < conversation_signal(MessageMood(0.65)) < 0.65


@pytest.mark.parametrize(
    ("hedged", "plain"),
    [
        ("a little annoyed that the show i liked was removed", "annoyed that it was removed"),
        ("it's kind of frustrating that the app is slower", "it's frustrating that it's slower"),
        ("slightly upset that the price went up again", "upset that the price went up again"),
    ],
)
def test_a_hedged_complaint_stays_with_the_bot_and_the_plain_one_does_not(
    hedged: str, plain: str
) -> None:
    assert score_message(hedged).score < ESCALATE_AT <= score_message(plain).score
