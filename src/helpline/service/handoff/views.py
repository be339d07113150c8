"""What an agent is shown of a conversation: the whole story, the customer's past, mine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpline.store.base import Conversation, Message, Store
from helpline.store.customers import CustomerStore
from helpline.store.handoff import HandoffStore, Note, Ticket
from helpline.store.visit import Visit, VisitStore

DECISION_FIELDS = ("decision", "intent", "score", "mood", "reasons")


async def all_messages(store: Store, conversation_id: str) -> list[Message]:
    found: list[Message] = []
    after = 0
    while page := await store.messages_after(conversation_id, after):
        found.extend(page)
        after = page[-1].seq
    return found


def message_view(conversation_id: str, message: Message) -> dict[str, Any]:
    """A stored message for an agent: the customer's view plus, for the bot, its reasons."""
    body = message.body
    view: dict[str, Any] = {
        "type": "message.new", "conversation": conversation_id, "seq": message.seq,
        "sender": message.sender, "text": body.get("text", ""), "kind": body.get("kind"),
        "intent": body.get("intent"), "buttons": list(body.get("buttons", ())),
        "at": message.created_at,
    }  # fmt: skip
    if "name" in body:
        view["name"] = body["name"]
    if "attachment" in body:
        view["attachment"] = body["attachment"]
    decision = body.get("decision")
    if message.sender == "bot" and isinstance(decision, Mapping):
        view["decision"] = {k: decision.get(k) for k in DECISION_FIELDS}
    return view


def note_view(note: Note) -> dict[str, Any]:
    return {
        "type": "message.new", "conversation": note.conversation_id, "sender": "note",
        "id": note.client_id, "text": note.text, "name": note.name, "agent": note.agent_id,
        "at": note.created_at,
    }  # fmt: skip


def ticket_view(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id, "status": ticket.status, "team": ticket.team,
        "priority": ticket.priority, "tags": list(ticket.tags), "assignee": ticket.assignee,
        "created_at": ticket.created_at, "first_response_at": ticket.first_response_at,
        "solved_at": ticket.solved_at, "csat": ticket.csat_rating,
        "csat_comment": ticket.csat_comment,
    }  # fmt: skip


async def transcript(store: Store, handoffs: HandoffStore, cid: str) -> list[dict[str, Any]]:
    """Messages and notes in the order they happened (a note after a message of its time)."""
    views = [message_view(cid, m) for m in await all_messages(store, cid)]
    views += [note_view(n) for n in await handoffs.notes(cid)]
    return sorted(views, key=lambda v: (v["at"], v["sender"] == "note", v.get("seq", 0)))


async def history(
    store: Store, handoffs: HandoffStore, conversation: Conversation
) -> list[dict[str, Any]]:
    """The customer's other conversations (identified customers only), with their tickets."""
    if not conversation.customer_id or not isinstance(store, CustomerStore):
        return []
    earlier = await store.customer_conversations(conversation.customer_id)
    tickets: dict[str, list[Ticket]] = {}
    for ticket in await handoffs.customer_tickets(conversation.customer_id):
        tickets.setdefault(ticket.conversation_id, []).append(ticket)
    return [
        {
            "conversation": c.id,
            "status": c.status,
            "started_at": c.created_at,
            "closed_at": c.updated_at if c.status == "closed" else None,
            "tickets": [ticket_view(t) for t in tickets.get(c.id, [])],
        }  # fmt: skip
        for c in earlier
        if c.id != conversation.id
    ]


async def customer_view(
    store: Store, conversation: Conversation, seen: Visit | None = None
) -> dict[str, Any]:
    email = None
    if isinstance(store, CustomerStore):
        email = await store.customer_email(conversation.id)
    return {
        "id": conversation.customer_id,
        "name": conversation.customer_name,
        "email": email,
        "language": conversation.language,
        # the live desk's (seen given); the transcript for reports keeps its documented shape
        **({"page_url": seen.page_url} if seen is not None else {}),
    }


async def visit(store: Store, conversation_id: str) -> Visit:
    """What the customer's widget reported (Visit() on a backend that keeps none)."""
    return await store.visit(conversation_id) if isinstance(store, VisitStore) else Visit()


def unread(messages: list[Message]) -> int:
    """Customer messages after the last agent reply."""
    count = 0
    for message in reversed(messages):
        if message.sender == "agent":
            break
        count += message.sender == "customer"
    return count
