"""The handoff part of the storage contract: tickets, the live queue and assignments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from helpline.errors import StoreError
from helpline.store.base import Message, TurnRecord

TICKET_STATUSES = ("open", "pending", "solved")  # pending: an agent replied, the customer has not
HANDOFF_STATES = ("waiting", "offered", "assigned")


@dataclass(frozen=True)
class Ticket:
    id: str
    conversation_id: str
    status: str  # open | pending | solved
    team: str
    priority: str  # low | normal | high | urgent
    urgent: bool
    tags: tuple[str, ...]
    assignee: str | None  # agent id
    email: str | None  # left by the customer to be answered by email
    created_at: float
    assigned_at: float | None = None
    first_response_at: float | None = None
    solved_at: float | None = None
    csat_rating: int | None = None
    csat_comment: str | None = None


@dataclass(frozen=True)
class Handoff:
    """A conversation waiting for a person or with one: the live queue's row."""

    conversation_id: str
    ticket_id: str
    state: str  # waiting | offered (to agent_id, not yet accepted) | assigned (to agent_id)
    team: str
    priority: str
    urgent: bool
    frustration: float
    enqueued_at: float
    agent_id: str | None = None
    offered_at: float | None = None
    passed: tuple[str, ...] = ()  # agents who let an offer expire: not offered it again


@dataclass(frozen=True)
class Escalation:
    """What the queue needs to know about a conversation handed to people."""

    team: str
    priority: str
    urgent: bool
    frustration: float
    # the conversation's last ticket, if solved at or after this time, is reopened for this
    # handoff instead of a new one (config.yaml's sla.reopen_within); None: always a new one
    reopen_after: float | None = None


@dataclass(frozen=True)
class Note:
    """An internal note: agents only, never in the customer's messages."""

    conversation_id: str
    client_id: str
    agent_id: str
    name: str
    text: str
    created_at: float


@dataclass(frozen=True)
class Claim:
    """A successful claim: the conversation is now the agent's."""

    handoff: Handoff
    previous_status: str  # the conversation's status before (queued or offline)


@runtime_checkable
class HandoffStore(Protocol):
    """Each write is one transaction: the projection tables (tickets, handoffs) and the
    events they are derived from move together. A state change that lost a race returns
    None (or False) instead of raising; StoreError is for an unknown conversation or a
    broken database."""

    async def escalate(
        self, record: TurnRecord, escalation: Escalation, now: float
    ) -> tuple[list[Message], Ticket]:
        """Commit the turn that hands the conversation over, open its ticket (or reopen
        the one solved since `escalation.reopen_after`) and queue it."""
        ...

    async def handoffs(self) -> list[Handoff]:
        """Every conversation waiting for or with a person (rebuilds the queue on start)."""
        ...

    async def handoff(self, conversation_id: str) -> Handoff | None:
        """The conversation's queue row; None when it waits for nobody (several nodes
        re-read the rows another node changed)."""
        ...

    async def offer(
        self, conversation_id: str, agent_id: str, now: float, team: str | None = None
    ) -> Handoff | None:
        """waiting -> offered to agent_id; None if it was not waiting, or (team given) if it
        no longer waits in that team's line: an offer picked from a node's view of the row
        made before the row moved to another team would go to the old team's agent."""
        ...

    async def expire_offer(self, conversation_id: str, agent_id: str, now: float) -> bool:
        """offered to agent_id -> waiting, agent_id added to `passed`."""
        ...

    async def mark_urgent(
        self, conversation_id: str, urgent: bool, agent_id: str, now: float
    ) -> Handoff | None:
        """Set or clear the urgent flag of a conversation with people (queue row and
        ticket, with an event naming who did it); the row, None when there is none."""
        ...

    async def claim(
        self, conversation_id: str, agent_id: str, now: float, *, any_state: bool = False
    ) -> Claim | None:
        """Give the conversation to agent_id: only if it waits or is offered to that agent
        (any_state: waiting or offered to anyone, for supervisors). One conditional UPDATE,
        so of many concurrent claims exactly one wins; the others get None."""
        ...

    async def transfer(
        self,
        conversation_id: str,
        from_agent: str,
        now: float,
        *,
        to_agent: str | None = None,
        to_team: str | None = None,
        note: str | None = None,
    ) -> Handoff | None:
        """from_agent's conversation to another agent (assigned) or team (waiting)."""
        ...

    async def finish(
        self,
        conversation_id: str,
        agent_id: str,
        record: TurnRecord,
        now: float,
        *,
        tags: Sequence[str] = (),
        reason: str,
    ) -> tuple[list[Message], Ticket] | None:
        """Hand back to the bot (reason "released") or close ("closed"): the agent's
        conversation leaves the queue, its ticket is solved, the turn is committed."""
        ...

    async def append_agent_message(
        self,
        conversation_id: str,
        agent_id: str,
        client_id: str,
        body: Mapping[str, Any],
        now: float,
    ) -> tuple[Message, bool] | None:
        """Store an agent's reply once per client_id: (message, duplicate); None when the
        conversation is not assigned to that agent."""
        ...

    async def add_note(self, note: Note) -> tuple[Note, bool]:
        """Store a note once per (conversation, client_id): (note, duplicate)."""
        ...

    async def notes(self, conversation_id: str) -> list[Note]: ...
    async def tickets(self, conversation_id: str) -> list[Ticket]:
        """The conversation's tickets, oldest first."""
        ...

    async def customer_tickets(self, customer_id: str) -> list[Ticket]:
        """Tickets of every conversation of this customer, oldest first."""
        ...

    async def reopen_ticket(self, conversation_id: str, now: float) -> None:
        """The customer wrote to an assigned conversation: its ticket is open again."""
        ...

    async def rate(
        self, conversation_id: str, rating: int, comment: str | None, now: float
    ) -> tuple[Ticket, bool] | None:
        """CSAT on the conversation's last solved ticket: (ticket, duplicate); a second
        rating changes nothing (duplicate=True); None when there is no solved ticket."""
        ...

    async def recent_handle_times(self, limit: int = 50) -> list[float]:
        """Seconds from assignment to solved for the latest solved tickets, newest first."""
        ...


def handoff_store(store: object) -> HandoffStore:
    """The given store as a HandoffStore; StoreError when its backend keeps no queue."""
    if not isinstance(store, HandoffStore):
        raise StoreError(f"the {type(store).__name__} backend does not store the handoff queue")
    return store
