"""The question inside a polite request (matcher/framing.py)."""

from __future__ import annotations

import pytest

from helpline.matcher import build_matcher
from helpline.matcher.framing import question_core, without_rejected
from helpline.rules import load_rulebook


@pytest.mark.parametrize(
    ("text", "core"),
    [
        ("could you help me to get the invoices from last month?",
         "get the invoices from last month?"),
        ("I do not know what I have to do to get my money back", "get my money back"),
        ("Hi there, I was wondering if you could tell me how I could cancel",
         "how I could cancel"),
        ("I need assistance to report a payment issue", "report a payment issue"),
        ("안녕하세요 문의 좀 드릴게요 환불은 어떻게 받나요", "환불은 어떻게 받나요"),
        ("다름이 아니라 혹시 자막 크기 바꿀 수 있나요", "자막 크기 바꿀 수 있나요"),
    ],
)  # fmt: skip
def test_the_frame_is_taken_out(text: str, core: str) -> None:
    assert question_core(text) == core


@pytest.mark.parametrize("text", ["can you help me?", "안녕하세요", "thank you!", "refund"])
def test_a_message_that_is_only_a_frame_is_kept_whole(text: str) -> None:
    assert question_core(text) == text


def test_a_polite_question_scores_as_the_plain_one() -> None:
    matcher = build_matcher(load_rulebook("bot_rules"))
    plain = matcher.match("how do I get my invoice", "en")[0]
    polite = matcher.match(
        "Hello, could you help me? I do not know how I could get my invoice", "en"
    )[0]
    assert plain.intent == polite.intent == "receipt_invoice"
    assert polite.score > plain.score - 10  # the courtesy costs (next to) nothing


def test_a_message_of_several_sentences_is_split_into_them() -> None:
    from helpline.matcher.framing import sentences

    assert sentences("I moved last week. How do I sign in on the new TV?") == [
        "I moved last week.", "How do I sign in on the new TV?"
    ]  # fmt: skip
    assert sentences("How do I sign in on the new TV?") == []
    assert sentences("Hi. How do I sign in?") == []  # "Hi." is no question of its own


def test_the_question_among_sentences_decides() -> None:
    matcher = build_matcher(load_rulebook("bot_rules"))
    alone = matcher.match("how do I sign in on my new TV?", "en")[0]
    told = matcher.match(
        "We moved to a new flat last week and bought a big television for the living room."
        " How do I sign in on my new TV?",
        "en",
    )[0]
    assert told.intent == alone.intent == "tv_app_login"
    assert told.score >= alone.score - 5


@pytest.mark.parametrize(
    ("text", "core"),
    [
        ("third time this week the video just wont start, so what do i do?",
         "third time this week the video just wont start"),
        ("아 진짜 짜증나네 영상이 재생이 안돼 어떻게 해야돼",
         "아 진짜 짜증나네 영상이 재생이 안돼"),
        ("어떻게 하면 해지돼요", "어떻게 하면 해지돼요"),
    ],
)  # fmt: skip
def test_a_closing_plea_is_a_frame_and_a_word_that_starts_like_one_is_not(
    text: str, core: str
) -> None:
    assert question_core(text) == core


def test_a_sentence_that_is_only_a_plea_does_not_pick_the_intent() -> None:
    matcher = build_matcher(load_rulebook("bot_rules"))
    told = "This is the third time this week the video won't start. What do I do?"
    assert matcher.match(told, "en")[0].intent == "video_wont_play"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("i dont want to cancel, just pause for the summer", "just pause for the summer"),
        ("i don't want to pause or downgrade, i want to fully cancel", "i want to fully cancel"),
        ("i dont want to delete my profile just change its name",
         "my profile just change its name"),
        ("not cancel, just pause", "just pause"),
        ("can i pause instead of cancelling", "can i pause"),
        ("it still wont let me in. i did NOT forget my password",
         "it still wont let me in"),
    ],
)  # fmt: skip
def test_what_the_customer_turns_down_is_taken_out(text: str, kept: str) -> None:
    assert without_rejected(text) == kept


@pytest.mark.parametrize(
    "text",
    [
        "i don't want streamflix anymore",  # nothing wanted instead: this is the question
        "can i use naver pay instead of my card",  # the card says what it is about
        "the app is not working but my wifi is fine",  # a symptom, not a choice
        "i didn't forget to cancel, you charged me anyway",  # not the password
        # Korean examples say "해지 말고 ..." as questions do: the two sides must agree
        "해지 말고 잠깐 멈출 수 있어요?",
    ],
)
def test_a_denial_that_turns_nothing_down_is_kept(text: str) -> None:
    assert without_rejected(text) == text


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("i dont want to cancel, just pause for the summer", "pause_subscription"),
        ("typed it all right five times and it still wont let me in. i did NOT forget my"
         " password", "cannot_log_in"),
    ],
)
def test_the_alternative_turned_down_does_not_pick_the_intent(text: str, intent: str) -> None:
    matcher = build_matcher(load_rulebook("bot_rules"))
    assert matcher.match(text)[0].intent == intent
