"""Spike detection on generated counts: steady rates never alert, bursts do."""

from __future__ import annotations

import random

import pytest

from helpline.spike import (
    FALLBACK,
    SpikeRule,
    calmed,
    decision_key,
    poisson_tail,
    spike,
    spikes,
)

RULE = SpikeRule(window_s=300, baseline_s=86_400)
WINDOWS = int(RULE.baseline_s / RULE.window_s)  # 288 five-minute windows in a day


def poisson_draw(rng: random.Random, mean: float) -> int:
    """A Poisson count by counting exponential gaps in one unit of time."""
    count, t = 0, rng.expovariate(mean)
    while t < 1.0:
        count, t = count + 1, t + rng.expovariate(mean)
    return count


@pytest.mark.parametrize("per_window", [0.05, 0.5, 3.0, 20.0, 80.0])
def test_steady_rate_never_alerts(per_window: float) -> None:
    rng = random.Random(per_window)
    for _ in range(300):
        baseline = sum(poisson_draw(rng, per_window) for _ in range(WINDOWS))
        recent = poisson_draw(rng, per_window)
        assert spike("login_failed", recent, baseline, RULE) is None


def test_payment_failed_at_several_times_its_rate_alerts() -> None:
    rng = random.Random(15)
    baseline = sum(poisson_draw(rng, 4.0) for _ in range(WINDOWS))
    found = spike("payment_failed", poisson_draw(rng, 16.0), baseline, RULE)
    assert found is not None
    assert found.key == "payment_failed" and found.ratio > 2.5


def test_quiet_intent_with_two_messages_does_not_alert() -> None:
    assert spike("gift_card", 2, 0, RULE) is None


def test_new_problem_never_seen_before_alerts_once_it_is_several_messages() -> None:
    assert spike("payment_failed", 6, 0, RULE) is not None


def test_only_the_intent_that_spiked_is_reported_most_unlikely_first() -> None:
    baseline = {"payment_failed": 4 * WINDOWS, "login_failed": 10 * WINDOWS, FALLBACK: 288}
    recent = {"payment_failed": 30, "login_failed": 11, FALLBACK: 9}
    assert [s.key for s in spikes(recent, baseline, RULE)] == ["payment_failed", FALLBACK]


@pytest.mark.parametrize(
    ("count", "mean", "tail"),
    [(0, 3.0, 1.0), (1, 2.0, 0.8646647167633873), (10, 2.0, 4.6498075017109564e-05)],
)
def test_poisson_tail_matches_the_closed_form(count: int, mean: float, tail: float) -> None:
    assert poisson_tail(count, mean) == pytest.approx(tail, rel=1e-9)


@pytest.mark.parametrize(
    ("kind", "intent", "key"),
    [
        ("answer", "payment_failed", "payment_failed"),
        ("clarify", "plans", "plans"),
        ("fallback", "plans", FALLBACK),
        ("greeting", None, None),
        ("silent", None, None),
    ],
)
def test_a_decision_counts_toward_its_intent_or_the_fallbacks(
    kind: str, intent: str | None, key: str | None
) -> None:
    assert decision_key(kind, intent) == key


def test_an_alert_stays_until_the_rate_is_well_below_what_raised_it() -> None:
    baseline = 4 * WINDOWS  # four a window, usually
    assert not calmed(7, baseline, RULE)  # under the raising bar (8), above halfway (6)
    assert calmed(6, baseline, RULE)
    assert calmed(4, 0, RULE)  # fewer than min_count is never a spike
