"""The spike watcher: counts the desk's recent decisions against their baseline now and
then, raises an alert for each burst and clears it once the rate is back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from helpline.bus.base import Bus
from helpline.errors import HelplineError
from helpline.service.alert import frames
from helpline.service.rules_holder import RulesHolder
from helpline.spike import AlertSettings, Spike, calmed, spikes, tally
from helpline.store.alerts import Alert, AlertStore

log = logging.getLogger(__name__)

Listener = Callable[[Alert], None]  # told of an alert this node raised or cleared; must not block


@dataclass(frozen=True)
class Checked:
    """What one check changed (on this node: another may have raised the same first)."""

    raised: tuple[Alert, ...] = ()
    cleared: tuple[Alert, ...] = ()


class SpikeWatcher:
    """Each node runs one; the store's one-standing-alert-per-key rule makes the node whose
    write lands the one that tells the desk, so several nodes raise a spike once."""

    def __init__(
        self,
        store: AlertStore,
        bus: Bus,
        rules: RulesHolder,
        clock: Callable[[], float],
        *,
        on_raised: Sequence[Listener] = (),
        on_cleared: Sequence[Listener] = (),
    ) -> None:
        self.store, self.bus, self.rules, self.clock = store, bus, rules, clock
        self.on_raised, self.on_cleared = tuple(on_raised), tuple(on_cleared)

    @property
    def settings(self) -> AlertSettings:
        return self.rules.current.rulebook.config.alerts  # read per check: config reloads

    async def check(self) -> Checked:
        """Count, compare, and raise or clear what changed; one read of the events."""
        rule, now = self.settings.rule, self.clock()
        split = now - rule.window_s
        counts = await self.store.decision_counts(split - rule.baseline_s, split, now)
        recent, baseline = tally((c.decision, c.intent, c.recent, c.baseline) for c in counts)
        found = {s.key: s for s in spikes(recent, baseline, rule)}
        standing = {a.key: a for a in await self.store.active_alerts()}
        raised = [await self._raise(s, split, now) for k, s in found.items() if k not in standing]
        cleared = [
            await self._clear(alert, now)
            for key, alert in standing.items()
            if key not in found and calmed(recent.get(key, 0), baseline.get(key, 0), rule)
        ]
        return Checked(
            tuple(a for a in raised if a is not None), tuple(a for a in cleared if a is not None)
        )

    async def run(self) -> None:
        """Check every interval_s until cancelled, the first an interval after start; a
        failed check is logged and retried at the next (the database may be back by then)."""
        while True:
            await asyncio.sleep(self.settings.interval_s)
            if not self.settings.enabled:
                continue
            try:
                await self.check()
            except HelplineError as exc:
                log.warning("spike check skipped: %s", exc)

    async def _raise(self, spike: Spike, since: float, now: float) -> Alert | None:
        alert = await self.store.raise_alert(
            spike.key, count=spike.count, expected=spike.expected, since=since, now=now
        )
        if alert is None:  # another node raised it first, and told the desk
            return None
        log.warning(
            "spike: %s at %d in %g s, %.1f expected (p=%.2g)",
            spike.key, spike.count, self.settings.rule.window_s, spike.expected, spike.p_value,
        )  # fmt: skip
        _tell(self.on_raised, alert)  # first: a bus outage must not also silence the webhook
        await self.bus.publish(frames.TOPIC, frames.raised(alert))
        return alert

    async def _clear(self, alert: Alert, now: float) -> Alert | None:
        done = await self.store.clear_alert(alert.id, now)
        if done is None:
            return None
        log.info("spike over: %s", alert.key)
        _tell(self.on_cleared, done)
        await self.bus.publish(frames.TOPIC, frames.cleared(done))
        return done


def _tell(listeners: Sequence[Listener], alert: Alert) -> None:
    for listener in listeners:
        try:
            listener(alert)
        except Exception:  # a broken listener must not stop the desk hearing of spikes
            log.exception("alert listener %r failed", listener)
