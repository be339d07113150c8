"""The bot's policy: (rules, state, inbound) -> replies + new state + decision. No I/O."""

from __future__ import annotations

from helpline import mood, utterance
from helpline.matcher import Matcher
from helpline.rules.model import Config, Intent, Rulebook
from helpline.turn import Button, ConversationState, Decision, Inbound, Reply, Turn, changed
from helpline.utterance import Utterance

CLARIFY_CHOICES = 3  # buttons on a "did you mean"
# the "did you mean" way out: a button payload no intent is named by (Rasa style "/...")
NONE_OF_THESE = "/none_of_these"
TOPICS_SHOWN = 5  # categories a fallback names as what the bot can help with


def greet(rulebook: Rulebook, state: ConversationState, now: float) -> Turn:
    """The opening message of a new conversation (by name when the customer is known)."""
    config = rulebook.config
    lang = state.language or config.default_language
    if state.customer_name:
        text = config.text("greeting_named", lang, name=state.customer_name)
    else:
        text = config.text("greeting", lang)
    decision = Decision("greeting", lang, mood=state.frustration)
    return Turn((Reply(text, kind="greeting"),), changed(state, language=lang), decision)


def respond(
    rulebook: Rulebook, matcher: Matcher, state: ConversationState, inbound: Inbound
) -> Turn:
    """Decide what the bot says to one customer message, button press or feedback."""
    if state.status == "closed" and inbound.kind != "feedback":
        state = changed(state, status="bot")  # the customer writing again reopens
    if state.status != "bot":
        return _while_with_people(rulebook.config, state, inbound)
    if inbound.kind == "feedback":
        return _on_feedback(rulebook.config, state, inbound)
    if inbound.kind == "file":
        return _on_file(rulebook.config, state)
    if inbound.kind == "button" and inbound.payload == NONE_OF_THESE:
        return _none_of_these(rulebook.config, state, inbound)
    return _on_message(rulebook, state, utterance.read(rulebook, matcher, state, inbound))


# --- deciding -----------------------------------------------------------------------


def _on_message(rulebook: Rulebook, state: ConversationState, msg: Utterance) -> Turn:
    config = rulebook.config
    answered_before = state.last_answered
    zone = utterance.zone(rulebook, msg)
    state = changed(
        state,
        language=msg.language,
        recent_texts=utterance.remember(state, msg.text, msg.language),
        topic=_topic(rulebook, state, msg, zone),
    )
    if utterance.asks_for_human(rulebook, msg):
        state = _felt(config, state, msg.signal, msg.now)
        why = ("asked_for_human",)
        decision = _decide(msg, "handoff", state, why, intent=config.human_intent)
        return _handoff(config, state, decision, "handoff")
    if (
        answered_before
        and zone != "answer"
        and utterance.is_negative_feedback(msg.text, msg.language)
    ):
        signal = utterance.combine(msg.signal, mood.NEGATIVE_FEEDBACK_SIGNAL)
        return _negative(config, state, msg, signal, answered_before)
    signal, reasons = msg.signal, msg.reasons
    if zone == "fallback":
        signal, reasons = utterance.combine(signal, mood.FALLBACK_SIGNAL), reasons + ("fallback",)
    state = _felt(config, state, signal, msg.now)
    frustrated = _too_frustrated(config, state)
    if zone == "answer":  # a confident answer is shown even to an upset customer
        return _answer(rulebook, state, msg, ("frustration",) + reasons if frustrated else ())
    if frustrated:
        decision = _decide(msg, "handoff", state, ("frustration",) + reasons)
        return _handoff(config, state, decision, "handoff_frustrated")
    if zone == "clarify":
        return _clarify(rulebook, state, msg)
    return _fallback(rulebook, state, msg)


def _answer(
    rulebook: Rulebook, state: ConversationState, msg: Utterance, upset: tuple[str, ...] = ()
) -> Turn:
    """The answer; then a handoff when the intent escalates or `upset` gives the reasons
    the customer's mood does (the answer stays on screen while they wait)."""
    intent = rulebook.by_name[msg.candidates[0].intent]
    text = _answer_text(rulebook.config, intent, msg.language)
    state = changed(state, fallbacks_in_row=0, last_answered=intent.name)
    if upset or intent.escalate:
        # no quick replies: while queued the bot answers no button
        first = (Reply(text, (), "answer", intent.name),)
        why, key = (upset, "handoff_frustrated") if upset else (("intent_escalates",), "handoff")
        decision = _decide(msg, "handoff", state, why, action=intent.action)
        return _handoff(rulebook.config, state, decision, key, first=first)
    reply = Reply(text, _quick_replies(rulebook, intent, msg.language), "answer", intent.name)
    return Turn((reply,), state, _decide(msg, "answer", state, action=intent.action))


