"""How well the per-message frustration score separates frustrated from calm messages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from helpline.mood import FALLBACK_SIGNAL, MessageMood, conversation_signal, score_message
from helpline.rules.model import FrustrationSettings
from helpline.utterance import combine


def frustration_report(
    rows: list[dict[str, Any]],
    settings: FrustrationSettings,
    score: Callable[[str], MessageMood] = score_message,
) -> dict[str, Any]:
    """AUROC of score_message over rows {"text", "frustrated"}, precision and recall of the
    score at settings.escalate_at, and what the dialogue would do with each row as the first
    message of a fresh conversation: the share of calm rows handed over and of upset rows
    caught, on its own and when the matcher also falls back. AUROC is None when a class is
    missing; a share or precision is 0.0 when it has nothing to count."""
    felt = [score(str(row["text"])) for row in rows]
    scores = [message.score for message in felt]
    labels = [bool(row["frustrated"]) for row in rows]
    flagged = [score >= settings.escalate_at for score in scores]
    hits = sum(1 for f, y in zip(flagged, labels, strict=True) if f and y)
    positives = sum(labels)
    signals = [conversation_signal(message) for message in felt]
    with_fallback = [combine(signal, FALLBACK_SIGNAL) for signal in signals]
    return {
        "auroc": auroc(scores, labels),
        "precision": hits / sum(flagged) if any(flagged) else 0.0,
        "recall": hits / positives if positives else 0.0,
        "calm_escalated": _share(signals, labels, False, settings.escalate_at),
        "upset_caught": _share(signals, labels, True, settings.escalate_at),
        "calm_escalated_on_fallback": _share(with_fallback, labels, False, settings.escalate_at),
        "upset_caught_on_fallback": _share(with_fallback, labels, True, settings.escalate_at),
        "threshold": settings.escalate_at,
        "count": len(rows),
        "positives": positives,
    }


def _share(signals: list[float], labels: list[bool], label: bool, escalate_at: float) -> float:
    """Of the rows with this label, the share whose first-message level reaches escalate_at:
    on a fresh conversation the level after one message is that message's signal."""
    picked = [s for s, y in zip(signals, labels, strict=True) if y is label]
    return sum(1 for s in picked if s >= escalate_at) / len(picked) if picked else 0.0


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Area under the ROC curve by the rank-sum (Mann-Whitney) formula, ties averaged."""
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return None
    ranks = _average_ranks(scores)
    rank_sum = sum(r for r, y in zip(ranks, labels, strict=True) if y)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def _average_ranks(scores: Sequence[float]) -> list[float]:
    """1-based ranks, with each run of equal scores given the mean of the ranks it spans."""
    order = sorted(range(len(scores)), key=scores.__getitem__)
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2 + 1
        start = end + 1
    return ranks
