"""The dialogue policy, branch by branch, on a small in-test rulebook."""

from __future__ import annotations

from dataclasses import replace

import pytest

from helpline import mood
from helpline.dialogue import NONE_OF_THESE, greet, respond
from helpline.matcher import Candidate
from helpline.rules.model import Config, FrustrationSettings, Intent, Rulebook, Thresholds
from helpline.turn import Button, ConversationState, Inbound, Turn

TEXT_KEYS = [
    "clarify",
    "fallback",
    "fallback_offer_human",
    "offer_human_button",
    "handoff",
    "handoff_frustrated",
    "queued_wait",
    "offline_wait",
    "feedback_thanks",
    "feedback_sorry",
    "greeting",
    "none_of_these_button",
    "none_of_these",
    "category_billing",
    "file_received",
]


class TableMatcher:
    """Fixed candidates per text: the thresholds are tested exactly, not through fuzz."""

    def __init__(self, table: dict[str, list[tuple[str, float]]]) -> None:
        self.table = table
        self.calls: list[tuple[str, str | None]] = []

    def match(
        self, text: str, language: str | None = None, limit: int = 5, *, explain: bool = False
    ) -> list[Candidate]:
        self.calls.append((text, language))
        return [Candidate(i, s, ("example",)) for i, s in self.table.get(text, [])][:limit]


def intent(name: str, **extra: object) -> Intent:
    fields: dict[str, object] = {
        "name": name,
        "category": "billing",
        "examples": {"en": (f"{name} example",), "ko": (f"{name} 예문",)},
        "answer": {"en": f"en answer {name}", "ko": f"ko answer {name}"},
        "title": {"en": f"en title {name}", "ko": f"ko title {name}"},
    }
    fields.update(extra)
    return Intent(**fields)  # type: ignore[arg-type]


def make_rulebook(escalate_at: float = 0.7, max_fallbacks: int = 2) -> Rulebook:
    texts = {key: {"en": f"en {key}", "ko": f"ko {key}"} for key in TEXT_KEYS}
    texts["greeting_named"] = {"en": "en hello {name}", "ko": "ko hello {name}"}
    texts["fallback_topics"] = {"en": "en topics: {topics}", "ko": "ko topics: {topics}"}
    config = Config(
        default_language="ko",
        thresholds=Thresholds(answer=80, clarify=55, ambiguity=5),
        max_fallbacks=max_fallbacks,
        texts=texts,
        frustration=FrustrationSettings(escalate_at=escalate_at, half_life_s=300),
    )
    intents = (
        intent("payment_failed", quick_replies=("refund_status", "talk_to_agent", "gone")),
        intent("refund_status"),
        intent("refund_request"),
        intent("plan_change", category="my_plan"),
        intent("strict", thresholds=Thresholds(answer=95, clarify=90, ambiguity=1)),
        intent("account_deletion", escalate=True),
        intent("talk_to_agent", category="general"),
    )
    return Rulebook(config, intents)


TABLE: dict[str, list[tuple[str, float]]] = {
    "my payment failed": [("payment_failed", 91.2), ("refund_status", 40.0)],
    "결제가 안돼요": [("payment_failed", 93.0), ("refund_status", 30.0)],
    "refund?": [("refund_status", 90.0), ("refund_request", 87.0)],
    "money back": [("refund_status", 70.0), ("refund_request", 50.0)],
    "many things": [
        ("refund_status", 84.0),
        ("refund_request", 83.0),
        ("payment_failed", 82.0),
        ("plan_change", 81.0),
    ],
    "strict one": [("strict", 90.0)],
    "plan one": [("plan_change", 90.0)],
    "delete my account": [("account_deletion", 95.0)],
    "get me someone real": [("talk_to_agent", 88.0)],
    "blorp": [("plan_change", 30.0)],
}

RULES = make_rulebook()


def say(
    text: str,
    state: ConversationState | None = None,
    now: float = 0.0,
    rulebook: Rulebook = RULES,
) -> Turn:
    inbound = Inbound("text", now, text=text)
    return respond(
        rulebook, TableMatcher(TABLE), state or ConversationState(language="en"), inbound
    )


def press(payload: str, state: ConversationState | None = None, text: str = "") -> Turn:
    inbound = Inbound("button", 0.0, text=text, payload=payload)
    return respond(RULES, TableMatcher(TABLE), state or ConversationState(language="en"), inbound)


