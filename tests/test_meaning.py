"""Word vectors in the matcher: a message's meaning lets words no example uses choose
between intents, explanations name those words, and a real word is not taken for a typo
of one it means nothing like."""

from __future__ import annotations

import numpy as np
import pytest

from helpline.matcher import SoftIdfMatcher
from helpline.matcher.index import Index
from helpline.matcher.meaning import DIMENSIONS, LENGTH, WordVectors

# "today" is in every example, so only what the other words mean tells these apart; the
# food intent comes first, so it wins a tie.
ROWS = [
    ("food", t)
    for t in (
        "i want pizza today", "order a burger today", "pasta for dinner today",
        "a salad for lunch today", "deliver some sushi today", "cook rice and chicken today",
    )
] + [
    ("weather", t)
    for t in (
        "is it raining today", "will it snow today", "how hot is it today",
        "is it windy today", "how cold is it outside today", "sunny or cloudy today",
    )
]  # fmt: skip


def _cosine(vectors: WordVectors, a: str, b: str) -> float:
    x, y = (vectors.vectors[vectors.position[w]] for w in (a, b))
    return float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))


def test_the_shipped_vectors_put_words_used_alike_near_each_other() -> None:
    vectors = WordVectors.shipped()
    assert len(vectors.position) == 50_000 and vectors.vectors.shape == (50_000, DIMENSIONS)
    assert _cosine(vectors, "cash", "money") > 0.6 > _cosine(vectors, "cash", "banana")
    assert _cosine(vectors, "refund", "reimburse") > _cosine(vectors, "refund", "weather")


def test_many_texts_at_once_mean_what_each_means_alone() -> None:
    vectors = WordVectors.shipped()
    texts = [(["lost", "my", "card"], [2.0, 0.5, 1.5]), (["zzqx"], [1.0]), ([], [])]
    together = vectors.meanings(texts)
    for row, (words, weights) in zip(together, texts, strict=True):
        assert np.allclose(row, vectors.meaning(words, weights), atol=1e-6)
    assert np.linalg.norm(together[0]) == pytest.approx(LENGTH)
    assert not together[1].any() and not together[2].any()  # no known word: no meaning


def test_the_parts_of_a_meaning_add_up_to_it_along_any_direction() -> None:
    vectors = WordVectors.shipped()
    words, weights = ["where", "is", "my", "cash"], [1.0, 0.2, 0.3, 3.0]
    direction = np.random.default_rng(1).normal(size=DIMENSIONS).astype(np.float32)
    parts = vectors.parts(words, weights, direction)
    assert sum(v for _, v in parts) == pytest.approx(
        float(vectors.meaning(words, weights) @ direction), rel=1e-4
    )
    assert [v for _, v in parts] == sorted((v for _, v in parts), reverse=True)


def test_a_korean_message_has_no_meaning_and_loses_nothing_by_it() -> None:
    index = Index([("pay", "결제가 안 돼요"), ("pay", "카드 결제 실패")], None)
    assert not index.query("결제 오류가 나요").meaning.any()  # type: ignore[union-attr]


def test_words_no_example_uses_choose_the_intent_by_what_they_mean() -> None:
    index = Index(ROWS, None)
    for text, intent in (
        ("thunderstorm and heavy rain warning today", "weather"),
        ("blizzard and freezing temperatures today", "weather"),
        ("noodles and dumplings today", "food"),
    ):
        query = index.query(text)
        plain = index.classifier.probabilities(query.features or query.vector)
        meant = index.classifier.probabilities(query.features or query.vector, query.meaning)
        assert index.intents[int(np.argmax(meant))] == intent, text
        # the words alone ("today", "and" or their spelling) lean either way or neither;
        # the meaning moves the intent up
        right = index.intents.index(intent)
        assert meant[right] > plain[right], text


def test_explaining_a_match_names_the_words_whose_meaning_decided_it() -> None:
    matcher = SoftIdfMatcher(ROWS, None)
    top = matcher.match("thunderstorm warning today", explain=True)[0]
    assert top.intent == "weather"
    meaning = next(line for line in top.evidence if line.startswith("meaning from: "))
    assert meaning.split()[2].startswith("thunderstorm(+")


def test_a_real_word_is_not_taken_for_a_typo_of_a_word_it_means_nothing_like() -> None:
    index = Index([("app_crashes", "the app crashes"), ("app_crashes", "app crash on start")], None)
    assert index.nearest_word("cash") is None  # cash is no typo of crash
    assert index.nearest_word("crahs") == ("crash", pytest.approx(0.8))  # a typo still is
