"""The bus topic every console follows for alerts and notices, and the frames put on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from helpline.spike import FALLBACK
from helpline.store.alerts import Alert, Incident

# Every agent socket on every node follows it; each node's IncidentBoard too, so a notice
# posted or lifted on one node holds on all of them within a bus hop.
TOPIC = "alerts"
RAISED = "alert.raised"
CLEARED = "alert.cleared"
POSTED = "incident.posted"
LIFTED = "incident.lifted"
SNAPSHOT = "alerts.snapshot"  # sent to a console as it connects: what stands now


def alert_view(alert: Alert) -> dict[str, Any]:
    """An alert as consoles, the HTTP API and the webhook see it."""
    fallback = alert.key == FALLBACK
    return {
        "id": alert.id,
        "key": alert.key,
        "intent": None if fallback else alert.key,
        "fallback": fallback,
        "count": alert.count,
        "expected": round(alert.expected, 2),
        "ratio": round(alert.count / alert.expected, 1) if alert.expected else None,
        "since": alert.since,
        "raised_at": alert.raised_at,
        "cleared_at": alert.cleared_at,
    }


def incident_view(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "intent": incident.intent,
        "texts": dict(incident.texts),
        "posted_by": incident.posted_by,
        "posted_at": incident.posted_at,
        "lifted_at": incident.lifted_at,
    }


def raised(alert: Alert) -> dict[str, Any]:
    return {"type": RAISED, "alert": alert_view(alert)}


def cleared(alert: Alert) -> dict[str, Any]:
    return {"type": CLEARED, "alert": alert_view(alert)}


def posted(incident: Incident) -> dict[str, Any]:
    return {"type": POSTED, "incident": incident_view(incident)}


def lifted(incident: Incident) -> dict[str, Any]:
    return {"type": LIFTED, "incident": incident_view(incident)}


def snapshot(alerts: Sequence[Alert], incidents: Sequence[Incident]) -> dict[str, Any]:
    return {
        "type": SNAPSHOT,
        "alerts": [alert_view(a) for a in alerts],
        "incidents": [incident_view(i) for i in incidents],
    }
