"""The tickets part of the storage contract: listing tickets with their SLA events, and
the changes supervisors make to them (status, priority, tags, assignee, team)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from helpline.errors import StoreError
from helpline.store.base import Event
from helpline.store.handoff import Escalation, Ticket

# The kinds a ticket's SLA timers are worked out from (service/sla/timer.py); only these
# are read with a ticket list, so a long conversation's other events stay on disk.
SLA_KINDS = (
    "ticket.opened",
    "ticket.status",
    "ticket.solved",
    "ticket.released",
    "ticket.reopened",
    "message.out",
    "sla.breached",
)
UNSOLVED = ("open", "pending")


@dataclass(frozen=True)
class TicketChange:
    """What a supervisor changes on a ticket; None (or tags None): left as it is."""

    status: str | None = None  # open | pending | solved
    priority: str | None = None
    tags: tuple[str, ...] | None = None
    assignee: str | None = None  # an agent id
    team: str | None = None  # the queue row (if still waiting) moves to this team too


@dataclass(frozen=True)
class ChangePlan:
    """What a TicketChange writes, the same on every backend: the ticket's columns, the
    queue row's priority and team (the team only while it waits), one event per field."""

    ticket: dict[str, Any] = field(default_factory=dict)
    queue_priority: str | None = None
    queue_team: str | None = None  # the row, if still in line, waits in this team's line
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def plan_change(old: Ticket, change: TicketChange, agent_id: str | None, now: float) -> ChangePlan:
    """The writes for each field of `change` that differs from the ticket."""
    columns: dict[str, Any] = {}
    events: list[tuple[str, dict[str, Any]]] = []

    def moved(kind: str, before: Any, after: Any) -> None:
        events.append((kind, {"ticket": old.id, "from": before, "to": after, "by": agent_id}))

    if change.status is not None and change.status != old.status:
        columns.update(status=change.status, solved_at=now if change.status == "solved" else None)
        # solved and reopened have kinds of their own: the reports count them
        kind = {"solved": "ticket.solved"}.get(change.status, "ticket.status")
        moved("ticket.reopened" if old.status == "solved" else kind, old.status, change.status)
    priority = change.priority if change.priority != old.priority else None
    if priority is not None:
        columns["priority"] = priority
        moved("ticket.priority", old.priority, priority)
    if change.tags is not None and tuple(change.tags) != old.tags:
        columns["tags"] = list(change.tags)
        moved("ticket.tags", list(old.tags), list(change.tags))
    if change.assignee is not None and change.assignee != old.assignee:
        columns.update(assignee=change.assignee, assigned_at=old.assigned_at or now)
        moved("ticket.assignee", old.assignee, change.assignee)
    team = change.team if change.team != old.team else None
    if team is not None:
        columns["team"] = team
        moved("ticket.team", old.team, team)
    return ChangePlan(columns, priority, team, events)


@dataclass(frozen=True)
class TicketRecord:
    """A ticket with its conversation's SLA_KINDS events since the ticket opened, oldest
    first (the next ticket's, if any, come after its own: timer.ticket_events splits)."""

    ticket: Ticket
    events: tuple[Event, ...]


def is_breach(data: Mapping[str, Any], ticket_id: str, target: str, started_at: float) -> bool:
    """Whether an `sla.breached` event's data names this timer."""
    return (data.get("ticket"), data.get("target"), data.get("started_at")) == (
        ticket_id, target, started_at,
    )  # fmt: skip


def records(tickets: Sequence[Ticket], events: Iterable[Event]) -> list[TicketRecord]:
    """Each ticket with its conversation's events written since it opened."""
    by_conversation: dict[str, list[Event]] = {}
    for event in events:
        by_conversation.setdefault(event.conversation_id, []).append(event)
    return [
        TicketRecord(
            t,
            tuple(
                e
                for e in by_conversation.get(t.conversation_id, ())
                if e.created_at >= t.created_at
            ),
        )
        for t in tickets
    ]


def reopen_data(ticket: Ticket, escalation: Escalation) -> dict[str, Any]:
    """The `ticket.reopened` event of a solved ticket the customer came back to."""
    return {
        "ticket": ticket.id, "from": "solved", "to": "open", "by": None,
        "team": escalation.team, "priority": escalation.priority,
    }  # fmt: skip


@runtime_checkable
class TicketStore(Protocol):
    """Each change is one transaction with the events it is derived from: every change
    of status, priority, tags, assignee or team is an event the reports can read."""

    async def ticket(self, ticket_id: str) -> TicketRecord | None: ...

    async def ticket_list(
        self, statuses: Sequence[str], teams: Sequence[str] | None, limit: int
    ) -> list[TicketRecord]:
        """Tickets in these statuses (of these teams; None: every team), oldest first."""
        ...

    async def change_ticket(
        self, ticket_id: str, change: TicketChange, agent_id: str | None, now: float
    ) -> Ticket | None:
        """Apply what `change` names, each field that differs with its event (agent_id:
        who did it; None: the desk itself, as an SLA escalation); None: no such ticket.
        Solving sets solved_at; a solved ticket set open again is `ticket.reopened`."""
        ...

    async def add_breach(self, ticket_id: str, target: str, started_at: float, now: float) -> bool:
        """Record `sla.breached` for this timer (its ticket, target and start) once:
        False when it was recorded before, on this node or another."""
        ...


def ticket_store(store: object) -> TicketStore:
    """The given store as a TicketStore; StoreError when its backend keeps no tickets."""
    if not isinstance(store, TicketStore):
        raise StoreError(f"the {type(store).__name__} backend does not store tickets")
    return store
