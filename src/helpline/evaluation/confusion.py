"""Confusable intents: examples that another intent wins when left out of their own."""

from __future__ import annotations

from helpline.errors import Problem
from helpline.matcher import SoftIdfMatcher, rulebook_rows
from helpline.matcher.scorer import score_intents, to_scale
from helpline.rules.model import Rulebook
from helpline.text import SynonymMap


def confusable_examples(rulebook: Rulebook) -> list[Problem]:
    """Leave-one-out over every example; a warning at the intent for each example that
    another intent wins with a score the bot would answer at.

    A winner below the answer threshold only leads to "did you mean" or a fallback, and
    with diverse examples many would, so only wrong answers are reported.
    """
    matcher = SoftIdfMatcher(rulebook_rows(rulebook), SynonymMap(rulebook.config.synonyms))
    index = matcher.index
    problems: list[Problem] = []
    for n, example in enumerate(index.examples):
        query = index.query(example.text)
        scored = score_intents(index, query, leave_out=n)
        if not scored or scored[0].intent == example.intent:
            continue
        winner = index.intents[scored[0].intent]
        score = to_scale(scored[0].raw)
        if score < rulebook.thresholds_for(winner).answer:
            continue
        problems.append(_warning(rulebook, index.intents[example.intent], winner, example.text,
                                 score))
    return problems


def _warning(rulebook: Rulebook, own: str, winner: str, text: str, score: float) -> Problem:
    intent = rulebook.by_name[own]
    return Problem(
        intent.file,
        intent.line,
        f"intent {own!r}: example {text!r} matches intent {winner!r} ({score:.0f}) when"
        f" left out of {own!r}; the two may be confusable",
        severity="warning",
    )
