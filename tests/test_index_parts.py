"""What an index assembles from its parts at every start, made from arrays, equals what the
examples give one by one: the inverted lists and the per-intent word weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpline.matcher import SoftIdfMatcher, build_matcher
from helpline.matcher.weights import IntentWeights
from helpline.rules import load_rulebook

BOT_RULES = Path(__file__).parent.parent / "bot_rules"


@pytest.fixture(scope="module")
def matcher() -> SoftIdfMatcher:
    return build_matcher(load_rulebook(BOT_RULES))


def test_each_feature_lists_the_examples_that_have_it_with_their_weights(
    matcher: SoftIdfMatcher,
) -> None:
    index = matcher.index
    expected: dict[str, list[tuple[int, float]]] = {}
    for n, vector in enumerate(index.examples_vectors):
        for feature, weight in vector.items():
            expected.setdefault(feature, []).append((n, weight))
    for feature, listed in expected.items():
        found = index.postings.get(feature)
        assert found is not None
        examples, weights = found
        assert list(zip(examples.tolist(), weights.tolist(), strict=True)) == listed
    assert index.postings.get("w:no-example-has-this") is None


def test_weights_counted_from_the_lists_are_those_of_the_examples(
    matcher: SoftIdfMatcher,
) -> None:
    index = matcher.index
    examples = ((e.intent, e.vector) for e in index.examples)
    one_by_one = IntentWeights(examples, len(index.intents))
    counted = IntentWeights.counted(
        index.postings.lists(), index.intent_of_example, len(index.intents)
    )
    assert vars(counted) == vars(one_by_one)


def test_an_intent_whose_examples_have_no_known_feature_still_counts_them() -> None:
    # example 2 (intent 1) has an empty vector: it is in no list, yet it is an example
    lists = (["w:a", "w:b"], [0, 2, 3], np.array([0, 1, 0]))
    counted = IntentWeights.counted(lists, np.array([0, 0, 1]), 2)
    one_by_one = IntentWeights([(0, {"w:a": 1.0, "w:b": 0.5}), (0, {"w:a": 1.0}), (1, {})], 2)
    assert vars(counted) == vars(one_by_one)
    assert counted.examples_per_intent == [2, 1]
