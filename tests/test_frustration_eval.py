"""frustration_report: AUROC, precision and recall on small tables worked out by hand."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from helpline.evaluation.frustration import auroc, frustration_report
from helpline.mood import MessageMood
from helpline.rules.model import FrustrationSettings

# Three frustrated rows and three calm ones; the polite question appears in both classes, so
# its two scores tie. By hand: each profane row outranks all three calm rows (3 + 3 pairs);
# the frustrated question outranks "감사합니다" (1), ties its calm twin (0.5) and loses to
# "still waiting" (0). AUROC = 7.5 / 9.
TABLE = [
    {"text": "FUCK THIS USELESS APP!!!", "frustrated": True},
    {"text": "씨발 왜 또 안돼", "frustrated": True},
    {"text": "How do I change my password?", "frustrated": True},
    {"text": "감사합니다", "frustrated": False},
    {"text": "How do I change my password?", "frustrated": False},
    {"text": "still waiting", "frustrated": False},
]


def test_report_auroc_on_hand_table_counts_ties_as_half() -> None:
    report = frustration_report(TABLE, FrustrationSettings(escalate_at=0.7))
    assert report["auroc"] == pytest.approx(7.5 / 9)


def test_report_at_high_threshold_escalates_only_the_profane_rows() -> None:
    report = frustration_report(TABLE, FrustrationSettings(escalate_at=0.7))
    assert (report["precision"], report["recall"]) == (pytest.approx(1.0), pytest.approx(2 / 3))


def test_report_at_low_threshold_also_escalates_the_mild_complaint() -> None:
    report = frustration_report(TABLE, FrustrationSettings(escalate_at=0.05))
    assert (report["precision"], report["recall"]) == (pytest.approx(2 / 3), pytest.approx(2 / 3))


def test_report_names_threshold_count_and_positives() -> None:
    report = frustration_report(TABLE, FrustrationSettings(escalate_at=0.7))
    assert (report["threshold"], report["count"], report["positives"]) == (0.7, 6, 3)


def test_report_precision_is_zero_when_nothing_escalates() -> None:
    report = frustration_report(TABLE, FrustrationSettings(escalate_at=1.01))
    assert (report["precision"], report["recall"]) == (0.0, 0.0)


def test_report_auroc_is_none_without_calm_rows() -> None:
    rows = [{"text": "worst app ever", "frustrated": True}]
    assert frustration_report(rows, FrustrationSettings())["auroc"] is None


@pytest.mark.parametrize(
    ("scores", "labels", "expected"),
    [
        ([0.1, 0.2, 0.8, 0.9], [False, False, True, True], 1.0),
        ([0.9, 0.8, 0.2, 0.1], [False, False, True, True], 0.0),
        ([0.5, 0.5, 0.5, 0.5], [False, True, False, True], 0.5),
        ([0.1, 0.4, 0.35, 0.8], [False, False, True, True], 0.75),
        ([0.5, 0.5, 0.5, 0.9], [True, False, False, True], 0.75),
        ([0.3, 0.3, 0.7, 0.7, 0.7], [False, True, False, True, True], (0.5 + 1.5 + 1.5) / 6),
    ],
)
def test_auroc_matches_pairwise_count(
    scores: list[float], labels: list[bool], expected: float
) -> None:
    assert auroc(scores, labels) == pytest.approx(expected)


@pytest.mark.parametrize("labels", [[True, True], [False, False], []])
def test_auroc_is_none_with_one_class(labels: list[bool]) -> None:
    assert auroc([0.5] * len(labels), labels) is None


# The dialogue hands a fresh conversation over when its first message's signal (the score
# above the calm baseline, rescaled) reaches escalate_at; the report counts exactly that.
def _scores(table: dict[str, float]) -> Callable[[str], MessageMood]:
    return lambda text: MessageMood(table[text])


def test_report_counts_calm_escalated_and_upset_caught_as_the_dialogue_would() -> None:
    # score 0.8 is signal 0.714 (escalates); 0.75 is signal 0.643 (does not).
    score = _scores({"a": 0.8, "b": 0.75, "c": 0.1, "d": 0.95, "e": 0.75})
    rows = [
        {"text": "a", "frustrated": False},
        {"text": "b", "frustrated": False},
        {"text": "c", "frustrated": False},
        {"text": "d", "frustrated": True},
        {"text": "e", "frustrated": True},
    ]
    report = frustration_report(rows, FrustrationSettings(escalate_at=0.7), score)
    assert report["calm_escalated"] == pytest.approx(1 / 3)
    assert report["upset_caught"] == pytest.approx(1 / 2)


def test_report_with_a_fallback_adds_the_fallback_signal() -> None:
    # signal 0.643 combined with the fallback's 0.25 is 0.732: over 0.7 only on a fallback.
    score = _scores({"b": 0.75, "c": 0.1})
    rows = [{"text": "b", "frustrated": False}, {"text": "c", "frustrated": True}]
    report = frustration_report(rows, FrustrationSettings(escalate_at=0.7), score)
    assert (report["calm_escalated"], report["calm_escalated_on_fallback"]) == (0.0, 1.0)
    assert report["upset_caught_on_fallback"] == 0.0
