"""Frustration on support-style messages: calm questions stay with the bot, anger is handed over.

Each message is judged as the dialogue judges a fresh conversation's first message: the
level after it is update_level(0, ...) of its conversation_signal, handed over at the
shipped rules' escalate_at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpline.evaluation.data import read_rows
from helpline.evaluation.frustration import frustration_report
from helpline.mood import FALLBACK_SIGNAL, conversation_signal, score_message, update_level
from helpline.mood.lexicon import word_list
from helpline.rules import load_rulebook
from helpline.utterance import combine

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = load_rulebook(ROOT / "bot_rules").config.frustration


def _first_message_level(text: str, fallback: bool = False) -> float:
    signal = conversation_signal(score_message(text))
    if fallback:
        signal = combine(signal, FALLBACK_SIGNAL)
    return update_level(0.0, 0.0, signal, SETTINGS)


@pytest.mark.parametrize(
    "text",
    [
        "왜 자막이 안 나와요?",
        "로그인이 안 돼요",
        "왜 결제가 안 되나요?",
        "영상이 또 끊겨요",
        "결제가 두 번 된 것 같은데 확인 부탁드려요",
        "자막 왜 안나옴",
        "비번 바꿨는데 왜 또 로그인이 안되죠",
        "앱이 계속 멈추고 소리도 안 나와요",
        "요금이 지난달보다 비싸게 나왔는데 왜 그런가요?",  # a price question, not anger
        # what went wrong and what is asked for, said calmly: topics, not anger
        "잔액이 부족하다고 결제가 안돼요",
        "프리미엄에서 스탠다드로 내리고 싶어요 요즘 돈이 좀 부족해서요",
        "반품하고 싶어요",
        "주문한 상품 교환하려면 어떻게 해요",
        "상품이 파손되어 왔어요",
        "why is my payment not working?",
        "the app keeps crashing again, what should I do?",
        "still can't log in after resetting my password",
        "the app still doesn't work and I can't log in",
        "error again when I pay, can you check",
        "the app signs me out every single time i log in",  # how often, not anger
    ],
)
def test_calm_support_question_is_not_handed_over_even_when_the_bot_falls_back(
    text: str,
) -> None:
    assert _first_message_level(text, fallback=True) < SETTINGS.escalate_at


@pytest.mark.parametrize(
    "text",
    [
        "장난하냐 결제를 두 번이나 해놓고",
        "진짜 짜증나네 또 끊기네",
        "몇 번을 말해야 알아듣냐",
        "당장 환불해 주세요 안 그러면 신고할 겁니다",
        "이거 완전 사기네요 돈만 받아가고",
        "어이없네 해지했는데 또 결제됐어",
        "불량품 보내놓고 반품도 안 해주냐 장난하냐",
        "this is the third time I'm asking",
        "what a joke, charged twice again",
        "I'm fed up with this app",
        "absolutely unacceptable, I want my money back",
        "you are wasting my time",
        "this shit keeps logging me out",
        "every single time i press play it fails, every time!!",
    ],
)
def test_clearly_upset_message_is_handed_over_on_its_own(text: str) -> None:
    assert _first_message_level(text) >= SETTINGS.escalate_at


@pytest.mark.parametrize("text", ["왜 자막이 안 나와요?", "why is my payment not working?"])
def test_a_calm_question_is_explained_as_a_problem_not_anger(text: str) -> None:
    reasons = score_message(text).reasons
    assert "problem" in reasons and "anger" not in reasons


@pytest.mark.parametrize("text", ["장난하냐", "I'm fed up"])
def test_an_angry_phrase_is_explained_as_anger(text: str) -> None:
    assert "anger" in score_message(text).reasons


@pytest.mark.parametrize("text", ["영화나 볼까요", "영화가 나왔어요", "전화나 문자로 연락 주세요"])
def test_film_and_phone_are_not_anger(text: str) -> None:
    assert "anger" not in score_message(text).reasons


def test_a_pile_of_problems_adds_no_more_than_a_problem_does() -> None:
    pile = "왜 또 로그인이 안 되고 결제도 안 되고 자막도 안 나오고 계속 오류나요"
    assert conversation_signal(score_message(pile)) <= 0.25


def test_lists_scanned_together_keep_each_file_apart() -> None:
    lists = word_list("en_words.txt", "en_problem.txt", "en_anger.txt")
    general, problem, anger = lists.tally(["ridiculous", "again", "thanks"])
    assert general < 0 < problem and anger > 0


@pytest.mark.parametrize("language", ["ko", "en"])
def test_own_support_set_meets_the_handover_targets(language: str) -> None:
    rows = read_rows(ROOT / "bench" / "data" / f"frustration_{language}.jsonl")
    report = frustration_report(rows, SETTINGS)
    assert report["calm_escalated"] <= 0.02, report
    assert report["upset_caught"] >= 0.80, report