def feedback(helpful: bool, state: ConversationState) -> Turn:
    inbound = Inbound("feedback", 0.0, helpful=helpful, intent="payment_failed")
    return respond(RULES, TableMatcher(TABLE), state, inbound)


# --- greeting -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "language", "expected"),
    [
        (None, "en", "en greeting"),
        (None, "ko", "ko greeting"),
        ("Ann", "en", "en hello Ann"),
        ("민지", "ko", "ko hello 민지"),
    ],
)
def test_greeting_uses_the_customer_name_when_known(
    name: str | None, language: str, expected: str
) -> None:
    turn = greet(RULES, ConversationState(language=language, customer_name=name), 0.0)
    assert [r.text for r in turn.replies] == [expected]
    assert turn.replies[0].kind == "greeting"
    assert turn.decision.decision == "greeting"


def test_greeting_without_a_language_uses_the_default_language() -> None:
    turn = greet(RULES, ConversationState(), 0.0)
    assert turn.replies[0].text == "ko greeting"
    assert turn.state.language == "ko"


# --- answer / clarify / fallback ----------------------------------------------------


def test_confident_match_is_answered_with_quick_replies_as_buttons() -> None:
    turn = say("my payment failed")
    (reply,) = turn.replies
    assert reply.text == "en answer payment_failed"
    assert reply.kind == "answer" and reply.intent == "payment_failed"
    # "gone" names no intent in the rulebook, so it gets no button
    assert reply.buttons == (
        Button("en title refund_status", "/refund_status"),
        Button("en title talk_to_agent", "/talk_to_agent"),
    )


def test_decision_records_intent_score_candidates_and_language() -> None:
    decision = say("my payment failed").decision
    assert decision.decision == "answer"
    assert decision.intent == "payment_failed"
    assert decision.score == pytest.approx(91.2)
    assert decision.candidates == (("payment_failed", 91.2), ("refund_status", 40.0))
    assert decision.language == "en"


def test_answer_resets_the_fallbacks_in_a_row() -> None:
    turn = say("my payment failed", ConversationState(language="en", fallbacks_in_row=1))
    assert turn.state.fallbacks_in_row == 0
    assert turn.state.last_answered == "payment_failed"


@pytest.mark.parametrize(
    ("text", "decision"),
    [("plan one", "answer"), ("strict one", "clarify")],
)
def test_an_intent_can_raise_its_own_answer_threshold(text: str, decision: str) -> None:
    # both score 90; "strict" needs 95 to be answered
    assert say(text).decision.decision == decision


def test_score_between_clarify_and_answer_asks_did_you_mean() -> None:
    turn = say("money back")
    (reply,) = turn.replies
    assert reply.kind == "clarify" and reply.text == "en clarify"
    assert reply.buttons == (
        Button("en title refund_status", "/refund_status"),
        Button("en none_of_these_button", NONE_OF_THESE),
    )
    assert turn.decision.decision == "clarify"
    assert turn.decision.intent == "refund_status"


def test_two_close_intents_above_answer_ask_did_you_mean_with_both() -> None:
    turn = say("refund?")
    assert turn.decision.decision == "clarify"
    assert turn.decision.reasons[0] == "ambiguous"
    payloads = [b.payload for b in turn.replies[0].buttons]
    assert payloads == ["/refund_status", "/refund_request", NONE_OF_THESE]


def test_did_you_mean_offers_at_most_three_candidates() -> None:
    buttons = say("many things").replies[0].buttons
    assert [b.payload for b in buttons] == [
        "/refund_status", "/refund_request", "/payment_failed", NONE_OF_THESE
    ]  # fmt: skip


def test_none_of_these_asks_to_say_it_another_way_or_offers_a_person() -> None:
    clarified = say("money back")
    turn = press(NONE_OF_THESE, clarified.state, text="en none_of_these_button")
    (reply,) = turn.replies
    assert (reply.kind, reply.text) == ("fallback", "en none_of_these")
    assert reply.buttons == (Button("en offer_human_button", "/talk_to_agent"),)
    assert (turn.decision.decision, turn.decision.reasons) == ("fallback", ("none_of_these",))
    assert (turn.state.status, turn.state.topic) == ("bot", None)
    assert turn.decision.mood <= clarified.decision.mood  # a calm "no" is not frustration


