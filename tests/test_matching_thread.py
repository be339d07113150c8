"""A turn with a new sentence to encode is decided on the node's matching thread, so the
event loop keeps serving other customers meanwhile; a kept answer, a text-less turn and a
matcher without encoders are decided at once on the loop (service/matching.py)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from helpline import dialogue
from helpline.matcher import build_matcher
from helpline.rules import load_rulebook
from helpline.rules.model import Rulebook
from helpline.service import matching
from helpline.service.rules_holder import ActiveRules
from helpline.turn import ConversationState, Inbound

RULES = Path(__file__).resolve().parent.parent / "bot_rules"


@cache
def shipped() -> ActiveRules:
    rulebook = load_rulebook(RULES)  # both sentence encoders on, as shipped
    return ActiveRules(rulebook, build_matcher(rulebook), 1)


@contextmanager
def where_matched(active: ActiveRules) -> Iterator[list[int]]:
    """The threads the matcher's match() runs on meanwhile, in order."""
    threads: list[int] = []
    matcher: Any = active.matcher
    original: Callable[..., Any] = matcher.match

    def recorded(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        return original(*args, **kwargs)

    matcher.match = recorded
    try:
        yield threads
    finally:
        del matcher.match


def text(words: str) -> Inbound:
    return Inbound("text", 0.0, text=words)


async def test_a_new_text_is_matched_off_the_loop_and_a_repeated_one_on_it() -> None:
    active = shipped()
    loop_thread = threading.get_ident()
    message = text("결제 카드를 바꾸려면 어디로 가야 하나요")
    with where_matched(active) as threads:
        first = await matching.respond(active, ConversationState(), message)
        again = await matching.respond(active, ConversationState(), message)
    assert threads[0] != loop_thread
    assert threads[1:] == [loop_thread]
    assert first.decision == again.decision
    inline = dialogue.respond(active.rulebook, active.matcher, ConversationState(), message)
    assert first.decision == inline.decision and first.replies == inline.replies


async def test_the_loop_serves_while_a_new_text_is_encoded() -> None:
    active = shipped()
    ticks = 0
    done = False

    async def other_customers() -> None:
        nonlocal ticks
        while not done:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(other_customers())
    await asyncio.sleep(0)
    started = ticks
    await matching.respond(
        active, ConversationState(), text("I moved house and my TV app keeps asking for a code")
    )
    done = True
    await ticker
    assert ticks > started + 1  # the loop ran the others during the turn, not only after


async def test_turns_without_text_and_matchers_without_encoders_stay_on_the_loop(
    rulebook: Rulebook,
) -> None:
    loop_thread = threading.get_ident()
    plain = ActiveRules(rulebook, build_matcher(rulebook), 1)  # the fixture's: no encoder
    with where_matched(plain) as threads:
        await matching.respond(plain, ConversationState(), text("how do I reset my password"))
    assert threads == [loop_thread]

    encoded = shipped()
    with where_matched(encoded) as threads:
        await matching.respond(encoded, ConversationState(), Inbound("feedback", 0.0, helpful=True))
        await matching.respond(encoded, ConversationState(), text("   "))
    assert all(t == loop_thread for t in threads)
