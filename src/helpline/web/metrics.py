"""This node's Prometheus figures: counters its turns move, gauges read when scraped.

A node of several workers (`serve --workers N`) is scraped as one: its supervisor gives
every worker a folder in SHARED_FOLDER, where prometheus_client keeps each process's
counters and histograms in memory-mapped files, and whichever worker a scrape reaches
adds up all of them (prometheus_client's multiprocess mode). A worker that died still
counts what it counted, so the node's totals never go back; its open sockets stop
counting (the supervisor marks it dead).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from helpline.store.alerts import Alert
from helpline.store.handoff import Handoff
from helpline.store.outbox import OUTBOX_STATUS
from helpline.turn import Decision

# Deciding on a message takes about a millisecond with the example rules and a few with
# the sentence encoder (bench/matcher_latency.py); the buckets span 0.1 ms to 1 s.
DECIDE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
# prometheus_client's own variable: read when it is first imported, so it must be in the
# worker's environment from its start (cli/workers.py sets it)
SHARED_FOLDER = "PROMETHEUS_MULTIPROC_DIR"
SOCKETS = ("helpline_websockets_open", "Open customer and agent websockets")


def shared_folder() -> str | None:
    """The folder this process's figures are shared through, when it is one of a node's
    workers; None for a node of one process."""
    return os.environ.get(SHARED_FOLDER) or None


@dataclass
class NodeState:
    """Readers of what the node holds now, called at scrape time (never kept twice)."""

    queue: Callable[[], Mapping[str, Handoff]] = dict
    sockets: Callable[[], int] = lambda: 0
    clock: Callable[[], float] = lambda: 0.0
    outbox: Mapping[str, int] | None = None  # refreshed before each scrape; None: unknown


class NodeMetrics:
    """One registry per app, so several nodes in one process (tests) keep their own."""

    def __init__(self, state: NodeState, shared: str | None = None) -> None:
        self.state = state
        self.registry = CollectorRegistry()  # what this process counts
        self.messages = Counter(
            "helpline_messages", "Messages handled by bot turns", ["sender"],
            registry=self.registry,
        )  # fmt: skip
        self.decisions = Counter(
            "helpline_decisions", "Bot decisions by kind", ["decision"], registry=self.registry
        )
        self.handoffs = Counter(
            "helpline_handoffs", "Conversations the bot handed to people, by reason", ["reason"],
            registry=self.registry,
        )  # fmt: skip
        self.errors = Counter(
            "helpline_errors", "Error frames sent to clients, by code", ["code"],
            registry=self.registry,
        )  # fmt: skip
        self.decide_seconds = Histogram(
            "helpline_decide_seconds", "Time to match and decide one customer message",
            buckets=DECIDE_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.spike_alerts = Counter(
            "helpline_spike_alerts", "Spike alerts this node raised, by intent",
            ["intent"], registry=self.registry,
        )  # fmt: skip
        now = _NowCollector(state, sockets=shared is None)
        self._sockets: Gauge | None = None
        if shared is None:
            self.registry.register(now)
            self._scraped = self.registry
        else:
            # the queue and the outbox are the node's already (shared through the bus and
            # the store); the sockets are each worker's own, so they are summed over the
            # live workers like the counters
            self._scraped = CollectorRegistry()
            MultiProcessCollector(self._scraped, path=shared)  # type: ignore[no-untyped-call]
            self._scraped.register(now)
            self._sockets = Gauge(*SOCKETS, multiprocess_mode="livesum", registry=None)

    @property
    def shared(self) -> bool:
        return self._sockets is not None

    def count_sockets(self) -> None:
        """Write this worker's open sockets where the others' scrapes read them."""
        if self._sockets is not None:
            self._sockets.set(self.state.sockets())

    def decided(self, seconds: float) -> None:
        self.decide_seconds.observe(seconds)

    def committed(self, decision: Decision, *, answered: bool, replies: int) -> None:
        if answered:
            self.messages.labels("customer").inc()
        if replies:
            self.messages.labels("bot").inc(replies)
        self.decisions.labels(decision.decision).inc()
        if decision.decision == "handoff":
            self.handoffs.labels(_reason(decision.reasons)).inc()

    def alert_raised(self, alert: Alert) -> None:
        self.spike_alerts.labels(alert.key).inc()

    def error(self, code: str) -> None:
        self.errors.labels(code).inc()

    def page(self) -> bytes:
        self.count_sockets()
        return generate_latest(self._scraped)


def _reason(reasons: Any) -> str:
    for reason in ("intent_escalates", "frustration"):
        if reason in reasons:
            return reason
    return "asked"


class _NowCollector(Collector):
    """Gauges of the node as it stands when scraped: its queue, sockets and outbox."""

    def __init__(self, state: NodeState, *, sockets: bool = True) -> None:
        self.state = state
        self.sockets = sockets

    def collect(self) -> Iterator[GaugeMetricFamily]:
        rows = list(self.state.queue().values())
        waiting = [r for r in rows if r.state != "assigned"]
        length = GaugeMetricFamily(
            "helpline_queue_length", "Conversations waiting for a person", labels=["team"]
        )
        oldest = GaugeMetricFamily(
            "helpline_queue_oldest_wait_seconds", "How long the first in line has waited",
            labels=["team"],
        )  # fmt: skip
        now = self.state.clock()
        for team in sorted({r.team for r in waiting}):
            mine = [r for r in waiting if r.team == team]
            length.add_metric([team], len(mine))
            oldest.add_metric([team], max(0.0, now - min(r.enqueued_at for r in mine)))
        yield length
        yield oldest
        if self.sockets:
            yield GaugeMetricFamily(*SOCKETS, value=self.state.sockets())
        outbox = GaugeMetricFamily(
            "helpline_outbox_emails", "Emails in the outbox by status", labels=["status"]
        )
        if self.state.outbox is None:
            return  # the store did not answer: no figure rather than a made-up zero
        for status in OUTBOX_STATUS:
            outbox.add_metric([status], self.state.outbox.get(status, 0))
        yield outbox
