"""Quality gate for the shipped StreamFlix rules: they load, their conversations pass, and
customers' messages in both languages get what they should (the project's labelled sets)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from helpline.cli.test import Outcome, run_tests
from helpline.evaluation import data, dialogue, intents
from helpline.matcher import Matcher, build_matcher
from helpline.rules import load_rulebook
from helpline.rules.model import Rulebook

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "bot_rules"
DEV_SET = REPO / "bench" / "data" / "streamflix_dev.jsonl"

# What a customer gets from the shipped bot (helpline eval --dialogue: each message the first
# of a new conversation, through the real policy), per language of each labelled set. The
# project aims at the right answer for 70% of the questions it has an answer for, a wrong
# answer for at most 5% of all messages, and 90% of out-of-scope messages not answered; the
# floors sit a few points under what it measures (lowest: 86.9 right on real_ko, 91.7 held
# on the dev set's English) so that a fall means a rules, matcher or mood change made the
# bot worse at its job.
CUSTOMER_SETS = ("streamflix_dev.jsonl", "real_en.jsonl", "real_ko.jsonl")
ANSWERED_RIGHT_FLOOR = 83.0
WRONG_ANSWER_CEILING = 5.0
OOS_HELD_FLOOR = 88.0
# The matcher alone on the dev set, without "did you mean": it still rarely answers wrongly
# (measured at answer 62 with both encoders: 97.8% right, 5.3% wrong; the Korean encoder
# took it from 95.2% / 4.6%, answering two more out-of-scope Korean messages for six more
# in-scope ones, which "did you mean" and the thresholds keep from customers: 2.0% wrong).
FLOORS: dict[str, Callable[[float], bool]] = {
    "in_scope_accuracy": lambda value: value >= 92.0,
    "wrong_answer_rate": lambda value: value <= 5.5,
}
# "Did you mean" buttons are part of answering: the right intent should be among the
# candidates almost always, even when the bot asks first.
CLOSED_SET_FLOOR = 95.0


@cache
def _shipped() -> tuple[Rulebook, Matcher]:
    rulebook = load_rulebook(RULES)
    return rulebook, build_matcher(rulebook)


@cache
def _dev_figures(clarify: bool) -> dict[str, Any]:
    rulebook, matcher = _shipped()
    predictions = intents.predict(matcher, data.read_rows(DEV_SET))
    return intents.metrics(predictions, rulebook.thresholds_for, clarify)


@cache
def _customer_figures(name: str) -> dict[str, Any]:
    rulebook, matcher = _shipped()
    rows = data.read_rows(REPO / "bench" / "data" / name)
    return dialogue.figures(dialogue.run(rulebook, matcher, rows))


@pytest.mark.parametrize("name", CUSTOMER_SETS)
def test_customers_get_the_right_answer_and_few_wrong_ones_in_each_language(name: str) -> None:
    report = _customer_figures(name)
    for language in [key for key in report if key != "all"] or ["all"]:
        figures = report[language]
        assert figures["answered_right"] >= ANSWERED_RIGHT_FLOOR, (language, figures)
        assert figures["wrong_answer_rate"] <= WRONG_ANSWER_CEILING, (language, figures)
        assert figures["oos_held"] >= OOS_HELD_FLOOR, (language, figures)


@cache
def _outcomes() -> dict[str, Outcome]:
    rulebook, matcher = _shipped()
    return {o.test.name: o for o in run_tests(rulebook, matcher)}


def test_shipped_rules_load_without_errors_or_warnings() -> None:
    rulebook, _ = _shipped()
    assert rulebook.warnings == ()
    assert len(rulebook.intents) >= 50


def test_every_intent_has_examples_and_an_answer_in_both_languages() -> None:
    rulebook, _ = _shipped()
    thin = [
        (intent.name, lang)
        for intent in rulebook.intents
        for lang in rulebook.config.languages
        if len(intent.examples.get(lang, ())) < 10 or not intent.answer.get(lang)
    ]
    assert thin == []


def test_dev_set_labels_name_shipped_intents() -> None:
    rulebook, _ = _shipped()
    labels = {row["intent"] for row in data.read_rows(DEV_SET)}
    assert labels - {None} <= set(rulebook.by_name)
    assert None in labels


def test_dev_set_is_not_copied_from_the_examples() -> None:
    rulebook, _ = _shipped()
    examples = {_squeezed(e) for i in rulebook.intents for es in i.examples.values() for e in es}
    copies = [row["text"] for row in data.read_rows(DEV_SET) if _squeezed(row["text"]) in examples]
    assert copies == []


def _squeezed(text: str) -> str:
    return "".join(text.lower().split())


def _conversation_names() -> list[str]:
    return [test.name for test in load_rulebook(RULES).tests]


@pytest.mark.parametrize("name", _conversation_names())
def test_shipped_conversation_test_passes(name: str) -> None:
    outcome = _outcomes()[name]
    assert outcome.failures == ()


def test_right_intent_is_top_candidate_for_nearly_every_in_scope_dev_message() -> None:
    value = _dev_figures(clarify=True)["closed_set_accuracy"]
    assert value >= CLOSED_SET_FLOOR, f"closed_set_accuracy = {value}"


def test_without_did_you_mean_the_bot_still_rarely_answers_wrongly() -> None:
    figures = _dev_figures(clarify=False)
    for figure, holds in FLOORS.items():
        assert holds(figures[figure]), f"{figure} = {figures[figure]}"
