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
from helpline.service.alert.decision_log import DecisionLog
from helpline.service.rules_holder import RulesHolder
from helpline.spike import AlertSettings, Spike, calmed, spikes
from helpline.store.alerts import Alert, AlertStore

log = logging.getLogger(__name__)

# An hour of a busy desk's decisions (about 8,000) is read in about 100 ms on SQLite
# (bench/spike_check.py): a node's first check reads its day in such steps, so a turn
# waits for none of them long; the later ones read a minute or so.
READ_S = 3600.0

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
        self.log = DecisionLog()

    @property
    def settings(self) -> AlertSettings:
        return self.rules.current.rulebook.config.alerts  # read per check: config reloads

    async def check(self) -> Checked:
        """Read what was decided since the last check, compare, and raise or clear what
        changed. One read of the store's events (an hour at a time on the first check)."""
        rule, now = self.settings.rule, self.clock()
        split = now - rule.window_s
        since = split - rule.baseline_s
        await self._catch_up(since, now)
        recent, baseline = self.log.counts(since, split, now)
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

    async def _catch_up(self, since: float, until: float) -> None:
        """Bring the log to cover (since, until]; a long span in reads of READ_S each, so
        the turns sharing the store wait for none of them long."""
        self.log.forget_before(since)
        for start, end in self.log.to_read(since, until):
            while start < end:
                stop = min(start + READ_S, end)
                self.log.add(await self.store.decisions_between(start, stop), start, stop)
                start = stop

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