def _clarify(rulebook: Rulebook, state: ConversationState, msg: Utterance) -> Turn:
    top = msg.candidates[0]
    floor = rulebook.thresholds_for(top.intent).clarify
    shown = [top] + [c for c in msg.candidates[1:CLARIFY_CHOICES] if c.score >= floor]
    buttons = tuple(_intent_button(rulebook.by_name[c.intent], msg.language) for c in shown)
    way_out = Button(rulebook.config.text("none_of_these_button", msg.language), NONE_OF_THESE)
    buttons += (way_out,)
    text = rulebook.config.text("clarify", msg.language)
    reason = "ambiguous" if len(shown) > 1 else "unsure"
    state = changed(state, fallbacks_in_row=0, last_answered=None)
    return Turn(
        (Reply(text, buttons, "clarify"),), state, _decide(msg, "clarify", state, (reason,))
    )


def _fallback(rulebook: Rulebook, state: ConversationState, msg: Utterance) -> Turn:
    config = rulebook.config
    count = state.fallbacks_in_row + 1
    state = changed(state, fallbacks_in_row=count, last_answered=None)
    if count >= config.max_fallbacks:
        reply = Reply(
            config.text("fallback_offer_human", msg.language),
            (_human_button(config, msg.language),),
            "fallback",
        )
        return Turn((reply,), state, _decide(msg, "fallback", state, ("max_fallbacks",)))
    text = config.text(_fallback_text(msg.reasons), msg.language)
    topics = _topics(rulebook, msg.language)
    if topics:  # not only "rephrase": what there is to ask about
        listed = "\n".join("- " + topic for topic in topics)
        text += "\n\n" + config.text("fallback_topics", msg.language, topics=listed)
    return Turn((Reply(text, kind="fallback"),), state, _decide(msg, "fallback", state))


def _fallback_text(reasons: tuple[str, ...]) -> str:
    """Why nothing was answered: another's product, a subject not ours to answer, or unclear."""
    for reason in (utterance.NOT_OURS, utterance.NOT_ANSWERED):
        if reason in reasons:
            return reason
    return "fallback"


def _none_of_these(config: Config, state: ConversationState, inbound: Inbound) -> Turn:
    """None of the "did you mean" guesses: say it another way, or talk to a person."""
    lang = state.language or config.default_language
    count = state.fallbacks_in_row + 1
    state = _felt(config, state, 0.0, inbound.now)  # a calm "no" adds no frustration
    state = changed(state, fallbacks_in_row=count, last_answered=None, topic=None)
    reply = Reply(config.text("none_of_these", lang), (_human_button(config, lang),), "fallback")
    decision = Decision("fallback", lang, mood=state.frustration, reasons=("none_of_these",))
    return Turn((reply,), state, decision)


def _negative(
    config: Config, state: ConversationState, msg: Utterance, signal: float, answered: str
) -> Turn:
    state = _felt(config, state, signal, msg.now)
    reasons = ("negative_feedback",) + msg.reasons
    if _too_frustrated(config, state):
        decision = _decide(msg, "handoff", state, ("frustration",) + reasons, intent=answered)
        return _handoff(config, state, decision, "handoff_frustrated")
    state = changed(state, last_answered=None)
    reply = Reply(
        config.text("feedback_sorry", msg.language),
        (_human_button(config, msg.language),),
        "feedback",
        answered,
    )
    return Turn((reply,), state, _decide(msg, "feedback", state, reasons, intent=answered))


def _on_feedback(config: Config, state: ConversationState, inbound: Inbound) -> Turn:
    lang = state.language or config.default_language
    answered = inbound.intent or state.last_answered
    if inbound.helpful is False:
        msg = Utterance("", "", lang, inbound.now, (), False, 0.0, ())
        return _negative(config, state, msg, mood.NEGATIVE_FEEDBACK_SIGNAL, answered or "")
    state = _felt(config, state, 0.0, inbound.now)
    reply = Reply(config.text("feedback_thanks", lang), kind="feedback", intent=answered)
    decision = Decision(
        "feedback", lang, answered, mood=state.frustration, reasons=("helpful",), topic=state.topic
    )
    return Turn((reply,), state, decision)