def test_the_next_miss_after_none_of_these_offers_a_person() -> None:
    declined = press(NONE_OF_THESE, say("money back").state, text="en none_of_these_button")
    assert say("blorp", declined.state).replies[0].text == "en fallback_offer_human"


@pytest.mark.parametrize("text", ["blorp", "nothing matches this"])
def test_low_score_falls_back_and_asks_to_rephrase(text: str) -> None:
    turn = say(text)
    assert [r.text for r in turn.replies] == [
        "en fallback\n\nen topics: - en category_billing\n- my plan"
    ]
    assert turn.decision.decision == "fallback"
    assert turn.state.fallbacks_in_row == 1
    assert turn.state.status == "bot"


def test_max_fallbacks_in_a_row_offers_a_human_with_a_button() -> None:
    first = say("blorp")
    second = say("nothing matches", first.state)
    (reply,) = second.replies
    assert reply.text == "en fallback_offer_human"
    assert reply.buttons == (Button("en offer_human_button", "/talk_to_agent"),)
    assert second.decision.reasons[0] == "max_fallbacks"
    assert second.state.status == "bot"


# --- buttons --------------------------------------------------------------------------


def test_button_press_answers_its_intent_directly() -> None:
    turn = press("/refund_status", text="en title refund_status")
    assert turn.replies[0].text == "en answer refund_status"
    assert (turn.decision.decision, turn.decision.score) == ("answer", 100.0)


def test_button_with_unknown_payload_is_read_as_typed_text() -> None:
    turn = press("/no_such_intent", text="my payment failed")
    assert turn.decision.intent == "payment_failed"
    assert turn.decision.score == pytest.approx(91.2)


# --- handing over to a person ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["I want to talk to a human", "can I speak to an agent please", "상담원 연결해 주세요"],
)
def test_asking_for_a_person_in_any_language_hands_over(text: str) -> None:
    turn = say(text)
    assert turn.state.status == "queued"
    assert turn.decision.decision == "handoff"
    assert turn.decision.reasons[0] == "asked_for_human"
    assert turn.decision.intent == "talk_to_agent"
    assert turn.replies[-1].kind == "handoff"


def test_korean_request_for_a_person_is_answered_in_korean() -> None:
    turn = say("상담원 연결해 주세요")
    assert turn.replies[-1].text == "ko handoff"


def test_matching_the_human_intent_at_answer_level_hands_over() -> None:
    turn = say("get me someone real")
    assert (turn.state.status, turn.decision.reasons[0]) == ("queued", "asked_for_human")


def test_pressing_the_human_button_hands_over() -> None:
    turn = press("/talk_to_agent", text="en offer_human_button")
    assert turn.state.status == "queued"
    assert turn.replies[-1].text == "en handoff"


@pytest.mark.parametrize(
    ("question", "topic"),
    [("my payment failed", "payment_failed"), ("money back", "refund_status")],
)
def test_asking_for_a_person_after_a_question_keeps_its_topic(question: str, topic: str) -> None:
    asked = say(question)
    for turn in (press("/talk_to_agent", asked.state), say("I want a human", asked.state)):
        assert (turn.state.status, turn.decision.intent) == ("queued", "talk_to_agent")
        assert turn.decision.topic == topic


def test_a_message_the_bot_did_not_understand_leaves_the_topic_as_it_was() -> None:
    answered = say("my payment failed")
    assert say("blorp", answered.state).decision.topic == "payment_failed"


def test_asking_for_a_person_first_thing_has_no_topic() -> None:
    assert say("I want a human").decision.topic is None


def test_intent_marked_escalate_answers_then_hands_over() -> None:
    turn = say("delete my account")
    assert [r.text for r in turn.replies] == ["en answer account_deletion", "en handoff"]
    assert turn.state.status == "queued"
    assert turn.decision.decision == "handoff"
    assert turn.decision.intent == "account_deletion"
    assert turn.decision.reasons[0] == "intent_escalates"


# --- frustration ----------------------------------------------------------------------


def test_repeated_message_raises_the_mood_level() -> None:
    first = say("my payment failed")
    second = say("my payment failed", first.state)
    assert second.decision.mood > first.decision.mood


def test_decision_carries_the_mood_cues_of_the_message() -> None:
    text = "WHY IS THIS SO BROKEN!!!"
    cues = mood.score_message(text, "en").reasons
    assert cues  # shouting is a cue in any version of the detector
    assert set(cues) <= set(say(text).decision.reasons)


