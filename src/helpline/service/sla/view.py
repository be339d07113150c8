"""What the console and the API show of a ticket and its SLA timers."""

from __future__ import annotations

from typing import Any

from helpline.service.handoff.views import ticket_view
from helpline.service.sla.timer import TicketSla, Timer
from helpline.store.handoff import Ticket


def timer_view(timer: Timer) -> dict[str, Any]:
    return {
        "target": timer.target, "state": timer.state, "due_at": timer.due_at,
        "warn_at": timer.warn_at,
        "used_s": round(timer.used_s, 3), "limit_s": timer.limit_s,
        "running": timer.running, "done": timer.done,
    }  # fmt: skip


def sla_view(sla: TicketSla) -> dict[str, Any]:
    return {
        "state": sla.state,
        "due_at": sla.due_at,
        "warn_at": sla.warn_at,
        "timers": [timer_view(t) for t in sla.timers],
    }


def ticket_with_sla(ticket: Ticket, sla: TicketSla) -> dict[str, Any]:
    return {
        **ticket_view(ticket), "conversation": ticket.conversation_id, "urgent": ticket.urgent,
        "sla": sla_view(sla),
    }  # fmt: skip
