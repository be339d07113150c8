"""A conversation's place in the queue: its row, what the queue shows of it, and why it is there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from helpline.service.handoff import views
from helpline.service.handoff.board import Board, EntryInfo
from helpline.store.base import Conversation, Store
from helpline.store.handoff import Escalation, Handoff
from helpline.turn import Turn

# A card's preview: enough to tell "refund for March" from "cannot log in" at a glance,
# short enough that 50 cards in a snapshot stay small.
PREVIEW_CHARS = 120
# How far back a card looks for the customer's newest message: a queued conversation's
# last messages are the customer's and the bot's "you are number 2" in turn.
PREVIEW_LOOKBACK = 20


def new_row(cid: str, ticket_id: str, esc: Escalation, now: float) -> Handoff:
    return Handoff(
        cid, ticket_id, "waiting", esc.team, esc.priority, esc.urgent, esc.frustration, now
    )


def info(conversation: Conversation, turn: Turn | None) -> EntryInfo:
    state: Mapping[str, Any] = conversation.bot_state
    intent = about(turn) if turn else state.get("topic") or state.get("last_answered")
    language = turn.state.language if turn else conversation.language
    return EntryInfo(intent, language, conversation.customer_name)


async def describe(store: Store, conversation: Conversation, turn: Turn | None) -> EntryInfo:
    """info() and what the queue card shows beside it: the page the customer is on and
    the start of their newest message (both read from the store)."""
    page_url = (await views.visit(store, conversation.id)).page_url
    preview = await newest_customer_text(store, conversation)
    return replace(info(conversation, turn), page_url=page_url, preview=preview)


async def newest_customer_text(store: Store, conversation: Conversation) -> str | None:
    after = max(0, conversation.last_seq - PREVIEW_LOOKBACK)
    for message in reversed(await store.messages_after(conversation.id, after)):
        text = str(message.body.get("text") or "").strip()
        if message.sender == "customer" and text:
            return " ".join(text.split())[:PREVIEW_CHARS]
    return None


async def renew_preview(board: Board, store: Store, conversation_id: str) -> bool:
    """The card of a conversation still in line shows the customer's newest message;
    False when it is not in line here or its preview did not change."""
    old, conversation = board.info.get(conversation_id), await store.conversation(conversation_id)
    if old is None or conversation is None or conversation_id not in board.rows:
        return False
    preview = await newest_customer_text(store, conversation)
    if preview == old.preview:
        return False
    board.describe(conversation_id, replace(old, preview=preview))
    return True


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
        "position": position, "state": row.state, "page_url": info.page_url,
        "preview": info.preview,
    }  # fmt: skip
