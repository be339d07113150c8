"""Confusable intents: examples that another intent wins when left out of their own."""

from __future__ import annotations

from helpline.errors import Problem
from helpline.matcher import build_matcher
from helpline.matcher.classifier import SoftmaxClassifier
from helpline.matcher.scorer import Scored, score_intents
from helpline.rules.model import Rulebook

FOLDS = 5  # classifiers trained for the check, each without a fifth of the examples


def confusable_examples(rulebook: Rulebook) -> list[Problem]:
    """Leave-one-out over every example; one warning per pair of intents where another
    intent wins an example with a score the bot would answer at.

    A winner below the answer threshold, or within the ambiguity margin of the example's
    own intent, only leads to "did you mean" (which offers the right intent too), so only
    examples the bot would answer wrongly are reported. Grouping by pair
    keeps the advice to one line per thing the author can fix.
    """
    matcher = build_matcher(rulebook)  # the matcher the bot serves, encoder and all
    index = matcher.index
    # The classifier cannot forget one example cheaply, so it is trained once per fold
    # without that fold's examples; the similarity leaves out exactly the one example.
    every = range(len(index.examples))
    folds = []
    for fold in range(FOLDS):
        kept = [n for n in every if n % FOLDS != fold]
        examples = [(index.intent_of[n], index.classifier_inputs[n]) for n in kept]
        folds.append(SoftmaxClassifier(examples, len(index.intents), index.meanings[kept]))
    lost: dict[tuple[str, str], list[str]] = {}
    for n, example in enumerate(index.examples):
        query = index.query(example.text)
        scored = score_intents(index, query, leave_out=n, classifier=folds[n % FOLDS])
        if not scored or scored[0].intent == example.intent:
            continue
        winner = index.intents[scored[0].intent]
        if not _would_answer(rulebook, winner, scored, example.intent):
            continue
        lost.setdefault((index.intents[example.intent], winner), []).append(example.text)
    return [_warning(rulebook, own, winner, texts) for (own, winner), texts in lost.items()]


def _would_answer(rulebook: Rulebook, winner: str, scored: list[Scored], own: int) -> bool:
    thresholds = rulebook.thresholds_for(winner)
    top = scored[0].score
    own_score = next((s.score for s in scored if s.intent == own), 0.0)
    return top >= thresholds.answer and top - own_score >= thresholds.ambiguity


def _warning(rulebook: Rulebook, own: str, winner: str, texts: list[str]) -> Problem:
    intent = rulebook.by_name[own]
    shown = ", ".join(repr(t) for t in texts[:3]) + (", ..." if len(texts) > 3 else "")
    return Problem(
        intent.file,
        intent.line,
        f"intent {own!r} and {winner!r} may be confusable: {len(texts)} example(s) of "
        f"{own!r} would be answered as {winner!r} if left out: {shown}",
        severity="warning",
    )
