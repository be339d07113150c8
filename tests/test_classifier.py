"""The matcher's softmax classifier: deterministic, learns the words that tell intents
apart, and weighs in only where an intent has examples enough to learn from."""

from __future__ import annotations

import numpy as np
import pytest

from helpline.matcher import SoftIdfMatcher, scorer
from helpline.matcher.classifier import SoftmaxClassifier
from helpline.matcher.index import Index
from helpline.matcher.scorer import score_intents, to_scale

# Both intents talk about the account; only "delete"/"remove" against "password"/"login"
# tells them apart.
ROWS = [
    ("close_account", t)
    for t in (
        "delete my account", "please delete the account", "remove my account",
        "how do i delete my account", "i want my account removed", "delete account now",
    )
] + [
    ("password_reset", t)
    for t in (
        "reset my account password", "i forgot the password of my account",
        "cannot login to my account", "account login problem", "change my account password",
        "my account password does not work",
    )
]  # fmt: skip


def _classifier(rows: list[tuple[str, str]]) -> tuple[Index, SoftmaxClassifier]:
    index = Index(rows, None)
    return index, index.classifier


def test_training_is_deterministic() -> None:
    _, first = _classifier(ROWS)
    _, second = _classifier(ROWS)
    assert np.array_equal(first.weights, second.weights)


def test_probabilities_sum_to_one_and_favour_the_right_intent() -> None:
    index, classifier = _classifier(ROWS)
    for text, intent in (("remove the account please", "close_account"),
                         ("forgot password", "password_reset")):  # fmt: skip
        probabilities = classifier.probabilities(index.query(text).vector)
        assert abs(float(probabilities.sum()) - 1.0) < 1e-5
        assert index.intents[int(np.argmax(probabilities))] == intent
        assert float(probabilities.max()) > 0.6


def test_the_deciding_words_are_the_distinguishing_ones_not_the_shared_one() -> None:
    index, classifier = _classifier(ROWS)
    vector = index.query("delete my account").vector
    close = index.intents.index("close_account")
    words = [feature[2:] for feature, _ in classifier.strongest(vector, close, 4)]
    assert words and words[0] == "delet"  # the word form after the light stem
    assert "account" not in words[:1]


def test_words_no_example_has_change_nothing() -> None:
    index, classifier = _classifier(ROWS)
    known = index.query("delete my account").vector
    assert np.array_equal(
        classifier.probabilities({**known, "w:zebra": 0.5}), classifier.probabilities(known)
    )


def test_with_one_example_per_intent_the_score_is_similarity_alone() -> None:
    rows = [("refund", "i want a refund"), ("password_reset", "reset my password")]
    index = Index(rows, None)
    [top, *_] = score_intents(index, index.query("refund please"))
    assert top.score == to_scale(top.raw)


def test_with_many_examples_the_classifier_takes_part_in_the_score() -> None:
    index = Index(ROWS, None)
    [top, *_] = score_intents(index, index.query("remove my account please"))
    assert index.intents[top.intent] == "close_account"
    assert top.classified > 0.5
    assert top.score != to_scale(top.raw)


def test_the_classifiers_choice_is_scored_even_when_the_similarity_passes_it_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Only the intent with the nearest example is scored on similarity: "forgot" makes
    # that password_reset, while the classifier chooses close_account.
    monkeypatch.setattr(scorer, "SCORED_INTENTS", 1)
    index = Index(ROWS, None)
    query = index.query("forgot account")
    chosen = int(np.argmax(index.classifier.probabilities(query.features, query.meaning)))
    scored = [s.intent for s in score_intents(index, query)]
    assert index.intents[scored[0]] == "password_reset"
    assert index.intents[chosen] == "close_account" and chosen in scored


def test_explanations_name_the_deciding_words() -> None:
    matcher = SoftIdfMatcher(ROWS)
    [top, *_] = matcher.match("delete my account", explain=True)
    deciding = next(line for line in top.evidence if line.startswith("deciding words:"))
    assert "delet(" in deciding
    assert any("classifier" in line for line in top.evidence)


def test_the_spelling_of_a_word_no_example_uses_speaks_for_the_intent_of_its_stem() -> None:
    index = Index(ROWS, None)
    # "deletion" and "passwords" are not example words (nor fixed as typos of them), but
    # they share most of their 3-letter pieces with "delete" and "password"
    for text, intent in (("account deletion", "close_account"), ("passwords", "password_reset")):
        query = index.query(text)
        assert query.features is not None and len(query.features) > len(query.vector)
        right = index.intents.index(intent)
        words_only = index.classifier.probabilities(query.vector, query.meaning)[right]
        spelled = index.classifier.probabilities(query.features, query.meaning)[right]
        assert spelled > words_only + 0.1, text
        assert spelled > 0.5, text


def test_explanations_sum_the_spelling_pieces_into_one_item() -> None:
    matcher = SoftIdfMatcher(ROWS)
    [top, *_] = matcher.match("account deletion", explain=True)
    deciding = next(line for line in top.evidence if line.startswith("deciding words:"))
    listed = deciding.removeprefix("deciding words:").split()
    assert any(item.startswith("spelling(+") for item in listed)
    assert not any(item.startswith(("s:", "<")) for item in listed)  # no raw pieces
