"""`helpline test`: run the rules' scripted conversations and report each mismatch."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass

from helpline.dialogue import greet, respond
from helpline.matcher import Matcher
from helpline.rules.model import ConversationTest, Rulebook
from helpline.turn import ConversationState, Decision, Inbound, Turn

STEP_SECONDS = 5.0  # scripted customers type every few seconds; frustration decays with it


@dataclass(frozen=True)
class Outcome:
    test: ConversationTest
    failures: tuple[str, ...]  # one `file:line: ...` line per mismatched step

    @property
    def passed(self) -> bool:
        return not self.failures


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("test", help="run the conversation tests in DIR/tests")
    parser.add_argument("rules", nargs="?", default="bot_rules", help="rules directory")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from helpline.cli.chat import load

    loaded = load(args.rules)
    if loaded is None:
        return 1
    rulebook, matcher = loaded
    outcomes = run_tests(rulebook, matcher)
    for outcome in outcomes:
        print(("PASS " if outcome.passed else "FAIL ") + outcome.test.name)
        for failure in outcome.failures:
            print("  " + failure)
    failed = sum(1 for o in outcomes if not o.passed)
    print(f"{len(outcomes) - failed} passed, {failed} failed, {len(outcomes)} tests")
    return 1 if failed else 0


def run_tests(rulebook: Rulebook, matcher: Matcher) -> list[Outcome]:
    return [run_test(rulebook, matcher, test) for test in rulebook.tests]


def run_test(rulebook: Rulebook, matcher: Matcher, test: ConversationTest) -> Outcome:
    """One conversation from a fresh state; every step is checked, not just the first."""
    turn: Turn = greet(rulebook, ConversationState(), 0.0)
    failures: list[str] = []
    for number, step in enumerate(test.steps, start=1):
        inbound = _inbound(step, number * STEP_SECONDS)
        turn = respond(rulebook, matcher, turn.state, inbound)
        problem = _mismatch(step, turn.decision)
        if problem:
            where = f"{test.file}:{step.get('line') or test.line}"
            failures.append(f"{where}: test {test.name!r} step {number}: {problem}")
    return Outcome(test, tuple(failures))


def _inbound(step: Mapping[str, object], now: float) -> Inbound:
    if "button" in step:
        return Inbound("button", now, payload="/" + str(step["button"]))
    if "feedback" in step:
        return Inbound("feedback", now, helpful=_helpful(step["feedback"]))
    return Inbound("text", now, text=str(step.get("user", "")))


def _helpful(value: object) -> bool:
    return value is True or str(value).lower() in ("up", "yes", "true", "helpful", "👍")


_UNSET = object()


def _mismatch(step: Mapping[str, object], got: Decision) -> str | None:
    intent = step.get("intent", step.get("expect_intent", _UNSET))
    decision = step.get("decision", step.get("expect_decision"))
    answered = got.decision == "answer" or "intent_escalates" in got.reasons
    if intent is None and answered:  # `intent: null`: the bot must not answer anything
        return f"expected no intent, got {_describe(got)}"
    if isinstance(intent, str) and (got.intent != intent or not _took(got)):
        return f"expected intent {intent}, got {_describe(got)}"
    if decision is not None and got.decision != decision:
        return f"expected decision {decision}, got {_describe(got)}"
    return None


def _took(got: Decision) -> bool:
    """The bot acted on the intent: answered it, or handed over because of it."""
    return got.decision in ("answer", "handoff")


def _describe(got: Decision) -> str:
    return f"{got.intent or 'no intent'} (score {got.score:.1f}, {got.decision})"
