"""What an index assembles from its parts at every start, made from arrays, equals what the
examples give one by one: the inverted lists, the per-intent word weights and profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from helpline.matcher import SoftIdfMatcher, build_matcher
from helpline.matcher.index_parts import postings, profile_sums
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


def profiles_one_by_one(
    vectors: list[dict[str, float]], intent_of: list[int], hangul: list[bool], n_intents: int
) -> list[list[tuple[bool, list[tuple[str, float]]]]]:
    """Each intent's per-script sums added example by example, feature by feature, in
    order: the features and scripts in the order they first appear."""
    sums: list[dict[bool, dict[str, float]]] = [{} for _ in range(n_intents)]
    for vector, intent, script in zip(vectors, intent_of, hangul, strict=True):
        total = sums[intent].setdefault(script, {})
        for feature, weight in vector.items():
            total[feature] = total.get(feature, 0.0) + weight
    return [[(k, list(v.items())) for k, v in by_script.items()] for by_script in sums]


def in_order(sums: list[dict[bool, dict[str, float]]]) -> list[list[tuple[bool, Any]]]:
    return [[(k, list(v.items())) for k, v in by_script.items()] for by_script in sums]


def test_profiles_summed_from_the_lists_are_those_of_the_examples_in_order(
    matcher: SoftIdfMatcher,
) -> None:
    index = matcher.index
    assert True in index.profile_of and False in index.profile_of  # both scripts summed
    expected = profiles_one_by_one(
        index.examples_vectors, index.intent_of, index.profile_of, len(index.intents)
    )
    assert in_order(index.profile_sums) == expected


def test_an_example_with_no_known_feature_still_gives_its_script_a_profile() -> None:
    vectors = [{"w:a": 0.6, "w:b": 0.8}, {}, {"w:b": 1.0, "g:x": 0.25}, {"w:a": 1.0}]
    intent_of, hangul = [0, 1, 0, 1], [False, True, True, False]
    lists = postings(vectors)
    found = profile_sums(lists, np.array(intent_of), hangul, 3)
    assert in_order(found) == profiles_one_by_one(vectors, intent_of, hangul, 3)
    assert in_order(found)[1] == [(True, []), (False, [("w:a", 1.0)])]
    assert found[2] == {}
