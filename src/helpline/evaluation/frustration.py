"""How well the per-message frustration score separates frustrated from calm messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from helpline.mood import score_message
from helpline.rules.model import FrustrationSettings


def frustration_report(rows: list[dict[str, Any]], settings: FrustrationSettings) -> dict[str, Any]:
    """AUROC of score_message over rows {"text", "frustrated"}, and precision and recall of
    escalating at settings.escalate_at. AUROC is None when a class is missing; precision is
    0.0 when nothing escalates."""
    scores = [score_message(str(row["text"])).score for row in rows]
    labels = [bool(row["frustrated"]) for row in rows]
    flagged = [score >= settings.escalate_at for score in scores]
    hits = sum(1 for f, y in zip(flagged, labels, strict=True) if f and y)
    positives = sum(labels)
    return {
        "auroc": auroc(scores, labels),
        "precision": hits / sum(flagged) if any(flagged) else 0.0,
        "recall": hits / positives if positives else 0.0,
        "threshold": settings.escalate_at,
        "count": len(rows),
        "positives": positives,
    }


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
