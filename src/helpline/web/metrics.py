"""This node's Prometheus figures: counters its turns move, gauges read when scraped."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from helpline.store.alerts import Alert
from helpline.store.handoff import Handoff
from helpline.store.outbox import OUTBOX_STATUS
from helpline.turn import Decision

# Deciding on a message takes about a millisecond with the example rules and a few with
# the sentence encoder (bench/matcher_latency.py); the buckets span 0.1 ms to 1 s.
DECIDE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


@dataclass
class NodeState:
    """Readers of what the node holds now, called at scrape time (never kept twice)."""

    queue: Callable[[], Mapping[str, Handoff]] = dict
    sockets: Callable[[], int] = lambda: 0
    clock: Callable[[], float] = lambda: 0.0
    outbox: Mapping[str, int] | None = None  # refreshed before each scrape; None: unknown


class NodeMetrics:
    """One registry per app, so several nodes in one process (tests) keep their own."""

    def __init__(self, state: NodeState) -> None:
        self.state = state
        self.registry = CollectorRegistry()
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
        self.registry.register(_NowCollector(state))

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
        return generate_latest(self.registry)


def _reason(reasons: Any) -> str:
    for reason in ("intent_escalates", "frustration"):
        if reason in reasons:
            return reason
    return "asked"


class _NowCollector(Collector):
    """Gauges of the node as it stands when scraped: its queue, sockets and outbox."""

    def __init__(self, state: NodeState) -> None:
        self.state = state

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
        yield GaugeMetricFamily(
            "helpline_websockets_open", "Open customer and agent websockets",
            value=self.state.sockets(),
        )  # fmt: skip
        outbox = GaugeMetricFamily(
            "helpline_outbox_emails", "Emails in the outbox by status", labels=["status"]
        )
        if self.state.outbox is None:
            return  # the store did not answer: no figure rather than a made-up zero
        for status in OUTBOX_STATUS:
            outbox.add_metric([status], self.state.outbox.get(status, 0))
        yield outbox
