"""Spike detection: is an intent's recent count more than its own baseline explains?"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

FALLBACK = "(fallback)"  # the key fallbacks are counted under; no intent is named so

# A one-in-ten-thousand chance that a steady rate gives the count: with a few dozen intents
# checked every minute, a steady desk sees a false alert about once a week.
ALPHA = 1e-4
MIN_COUNT = 5  # fewer messages than this in the window is never a spike, however quiet before
MIN_RATIO = 2.0  # and the count must be at least this many times what the baseline expects


@dataclass(frozen=True)
class SpikeRule:
    """How recent and baseline windows are compared; lengths in seconds."""

    window_s: float = 300.0
    baseline_s: float = 86_400.0
    alpha: float = ALPHA
    min_count: int = MIN_COUNT
    min_ratio: float = MIN_RATIO


@dataclass(frozen=True)
class AlertSettings:
    """config.yaml's `alerts:`: how often the desk's traffic is checked, and against what."""

    enabled: bool = True
    # A minute: a burst is seen within a minute of filling its window, and one check (a
    # day of decisions counted) costs a few milliseconds on SQLite even on a busy desk.
    interval_s: float = 60.0
    rule: SpikeRule = SpikeRule()


@dataclass(frozen=True)
class Spike:
    key: str  # an intent name, or FALLBACK
    count: int  # in the recent window
    expected: float  # what the baseline rate predicts for a window that long
    p_value: float

    @property
    def ratio(self) -> float:
        return self.count / self.expected


def poisson_tail(count: int, mean: float) -> float:
    """P(X >= count) for X ~ Poisson(mean), summed from count up (no 1 - cdf cancellation)."""
    if count <= 0:
        return 1.0
    log_term = count * math.log(mean) - mean - math.lgamma(count + 1)
    term, total, i = math.exp(log_term), 0.0, count
    while term > total * 1e-16 and (i < count + 10_000):
        total += term
        i += 1
        term *= mean / i
    return min(total, 1.0)


def expected_count(baseline: int, rule: SpikeRule) -> float:
    """The baseline rate scaled to one window; one extra message in the baseline so an
    intent never seen before still has a small, non-zero rate to be compared with."""
    return (baseline + 1) * rule.window_s / rule.baseline_s


def spike(key: str, recent: int, baseline: int, rule: SpikeRule) -> Spike | None:
    """A Spike when the recent count is too many for the baseline, else None."""
    expected = expected_count(baseline, rule)
    if recent < rule.min_count or recent < rule.min_ratio * expected:
        return None
    p_value = poisson_tail(recent, expected)
    return Spike(key, recent, expected, p_value) if p_value < rule.alpha else None


def calmed(recent: int, baseline: int, rule: SpikeRule) -> bool:
    """Whether a standing alert's key is back to its usual rate. The bar is halfway between
    the usual rate and the one that raised it, so a count hovering at the raising bar does
    not raise and clear an alert every check."""
    bar = (1.0 + (rule.min_ratio - 1.0) / 2) * expected_count(baseline, rule)
    return recent < rule.min_count or recent <= bar


def spikes(recent: Mapping[str, int], baseline: Mapping[str, int], rule: SpikeRule) -> list[Spike]:
    """Every key whose recent count spikes against its baseline, the most unlikely first."""
    found = [spike(key, n, baseline.get(key, 0), rule) for key, n in recent.items()]
    return sorted((s for s in found if s is not None), key=lambda s: (s.p_value, s.key))


COUNTED = ("answer", "clarify", "handoff")  # decisions that name what the customer asked


def decision_key(kind: str | None, intent: str | None) -> str | None:
    """What a stored bot.decision counts toward: its intent, FALLBACK, or None (greetings,
    silent turns while queued, a handoff asked for without a question)."""
    if kind == "fallback":
        return FALLBACK
    return intent if kind in COUNTED and intent else None