def test_calmly_described_problems_do_not_add_up_to_a_frustration_handoff() -> None:
    table = dict(TABLE)
    problems = [
        "로그인이 안됨", "결제가안돼요ㅠㅠ", "앱이 안 켜져요", "영상이 안 나와요",
        "my payment wont go through", "the app keeps crashing", "cant log in on my tv",
        "download button does nothing",
    ]  # fmt: skip
    for text in problems:
        table[text] = [("payment_failed", 91.0)]
    state = ConversationState(language="ko")
    for n, text in enumerate(problems):
        turn = respond(RULES, TableMatcher(table), state, Inbound("text", float(n), text=text))
        state = turn.state
    assert state.status == "bot"
    assert state.frustration < RULES.config.frustration.escalate_at / 2


def test_one_furious_message_still_hands_over_at_once() -> None:
    turn = say("this is fucking useless, worst service ever!!!")
    assert turn.state.status == "queued"
    assert turn.decision.reasons[0] == "frustration"


def test_an_upset_customer_with_a_confident_answer_gets_it_then_a_person() -> None:
    upset = ConversationState(language="en", frustration=0.9)
    turn = say("my payment failed", upset)
    assert [(r.kind, r.text) for r in turn.replies] == [
        ("answer", "en answer payment_failed"),
        ("handoff", "en handoff_frustrated"),
    ]
    assert turn.replies[0].buttons == ()  # while queued no button would be answered
    assert (turn.state.status, turn.state.last_answered) == ("queued", "payment_failed")
    assert (turn.decision.decision, turn.decision.intent) == ("handoff", "payment_failed")
    assert turn.decision.reasons[0] == "frustration"


def test_an_upset_customer_with_no_confident_answer_is_handed_over_without_one() -> None:
    turn = say("money back", ConversationState(language="en", frustration=0.9))
    assert [r.text for r in turn.replies] == ["en handoff_frustrated"]
    assert turn.decision.reasons[0] == "frustration"


def test_fallback_raises_the_mood_level() -> None:
    assert say("blorp").decision.mood >= mood.FALLBACK_SIGNAL


def test_repeated_fallbacks_escalate_with_a_frustration_handoff() -> None:
    rulebook = make_rulebook(escalate_at=0.5, max_fallbacks=10)
    turn = say("blorp", rulebook=rulebook)
    for _ in range(5):
        if turn.state.status == "queued":
            break
        turn = say("blorp", turn.state, rulebook=rulebook)
    assert turn.state.status == "queued"
    assert turn.replies[-1].text == "en handoff_frustrated"
    assert turn.decision.reasons[0] == "frustration"
    assert "repeated" in turn.decision.reasons


def test_mood_level_decays_between_messages() -> None:
    upset = ConversationState(language="en", frustration=0.6, frustration_at=0.0)
    soon = say("my payment failed", upset, now=1.0)
    later = say("my payment failed", upset, now=3000.0)
    assert later.decision.mood < soon.decision.mood
    assert later.decision.mood < 0.6 / 2


def test_thumbs_down_raises_the_mood_and_says_sorry() -> None:
    answered = say("my payment failed").state
    turn = feedback(False, answered)
    expected = mood.update_level(
        answered.frustration, 0.0, mood.NEGATIVE_FEEDBACK_SIGNAL, RULES.config.frustration
    )
    assert turn.decision.mood == pytest.approx(expected)
    assert turn.replies[0].text == "en feedback_sorry"
    assert turn.replies[0].buttons == (Button("en offer_human_button", "/talk_to_agent"),)
    assert turn.decision.intent == "payment_failed"


def test_thumbs_down_when_already_upset_hands_over() -> None:
    upset = replace(say("my payment failed").state, frustration=0.69)
    turn = feedback(False, upset)
    assert turn.state.status == "queued"
    assert turn.replies[-1].text == "en handoff_frustrated"
    assert turn.decision.reasons[:2] == ("frustration", "negative_feedback")


def test_thumbs_up_thanks_the_customer() -> None:
    turn = feedback(True, say("my payment failed").state)
    assert [r.text for r in turn.replies] == ["en feedback_thanks"]
    assert (turn.decision.decision, turn.decision.intent) == ("feedback", "payment_failed")


