"""Spike alerts' and incident notices' part of the storage contract."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from helpline.errors import StoreError


@dataclass(frozen=True)
class StoredDecision:
    """What the spike watcher reads of one bot.decision event."""

    id: int
    created_at: float
    decision: str | None
    intent: str | None


@dataclass(frozen=True)
class Alert:
    """A spike the desk was told about: one intent (or the fallbacks) running high."""

    id: int
    key: str  # an intent name, or spike.FALLBACK
    count: int  # in the recent window when it was raised
    expected: float  # what the baseline predicted for that window
    since: float  # when the window it was counted in began
    raised_at: float
    cleared_at: float | None = None


@dataclass(frozen=True)
class Incident:
    """A supervisor's notice on an intent, said to customers who ask about it."""

    id: int
    intent: str
    texts: Mapping[str, str]  # language -> the notice; at least one
    posted_by: str  # an agent id
    posted_at: float
    lifted_at: float | None = None


@runtime_checkable
class AlertStore(Protocol):
    """The store is where nodes agree: at most one alert stands per key and one notice per
    intent (unique indexes on the standing rows), so when several nodes see the same
    spike, exactly one of them raises it (and tells the desk), and one clears it."""

    async def decisions_between(self, since: float, until: float) -> list[StoredDecision]:
        """The bot.decision events created in (since, until], oldest first: one read on an
        index of decisions by time. Closed at until, so a read up to `now` holds what was
        decided at that very moment."""
        ...

    async def raise_alert(
        self, key: str, *, count: int, expected: float, since: float, now: float
    ) -> Alert | None:
        """A new standing alert for key; None when one already stands (raised elsewhere)."""
        ...

    async def clear_alert(self, alert_id: int, now: float) -> Alert | None:
        """The alert, cleared now; None when it was cleared before (elsewhere)."""
        ...

    async def active_alerts(self) -> list[Alert]:
        """The standing alerts, oldest first."""
        ...

    async def post_incident(
        self, intent: str, texts: Mapping[str, str], *, by: str, now: float
    ) -> Incident:
        """A notice standing on intent from now on, replacing (lifting) one that stood."""
        ...

    async def lift_incident(self, intent: str, *, by: str, now: float) -> Incident | None:
        """The intent's standing notice, lifted now; None when none stood."""
        ...

    async def standing_incidents(self) -> list[Incident]:
        """The notices standing now, oldest first."""
        ...


def alert_store(store: object) -> AlertStore:
    """The given store as an AlertStore; StoreError when its backend keeps no alerts."""
    if not isinstance(store, AlertStore):
        raise StoreError(f"the {type(store).__name__} backend does not keep alerts")
    return store