def _on_file(config: Config, state: ConversationState) -> Turn:
    """A file without words: the bot cannot read it, a person can. Not a fallback, which
    would count against the rules and end up in the unanswered inbox."""
    lang = state.language or config.default_language
    reply = Reply(
        config.text("file_received", lang), (_human_button(config, lang),), kind="file"
    )
    return Turn((reply,), state, Decision("file", lang, mood=state.frustration, topic=state.topic))


def _while_with_people(config: Config, state: ConversationState, inbound: Inbound) -> Turn:
    """Queued or offline: only "how long?" gets a reply. Assigned: the agent answers."""
    lang = utterance.language(config, state, inbound.text)
    state = changed(state, language=lang)
    asks = inbound.kind != "feedback" and (
        utterance.is_wait_question(inbound.text) or mood.wants_human(inbound.text, lang)
    )
    if state.status == "assigned" or not asks:
        decision = Decision("silent", lang, mood=state.frustration, reasons=(state.status,))
        return Turn((), state, decision)
    # the desk's own answer replaces this one where it runs (when the team is back)
    key = "offline_wait" if state.status == "offline" else "queued_wait"
    decision = Decision("queue", lang, mood=state.frustration, reasons=("asked_wait",))
    return Turn((Reply(config.text(key, lang), kind="queue"),), state, decision)


# --- building -----------------------------------------------------------------------


def _topic(rulebook: Rulebook, state: ConversationState, msg: Utterance, zone: str) -> str | None:
    """This message's top intent when it is answered or clarified (asking for a person is
    no topic), else the topic the conversation had."""
    top = msg.candidates[0].intent if msg.candidates else None
    if zone == "fallback" or top is None or top == rulebook.config.human_intent:
        return state.topic
    return top


def _felt(config: Config, state: ConversationState, signal: float, now: float) -> ConversationState:
    elapsed = now - state.frustration_at
    level = mood.update_level(state.frustration, elapsed, signal, config.frustration)
    return changed(state, frustration=level, frustration_at=now)


def _too_frustrated(config: Config, state: ConversationState) -> bool:
    settings = config.frustration
    return settings.enabled and state.frustration >= settings.escalate_at


def _handoff(
    config: Config,
    state: ConversationState,
    decision: Decision,
    text_key: str,
    first: tuple[Reply, ...] = (),
) -> Turn:
    lang = decision.language
    state = changed(state, status="queued", fallbacks_in_row=0)
    reply = Reply(config.text(text_key, lang), kind="handoff")
    return Turn(first + (reply,), state, decision)


def _decide(
    msg: Utterance,
    name: str,
    state: ConversationState,
    reasons: tuple[str, ...] = (),
    intent: str | None = None,
    action: str | None = None,
) -> Decision:
    top = msg.candidates[0] if msg.candidates else None
    named = intent or (top.intent if top else None)
    score = next((c.score for c in msg.candidates if c.intent == named), 0.0)
    return Decision(
        decision=name,
        language=msg.language,
        intent=named,
        score=score,
        candidates=tuple((c.intent, c.score) for c in msg.candidates),
        mood=state.frustration,
        # the message's mood cues go with every decision, so analytics can see them all
        reasons=tuple(dict.fromkeys(reasons + msg.reasons)),
        action=action,
        topic=state.topic,
    )


def _answer_text(config: Config, intent: Intent, lang: str) -> str:
    return (
        intent.answer.get(lang)
        or intent.answer.get(config.default_language)
        or next(iter(intent.answer.values()), "")
    )


def _quick_replies(rulebook: Rulebook, intent: Intent, lang: str) -> tuple[Button, ...]:
    found = (rulebook.by_name.get(name) for name in intent.quick_replies)
    return tuple(_intent_button(i, lang) for i in found if i is not None)


def _topics(rulebook: Rulebook, lang: str) -> list[str]:
    """The categories' labels, in the rules' order; not the category of asking for a person
    (the catch-all, and "talk to a person" is offered on its own)."""
    config = rulebook.config
    human = rulebook.by_name.get(config.human_intent)
    skip = human.category if human else None
    categories = dict.fromkeys(i.category for i in rulebook.intents if i.category != skip)
    labels = [
        config.text(f"category_{c}", lang) if config.has_text(f"category_{c}") else
        c.replace("_", " ")
        for c in categories
    ]  # fmt: skip
    return labels[:TOPICS_SHOWN]


def _intent_button(intent: Intent, lang: str) -> Button:
    return Button(intent.label(lang), "/" + intent.name)


def _human_button(config: Config, lang: str) -> Button:
    return Button(config.text("offer_human_button", lang), "/" + config.human_intent)
