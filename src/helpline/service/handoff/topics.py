"""Bus topics the handoff uses beside the customer's, and the frames it puts on them."""

from __future__ import annotations

from typing import Any

from helpline.service.handoff.board import Place
from helpline.store.handoff import Handoff

QUEUE = "queue"  # {"type": QUEUE_CHANGED}: agents rebuild their queue.snapshot
QUEUE_CHANGED = "queue.changed"
ASSIGNED = "conversation.assigned"  # on an agent topic: only the id; the socket builds the view


def agent(agent_id: str) -> str:
    """Frames for one agent: offers, assignments, releases, presence."""
    return f"agent:{agent_id}"


def staff(conversation_id: str) -> str:
    """A conversation's frames for agents only (notes, the customer typing): kept off the
    customer's topic so no mistake can ever send them to the customer."""
    return f"staff:{conversation_id}"


def position(place: Place) -> dict[str, Any]:
    return {
        "type": "queue.position",
        "position": place.position,
        "eta_s": place.eta_s,
        "agents_online": place.agents_online,
    }


def offered(row: Handoff, timeout_s: float, entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "conversation.offered",
        "conversation": row.conversation_id,
        "expires_in_s": timeout_s,
        "entry": entry,
    }


def assigned(conversation_id: str) -> dict[str, Any]:
    return {"type": ASSIGNED, "conversation": conversation_id}


def released(conversation_id: str, reason: str) -> dict[str, Any]:
    return {"type": "conversation.released", "conversation": conversation_id, "reason": reason}
