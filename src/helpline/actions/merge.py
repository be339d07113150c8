"""Fold an action's outcome into the dialogue's turn: its messages in place of the answer."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from helpline.actions import wire
from helpline.actions.base import ActionMessage, ActionResult
from helpline.rules.model import Rulebook
from helpline.turn import Reply, Turn

_Instead = Callable[[Reply], tuple[Reply, ...]]  # the answer reply -> what goes in its place



def with_result(rulebook: Rulebook, turn: Turn, result: ActionResult) -> Turn:
    """Messages the action sent replace the intent's answer; with none, the answer stays."""
    intent = turn.decision.intent
    lang = turn.decision.language
    said = tuple(_reply(rulebook, m, lang, intent) for m in result.messages)
    said = tuple(r for r in said if r.text or r.buttons)
    state = replace(turn.state, slots=wire.slots_after(turn.state.slots, result.events))
    replies = _swap(turn.replies, intent, lambda answer: said or _shown(answer))
    if not replies:  # no answer in the rules and nothing from the action: never stay silent
        replies = (failure_reply(rulebook, lang, intent),)
    return replace(turn, replies=replies, state=state)


def with_failure(rulebook: Rulebook, turn: Turn) -> Turn:
    """The action could not run: say so kindly, then give the intent's answer if it has one."""
    intent = turn.decision.intent
    sorry = failure_reply(rulebook, turn.decision.language, intent)
    return replace(turn, replies=_swap(turn.replies, intent, lambda a: (sorry,) + _shown(a)))


def failure_reply(rulebook: Rulebook, lang: str, intent: str | None) -> Reply:
    return Reply(rulebook.config.text("action_failed", lang), kind="fallback", intent=intent)


def _swap(replies: Iterable[Reply], intent: str | None, instead: _Instead) -> tuple[Reply, ...]:
    out: list[Reply] = []
    for reply in replies:
        is_answer = reply.kind == "answer" and reply.intent == intent
        out.extend(instead(reply) if is_answer else (reply,))
    return tuple(out)


def _shown(reply: Reply) -> tuple[Reply, ...]:
    # An intent that only has an action may have no answer text: nothing to show then.
    return (reply,) if reply.text or reply.buttons else ()


def _reply(rulebook: Rulebook, message: ActionMessage, lang: str, intent: str | None) -> Reply:
    text = message.text or _response_text(rulebook, message.response, lang)
    return Reply(text, message.buttons, "answer", intent)


def _response_text(rulebook: Rulebook, name: str | None, lang: str) -> str:
    """A named response ("utter_billing_date" or "billing_date"): that intent's answer."""
    if not name:
        return ""
    found = rulebook.by_name.get(name) or rulebook.by_name.get(name.removeprefix("utter_"))
    if found is None:
        return ""
    return found.answer.get(lang) or next(iter(found.answer.values()), "")
