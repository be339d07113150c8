"""The spike watcher on every backend, with a clock the test moves: a steady day raises
nothing, a burst of one intent raises exactly one alert (however many nodes check), and
the alert clears once the rate is back."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from backends import STORE_BACKENDS, open_backend
from handoff_kit import Clock
from helpline.bus import MemoryBus
from helpline.rules.model import Rulebook
from helpline.service.alert import frames
from helpline.service.alert.watch import SpikeWatcher
from helpline.service.rules_holder import RulesHolder
from helpline.spike import FALLBACK, AlertSettings, SpikeRule
from helpline.store.alerts import AlertStore
from helpline.store.base import Store, TurnRecord

WINDOW_S = 300.0
RULE = SpikeRule(window_s=WINDOW_S, baseline_s=4 * 3600)  # 48 windows: quick to write
USUAL = {"payment_failed": 2.0, "login_failed": 3.0, "plans": 1.0, FALLBACK: 1.5}  # per window


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with open_backend(request, tmp_path) as opened:
        yield opened


@pytest.fixture
def rules(rulebook: Rulebook) -> RulesHolder:
    config = replace(rulebook.config, alerts=AlertSettings(rule=RULE))
    return RulesHolder(replace(rulebook, config=config))


def decision(key: str) -> tuple[str, dict[str, Any]]:
    if key == FALLBACK:
        return ("bot.decision", {"decision": "fallback", "intent": "plans", "score": 20.0})
    return ("bot.decision", {"decision": "answer", "intent": key, "score": 90.0})


class Traffic:
    """Customers' questions as the store keeps them: one turn per burst of decisions."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store, self.clock = store, clock
        self.rng = random.Random(7)
        self.conversation = ""

    async def start(self) -> None:
        created = await self.store.create_conversation(
            token="t-watch", language="en", now=self.clock()
        )
        self.conversation = created.id

    async def decide(self, keys: list[str]) -> None:
        record = TurnRecord(self.conversation, "bot", {}, "en", events=[decision(k) for k in keys])
        await self.store.commit_turn(record, self.clock())

    async def steady(self, windows: int) -> None:
        """The usual rates, a window at a time, the clock moving on."""
        for _ in range(windows):
            self.clock.advance(WINDOW_S)
            await self.decide([k for k, mean in USUAL.items() for _ in range(self.poisson(mean))])

    def poisson(self, mean: float) -> int:
        count, t = 0, self.rng.expovariate(mean)
        while t < 1.0:
            count, t = count + 1, t + self.rng.expovariate(mean)
        return count


@pytest.fixture
async def traffic(store: Store) -> Traffic:
    found = Traffic(store, Clock())
    await found.start()
    await found.steady(48)  # a baseline's worth
    return found


def watcher(store: Store, rules: RulesHolder, clock: Clock, bus: MemoryBus) -> SpikeWatcher:
    assert isinstance(store, AlertStore)
    return SpikeWatcher(store, bus, rules, clock)


async def test_steady_traffic_raises_nothing(traffic: Traffic, rules: RulesHolder) -> None:
    spikes = watcher(traffic.store, rules, traffic.clock, MemoryBus())
    for _ in range(12):  # an hour more of the usual, checked every window
        await traffic.steady(1)
        checked = await spikes.check()
        assert checked.raised == ()


async def test_a_burst_of_one_intent_raises_exactly_one_alert(
    traffic: Traffic, rules: RulesHolder
) -> None:
    bus = MemoryBus()
    desk = await bus.subscribe(frames.TOPIC)
    nodes = [watcher(traffic.store, rules, traffic.clock, bus) for _ in range(2)]
    traffic.clock.advance(60)
    await traffic.decide(["payment_failed"] * 14)  # seven times its usual two
    results = await asyncio.gather(*(node.check() for node in nodes))
    results.append(await nodes[0].check())  # a later check of a spike still standing
    raised = [alert for checked in results for alert in checked.raised]
    assert [a.key for a in raised] == ["payment_failed"]
    assert raised[0].count >= 14 and raised[0].expected == pytest.approx(2.0, rel=0.3)
    assert raised[0].since == traffic.clock() - WINDOW_S
    frame = await asyncio.wait_for(desk.get(), 1)
    assert frame["type"] == "alert.raised" and frame["alert"]["intent"] == "payment_failed"
    assert (await traffic.store.active_alerts())[0].id == raised[0].id  # type: ignore[attr-defined]


async def test_a_burst_of_fallbacks_is_an_alert_of_its_own(
    traffic: Traffic, rules: RulesHolder
) -> None:
    spikes = watcher(traffic.store, rules, traffic.clock, MemoryBus())
    await traffic.decide([FALLBACK] * 12)
    checked = await spikes.check()
    assert [a.key for a in checked.raised] == [FALLBACK]


async def test_the_alert_clears_once_the_rate_is_back(traffic: Traffic, rules: RulesHolder) -> None:
    bus = MemoryBus()
    spikes = watcher(traffic.store, rules, traffic.clock, bus)
    await traffic.decide(["payment_failed"] * 14)
    (alert,) = (await spikes.check()).raised
    desk = await bus.subscribe(frames.TOPIC)
    await traffic.steady(1)  # the burst is out of the window now
    checked = await spikes.check()
    assert [a.id for a in checked.cleared] == [alert.id]
    assert checked.cleared[0].cleared_at == traffic.clock()
    frame = await asyncio.wait_for(desk.get(), 1)
    assert frame["type"] == "alert.cleared" and frame["alert"]["id"] == alert.id
    assert await traffic.store.active_alerts() == []  # type: ignore[attr-defined]
    assert (await spikes.check()).cleared == ()


async def test_a_spike_after_one_cleared_is_a_new_alert(
    traffic: Traffic, rules: RulesHolder
) -> None:
    spikes = watcher(traffic.store, rules, traffic.clock, MemoryBus())
    await traffic.decide(["plans"] * 10)
    (first,) = (await spikes.check()).raised
    await traffic.steady(1)
    await spikes.check()
    await traffic.decide(["plans"] * 10)
    (second,) = (await spikes.check()).raised
    assert second.id != first.id and second.key == "plans"
