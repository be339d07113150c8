"""The inbox's clusters: rewordings of one question together, other questions apart,
the same result every time, each with its language and the intent it is nearest to."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpline.inbox.cluster import answered_now, cluster_id, clusters
from helpline.matcher import Matcher, build_matcher
from helpline.rules import Rulebook, load_rulebook

BOT_RULES = Path(__file__).parent.parent / "bot_rules"


@dataclass(frozen=True)
class Flagged:
    text: str
    language: str
    n: int

    @property
    def key(self) -> tuple[str, int]:
        return ("c_test", self.n)


@pytest.fixture(scope="module")
def rules(bot_rules_encoded: None) -> tuple[Rulebook, Matcher]:
    rulebook = load_rulebook(BOT_RULES)
    return rulebook, build_matcher(rulebook)


WORDINGS = [
    ("can i pay with bitcoin", "en"),
    ("where is my parcel", "en"),
    ("do you accept bitcoin", "en"),
    ("비트코인으로 결제 돼요?", "ko"),
    ("my parcel never came", "en"),
    ("bitcoin payment possible?", "en"),
    ("비트코인 결제 가능한가요", "ko"),
    ("the weather is nice today", "en"),
]


def flagged(wordings: list[tuple[str, str]]) -> list[Flagged]:
    return [Flagged(text, language, n) for n, (text, language) in enumerate(wordings)]


def test_rewordings_share_a_cluster_and_other_questions_do_not(
    rules: tuple[Rulebook, Matcher],
) -> None:
    found = clusters(flagged(WORDINGS), *rules)

    assert [[m.text for m in c.members] for c in found] == [
        ["can i pay with bitcoin", "do you accept bitcoin", "bitcoin payment possible?"],
        ["where is my parcel", "my parcel never came"],
        ["비트코인으로 결제 돼요?", "비트코인 결제 가능한가요"],
        ["the weather is nice today"],
    ]
    assert [c.language for c in found] == ["en", "en", "ko", "en"]
    assert [c.size for c in found] == [3, 2, 2, 1]


def test_a_cluster_is_named_by_its_first_message_and_comes_out_the_same_each_time(
    rules: tuple[Rulebook, Matcher],
) -> None:
    first = clusters(flagged(WORDINGS), *rules)
    again = clusters(flagged(WORDINGS), *rules)

    assert first == again
    assert first[0].id == cluster_id(("c_test", 0))
    assert first[1].id == cluster_id(("c_test", 1))


def test_the_nearest_is_the_intent_most_members_lean_to_at_their_mean_score(
    rules: tuple[Rulebook, Matcher],
) -> None:
    rulebook, matcher = rules
    [bitcoin, *_] = clusters(flagged(WORDINGS), rulebook, matcher)
    tops = [matcher.match(m.text, "en", limit=1)[0] for m in bitcoin.members]
    votes = Counter(t.intent for t in tops)
    [(leaning, count)] = votes.most_common(1)
    assert count > 1 and len(votes) > 1  # a real vote: most members, not all, lean one way

    leaning_scores = [t.score for t in tops if t.intent == leaning]
    assert bitcoin.nearest is not None
    assert bitcoin.nearest.intent == leaning  # not the single best-scored top, if another's
    assert bitcoin.nearest.score == round(sum(leaning_scores) / count, 2)
    assert bitcoin.nearest.score < rulebook.config.thresholds.answer


def test_a_cluster_shows_each_wording_once_the_most_sent_first(
    rules: tuple[Rulebook, Matcher],
) -> None:
    sent = [("do you accept bitcoin", "en"), ("can i pay with bitcoin", "en")]
    sent.append(("Can I pay with Bitcoin?", "en"))
    [cluster] = clusters(flagged(sent), *rules)

    assert cluster.size == 3
    assert cluster.wordings() == ["can i pay with bitcoin", "do you accept bitcoin"]


def test_no_messages_make_no_clusters(rules: tuple[Rulebook, Matcher]) -> None:
    assert clusters([], *rules) == []


def test_answered_now_counts_what_the_bot_would_answer_as_a_first_message(
    rules: tuple[Rulebook, Matcher],
) -> None:
    rulebook, matcher = rules
    texts = [("my payment failed", "en"), ("can i pay with bitcoin", "en"), ("결제가 안돼요", "ko")]

    assert answered_now(texts, rulebook, matcher, now=0.0) == 2


def test_a_cluster_of_one_message_is_nearest_to_its_top_candidate(
    rules: tuple[Rulebook, Matcher],
) -> None:
    rulebook, matcher = rules
    [cluster] = clusters(flagged([("where is my parcel", "en")]), rulebook, matcher)
    [top] = matcher.match("where is my parcel", "en", limit=1)

    assert cluster.nearest is not None
    assert (cluster.nearest.intent, cluster.nearest.score) == (top.intent, top.score)
