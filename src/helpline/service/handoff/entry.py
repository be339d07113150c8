"""A conversation's place in the queue: its row, what the queue shows of it, and why it is there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpline.service.handoff.board import EntryInfo
from helpline.store.base import Conversation
from helpline.store.handoff import Escalation, Handoff
from helpline.turn import Turn


def new_row(cid: str, ticket_id: str, esc: Escalation, now: float) -> Handoff:
    return Handoff(
        cid, ticket_id, "waiting", esc.team, esc.priority, esc.urgent, esc.frustration, now
    )


def info(conversation: Conversation, turn: Turn | None) -> EntryInfo:
    state: Mapping[str, Any] = conversation.bot_state
    intent = about(turn) if turn else state.get("topic") or state.get("last_answered")
    language = turn.state.language if turn else conversation.language
    return EntryInfo(intent, language, conversation.customer_name)


def about(turn: Turn) -> str | None:
    """The intent a handoff is routed by and shown under: what the customer asked about,
    not the "talk to a person" that handed them over."""
    return turn.decision.topic or turn.decision.intent


def view(row: Handoff, info: EntryInfo, now: float, position: int | None) -> dict[str, Any]:
    """A queue entry as agents' consoles show it."""
    return {
        "conversation": row.conversation_id, "team": row.team, "priority": row.priority,
        "urgent": row.urgent, "waited_s": round(now - row.enqueued_at, 1),
        "enqueued_at": row.enqueued_at, "intent": info.intent, "mood": row.frustration,
        "language": info.language, "customer_name": info.customer_name,
        "position": position, "state": row.state,
    }  # fmt: skip