@pytest.mark.parametrize(
    ("text", "sorry"),
    [("that didn't help", "en feedback_sorry"), ("도움이 안 됐어요", "ko feedback_sorry")],
)
def test_saying_it_did_not_help_right_after_an_answer_counts_as_thumbs_down(
    text: str, sorry: str
) -> None:
    answered = say("my payment failed").state
    turn = say(text, answered)
    assert turn.replies[0].text == sorry
    assert "negative_feedback" in turn.decision.reasons
    assert turn.decision.mood >= mood.NEGATIVE_FEEDBACK_SIGNAL


def test_saying_it_did_not_help_without_an_answer_is_a_fallback() -> None:
    assert say("that didn't help").decision.decision == "fallback"


# --- conversation status --------------------------------------------------------------


def test_queued_conversation_is_silent_on_questions() -> None:
    turn = say("my payment failed", ConversationState(status="queued", language="en"))
    assert turn.replies == ()
    assert turn.decision.decision == "silent"
    assert turn.state.status == "queued"


@pytest.mark.parametrize(
    ("status", "text", "expected"),
    [
        ("queued", "how long do I have to wait?", "en queued_wait"),
        ("queued", "얼마나 기다려야 해요?", "ko queued_wait"),
        ("offline", "when will someone answer", "en offline_wait"),
    ],
)
def test_waiting_customer_asking_how_long_is_told(status: str, text: str, expected: str) -> None:
    turn = say(text, ConversationState(status=status, language="en"))  # type: ignore[arg-type]
    assert [r.text for r in turn.replies] == [expected]
    assert turn.decision.decision == "queue"
    assert turn.state.status == status


@pytest.mark.parametrize(("language", "text"), [("en", "how long?"), ("ko", "얼마나 걸려요?")])
def test_how_long_with_nobody_there_never_promises_a_reply_shortly(
    language: str, text: str
) -> None:
    bare = Rulebook(Config(default_language=language), RULES.intents)
    offline = ConversationState(status="offline", language=language)
    turn = respond(bare, TableMatcher(TABLE), offline, Inbound("text", 0.0, text=text))
    said = turn.replies[0].text
    assert said == bare.config.text("offline_wait", language)
    assert said != bare.config.text("queued_wait", language)


@pytest.mark.parametrize("text", ["my payment failed", "how long?", "I want a human"])
def test_assigned_conversation_leaves_every_answer_to_the_agent(text: str) -> None:
    turn = say(text, ConversationState(status="assigned", language="en"))
    assert (turn.replies, turn.decision.decision) == ((), "silent")


def test_writing_to_a_closed_conversation_reopens_it_and_is_answered() -> None:
    turn = say("my payment failed", ConversationState(status="closed", language="en"))
    assert turn.state.status == "bot"
    assert turn.replies[0].text == "en answer payment_failed"


# --- language -------------------------------------------------------------------------


def test_each_message_is_answered_in_its_own_language() -> None:
    korean = say("결제가 안돼요", ConversationState(language="en"))
    english = say("my payment failed", korean.state)
    assert korean.replies[0].text == "ko answer payment_failed"
    assert (korean.decision.language, korean.state.language) == ("ko", "ko")
    assert english.replies[0].text == "en answer payment_failed"
    assert english.decision.language == "en"


def test_matcher_is_asked_in_the_message_language() -> None:
    matcher = TableMatcher(TABLE)
    respond(RULES, matcher, ConversationState(language="en"), Inbound("text", 0.0, "결제가 안돼요"))
    assert matcher.calls == [("결제가 안돼요", "ko")]


# --- a file without words -----------------------------------------------------------


def send_file(state: ConversationState) -> Turn:
    return respond(RULES, TableMatcher(TABLE), state, Inbound("file", 0.0))


def test_a_file_without_words_is_answered_with_a_way_to_a_person_not_a_fallback() -> None:
    before = say("blorp").state  # one fallback already

    turn = send_file(before)

    [reply] = turn.replies
    assert (reply.text, reply.kind, turn.decision.decision) == ("en file_received", "file", "file")
    assert reply.buttons == (Button("en offer_human_button", "/talk_to_agent"),)
    # the rules did not fail to answer: no step closer to offering a person
    assert turn.state.fallbacks_in_row == before.fallbacks_in_row == 1
    assert turn.state.status == "bot"


def test_a_file_while_an_agent_has_the_conversation_is_theirs_to_answer() -> None:
    turn = send_file(ConversationState(language="en", status="assigned"))

    assert turn.replies == () and turn.decision.decision == "silent"
