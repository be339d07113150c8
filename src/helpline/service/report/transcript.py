"""One conversation as a supervisor reads it from a report: customer, tickets, transcript.

The same views the console shows an agent who takes a conversation, read-only."""

from __future__ import annotations

from typing import Any

from helpline.service.handoff import views
from helpline.store.agents import AgentStore
from helpline.store.base import Store
from helpline.store.handoff import HandoffStore


async def read_transcript(
    store: Store, handoffs: HandoffStore, agents: AgentStore, cid: str
) -> dict[str, Any] | None:
    """The conversation's record (each ticket's agent by name too), or None when there is
    no such conversation."""
    conversation = await store.conversation(cid)
    if conversation is None:
        return None
    names = {agent.id: agent.name for agent in await agents.agents()}
    return {
        "conversation": cid,
        "status": conversation.status,
        "started_at": conversation.created_at,
        "customer": await views.customer_view(store, conversation),
        "tickets": [
            {**views.ticket_view(t), "assignee_name": names.get(t.assignee or "")}
            for t in await handoffs.tickets(cid)
        ],
        "transcript": await views.transcript(store, handoffs, cid),
    }
