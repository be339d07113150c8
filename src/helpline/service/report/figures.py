"""The desk's figures over a set of conversations' facts: counts, rates, times, CSAT."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from helpline.hours import Hours
from helpline.service.report.facts import HANDOFF_REASONS, Facts, Ticket
from helpline.service.report.worktime import open_seconds
from helpline.sla import TARGETS as SLA_TARGETS

TOP = 10  # intents listed in top_intents and top_unanswered
RATINGS = range(1, 6)
# the headline figures, compared with the previous period (dotted: a key inside a key)
HEADLINE = (
    "conversations", "contained", "containment_rate", "handoffs", "handoff_rate",
    "fallback_rate", "clarify_rate", "csat.average", "csat.count", "queue_wait_s.p50",
    "first_response_s.p50", "first_response_s.p90", "resolution_s.p50", "resolution_s.p90",
)  # fmt: skip

TeamHours = Callable[[str], Hours]


def figures(facts: Sequence[Facts], hours_for: TeamHours) -> dict[str, Any]:
    """Every figure of these conversations; a rate or time with nothing to count is None."""
    counted = [f for f in facts if f.wrote]
    tickets = [t for f in counted for t in f.tickets]
    return {
        **_containment(counted),
        **_decisions(counted),
        "helpfulness": _helpfulness(counted),
        "top_intents": _top(sum((f.intents for f in counted), Counter()), "intent"),
        "top_unanswered": _top(sum((f.unanswered for f in counted), Counter()), "intent"),
        **_times(tickets, hours_for),
        "csat": _csat(tickets),
        "sla": _sla(tickets),
    }


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _containment(counted: Sequence[Facts]) -> dict[str, Any]:
    handed = [f for f in counted if not f.contained]
    reasons = Counter(f.handoffs[0] for f in handed)  # a conversation counts once, by its first
    return {
        "conversations": len(counted),
        "contained": len(counted) - len(handed),
        "containment_rate": ratio(len(counted) - len(handed), len(counted)),
        "handoffs": len(handed),
        "handoff_rate": ratio(len(handed), len(counted)),
        "handoff_reasons": {
            reason: {"count": reasons[reason], "rate": ratio(reasons[reason], len(counted))}
            for reason in HANDOFF_REASONS
        },
    }


def _decisions(counted: Sequence[Facts]) -> dict[str, Any]:
    questions = sum(f.questions for f in counted)
    fallbacks = sum(f.fallbacks for f in counted)
    clarified = sum(f.clarifications for f in counted)
    then_answered = sum(f.clarified_then_answered for f in counted)
    return {
        "questions": questions,
        "answered": sum(f.answered for f in counted),
        "answer_rate": ratio(sum(f.answered for f in counted), questions),
        "fallbacks": fallbacks,
        "fallback_rate": ratio(fallbacks, questions),
        "clarifications": clarified,
        "clarify_rate": ratio(clarified, questions),
        "clarify_answered": then_answered,
        "clarify_answered_rate": ratio(then_answered, clarified),
    }


def _helpfulness(counted: Sequence[Facts]) -> dict[str, dict[str, Any]]:
    votes: dict[str, Counter[bool]] = {}
    for intent, helpful in (vote for f in counted for vote in f.thumbs):
        votes.setdefault(intent, Counter())[helpful] += 1
    return {
        intent: {"up": c[True], "down": c[False], "rate": ratio(c[True], c[True] + c[False])}
        for intent, c in sorted(votes.items())
    }


def _top(counts: Counter[Any], key: str) -> list[dict[str, Any]]:
    # most first, then by name, so equal counts list the same way every time
    ranked = sorted(counts.items(), key=lambda item: (-item[1], str(item[0] or "")))
    return [{key: name, "count": n} for name, n in ranked[:TOP]]


def _times(tickets: Sequence[Ticket], hours_for: TeamHours) -> dict[str, Any]:
    def spans(start: str, end: str) -> list[float]:
        return [
            open_seconds(hours_for(t.team), getattr(t, start), getattr(t, end))
            for t in tickets
            if getattr(t, start) is not None and getattr(t, end) is not None
        ]

    return {
        "queue_wait_s": _percentiles(spans("queued_at", "assigned_at")),
        "first_response_s": _percentiles(spans("opened_at", "first_response_at")),
        "resolution_s": _percentiles(spans("opened_at", "solved_at")),
    }


def _percentiles(values: Sequence[float]) -> dict[str, Any]:
    """p50 and p90 by linear interpolation between the closest ranks (numpy's default)."""
    if not values:
        return {"p50": None, "p90": None, "count": 0}
    p50, p90 = np.percentile(values, [50, 90])
    return {"p50": float(p50), "p90": float(p90), "count": len(values)}


def _csat(tickets: Sequence[Ticket]) -> dict[str, Any]:
    ratings = [t.rating for t in tickets if t.rating is not None]
    solved = sum(t.solved_at is not None for t in tickets)
    return {
        "average": ratio(sum(ratings), len(ratings)),
        "count": len(ratings),
        "distribution": {str(n): ratings.count(n) for n in RATINGS},
        "response_rate": ratio(len(ratings), solved),
    }


def _sla(tickets: Sequence[Ticket]) -> dict[str, Any]:
    """Tickets that missed an SLA target (sla.breached), and solved ones that missed none
    (a priority without a policy counts as met: nothing was due)."""
    breached = [t for t in tickets if t.breaches]
    met = [t for t in tickets if t.solved_at is not None and not t.breaches]
    targets = Counter(target for t in tickets for target in t.breaches)
    return {
        "breached": len(breached),
        "met": len(met),
        "met_rate": ratio(len(met), len(met) + sum(t.solved_at is not None for t in breached)),
        "breaches": {target: targets[target] for target in SLA_TARGETS},
    }


def headline(report: dict[str, Any]) -> dict[str, Any]:
    """The headline figures by their dotted names."""
    found: dict[str, Any] = {}
    for name in HEADLINE:
        value: Any = report
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        found[name] = value
    return found


def change(now: dict[str, Any], before: dict[str, Any]) -> dict[str, float | None]:
    """Each headline figure minus the previous period's; None where either has no data."""
    ahead, behind = headline(now), headline(before)
    return {
        name: None if ahead[name] is None or behind[name] is None else ahead[name] - behind[name]
        for name in HEADLINE
    }
