"""Matching quality on labelled rows: decisions, metrics and threshold calibration."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from helpline.matcher import Matcher
from helpline.rules.model import Thresholds

Clock = Callable[[], float]
ThresholdsFor = Callable[[str | None], Thresholds]


@dataclass(frozen=True)
class Prediction:
    """What the matcher made of one labelled row."""

    gold: str | None  # None: out of scope
    intent: str | None  # the top candidate, None when nothing matched
    score: float = 0.0
    runner_up: float = 0.0  # score of the second candidate (0 when none)
    latency_s: float = 0.0


def predict(
    matcher: Matcher, rows: Sequence[dict[str, Any]], clock: Clock = time.perf_counter
) -> list[Prediction]:
    """Match every row once, timing each match."""
    out: list[Prediction] = []
    for row in rows:
        started = clock()
        found = matcher.match(row["text"], limit=2)
        elapsed = clock() - started
        top = found[0] if found else None
        second = found[1].score if len(found) > 1 else 0.0
        out.append(
            Prediction(
                row.get("intent"),
                top.intent if top else None,
                top.score if top else 0.0,
                second,
                elapsed,
            )
        )
    return out


def decide(prediction: Prediction, limits: Thresholds, clarify: bool = True) -> str:
    """answer | clarify | fallback, as the dialogue decides (DESIGN.md section 4)."""
    if prediction.intent is None:
        return "fallback"
    if not clarify:
        return "answer" if prediction.score >= limits.answer else "fallback"
    if prediction.score < limits.clarify:
        return "fallback"
    close = prediction.score - prediction.runner_up < limits.ambiguity
    return "answer" if prediction.score >= limits.answer and not close else "clarify"


def metrics(
    predictions: Sequence[Prediction], thresholds_for: ThresholdsFor, clarify: bool = True
) -> dict[str, Any]:
    """Per-cent figures and counts; rates are over all rows unless named otherwise."""
    counts = {"rows": len(predictions), "in_scope": 0, "out_of_scope": 0, "answered_right": 0,
              "answered_wrong": 0, "clarified": 0, "fell_back": 0, "top1_right": 0}
    for p in predictions:
        decision = decide(p, thresholds_for(p.intent), clarify)
        counts["in_scope" if p.gold is not None else "out_of_scope"] += 1
        counts["top1_right"] += p.gold is not None and p.intent == p.gold
        if decision == "answer":
            counts["answered_right" if p.intent == p.gold else "answered_wrong"] += 1
        else:
            counts["clarified" if decision == "clarify" else "fell_back"] += 1
    oos_answered = sum(
        1 for p in predictions
        if p.gold is None and decide(p, thresholds_for(p.intent), clarify) == "answer"
    )
    return {
        "in_scope_accuracy": percent(counts["answered_right"], counts["in_scope"]),
        "oos_recall": percent(counts["out_of_scope"] - oos_answered, counts["out_of_scope"]),
        "wrong_answer_rate": percent(counts["answered_wrong"], counts["rows"]),
        "clarify_rate": percent(counts["clarified"], counts["rows"]),
        "closed_set_accuracy": percent(counts["top1_right"], counts["in_scope"]),
        "latency_ms": latency_ms(predictions),
        "counts": counts,
    }


def percent(part: int, whole: int) -> float | None:
    """part of whole in per cent, to two places; None when there is no whole."""
    return round(100.0 * part / whole, 2) if whole else None


def latency_ms(predictions: Sequence[Prediction]) -> dict[str, float]:
    """Nearest-rank p50 and p99 of the per-message match time."""
    times = sorted(p.latency_s * 1000.0 for p in predictions)
    if not times:
        return {"p50": 0.0, "p99": 0.0}
    def rank(q: float) -> float:
        return round(times[min(len(times) - 1, max(0, int(q * len(times) + 0.999999) - 1))], 3)
    return {"p50": rank(0.50), "p99": rank(0.99)}


def calibrate(predictions: Sequence[Prediction], base: Thresholds) -> Thresholds:
    """The answer threshold that maximises (in-scope accuracy + out-of-scope recall) / 2.

    Without out-of-scope rows nothing is gained by refusing to answer, so the answer
    threshold becomes 0 (closed-set data). The clarify zone keeps its width below it.
    """
    answer = best_answer_threshold(predictions)
    width = base.answer - base.clarify
    return replace(base, answer=answer, clarify=max(0.0, round(answer - width, 2)))


def best_answer_threshold(predictions: Sequence[Prediction]) -> float:
    """Sweep the thresholds from high to low; ties go to the highest threshold."""
    in_scope = sum(1 for p in predictions if p.gold is not None)
    oos = len(predictions) - in_scope
    if not oos or not in_scope:
        return 0.0
    ranked = sorted((p for p in predictions if p.intent is not None), key=lambda p: -p.score)
    right, oos_answered = 0, 0
    best_value, best = 0.5 * (0.0 + 1.0), 100.01  # answering nothing: recall 1, accuracy 0
    for n, p in enumerate(ranked):
        right += p.gold is not None and p.intent == p.gold
        oos_answered += p.gold is None
        if n + 1 < len(ranked) and ranked[n + 1].score == p.score:
            continue  # a threshold cannot split equal scores
        value = 0.5 * (right / in_scope + (oos - oos_answered) / oos)
        if value > best_value:
            best_value, best = value, p.score
    return round(best, 2)


def format_table(figures: dict[str, Any], thresholds: Thresholds | None) -> str:
    """A readable summary for people; the JSON line after it is for programs."""
    lines = [f"{'figure':<22}{'value':>10}"]
    for key in ("in_scope_accuracy", "oos_recall", "wrong_answer_rate", "clarify_rate",
                "closed_set_accuracy"):
        value = figures.get(key)
        lines.append(f"{key:<22}{'-' if value is None else f'{value:.2f}':>10}")
    latency = figures.get("latency_ms", {})
    lines.append(f"{'latency p50 (ms)':<22}{latency.get('p50', 0.0):>10.3f}")
    lines.append(f"{'latency p99 (ms)':<22}{latency.get('p99', 0.0):>10.3f}")
    if thresholds is not None:
        lines.append(
            f"{'thresholds':<22}answer {thresholds.answer:g}, clarify {thresholds.clarify:g},"
            f" ambiguity {thresholds.ambiguity:g}"
        )
    for key, value in figures.get("counts", {}).items():
        lines.append(f"{key:<22}{value:>10}")
    return "\n".join(lines)
