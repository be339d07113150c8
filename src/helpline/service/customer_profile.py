"""Customers for the console: the list an agent may page through, a customer's profile
(identity, attributes, conversations, tickets, ratings, notes) and notes about them."""

from __future__ import annotations

import base64
import binascii
import json
import unicodedata
from collections.abc import Mapping
from typing import Any, Protocol

from helpline.errors import CustomerError, StoreError
from helpline.service.conversation_view import status_group, visibility
from helpline.store.agents import Agent
from helpline.store.customer_directory import (
    MAX_CUSTOMER_PAGE,
    Customer,
    CustomerCursor,
    CustomerDirectoryStore,
    CustomerNote,
    CustomerPage,
)
from helpline.store.customers import CustomerStore
from helpline.store.handoff import HandoffStore, Ticket

DEFAULT_PAGE = 25
MAX_QUERY_CHARS = 100
MAX_NOTE_CHARS = 2000
# A profile lists this many conversations, newest first; a customer with more is a
# support desk's rare case and the conversations view finds the rest by their id.
MAX_PROFILE_CONVERSATIONS = 200
KNOWN_PARAMS = frozenset(("q", "cursor", "limit"))


class ProfileStore(CustomerDirectoryStore, CustomerStore, HandoffStore, Protocol):
    """What a profile reads: the directory, the customer's conversations and tickets."""


def _bad(message: str) -> CustomerError:
    return CustomerError("bad_request", message)


def parse_list(query: Mapping[str, str]) -> tuple[str | None, CustomerCursor | None, int]:
    """?q=&cursor=&limit= checked: the words, where the page starts, its length."""
    unknown = sorted(set(query) - KNOWN_PARAMS)
    if unknown:
        raise _bad(f"unknown parameter {unknown[0]!r} (known: {', '.join(sorted(KNOWN_PARAMS))})")
    text = unicodedata.normalize("NFC", query.get("q", "")).strip()
    if len(text) > MAX_QUERY_CHARS:
        raise _bad(f"q: longer than {MAX_QUERY_CHARS} characters")
    return text or None, _cursor(query.get("cursor", "")), _limit(query.get("limit", ""))


def _limit(text: str) -> int:
    if not text.strip():
        return DEFAULT_PAGE
    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_CUSTOMER_PAGE:
        raise _bad(f"limit: {text[:20]!r} is not a number from 1 to {MAX_CUSTOMER_PAGE}")
    return int(text)


def encode_cursor(cursor: CustomerCursor) -> str:
    raw = json.dumps([cursor.last_seen_at, cursor.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor(text: str) -> CustomerCursor | None:
    if not text:
        return None
    try:
        at, cid = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, TypeError):
        raise _bad("cursor: not one this API gave") from None
    if not isinstance(at, int | float) or not isinstance(cid, str) or len(cid) > 200:
        raise _bad("cursor: not one this API gave")
    return CustomerCursor(float(at), cid)


def note_text(body: object) -> str:
    """The note's text from a request body {"text": ...}, stripped and bounded."""
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise _bad('the body must be {"text": "..."} with some text')
    text = text.strip()
    if len(text) > MAX_NOTE_CHARS:
        raise _bad(f"text: longer than {MAX_NOTE_CHARS} characters")
    return text


def customer_view(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "name": customer.name,
        "email": customer.email,
        "first_seen_at": customer.first_seen_at,
        "last_seen_at": customer.last_seen_at,
        "conversations": customer.conversations,
        "average_csat": customer.average_csat,
    }


def page_view(page: CustomerPage) -> dict[str, Any]:
    return {
        "customers": [customer_view(c) for c in page.customers],
        "next_cursor": encode_cursor(page.next) if page.next is not None else None,
    }


def note_view(note: CustomerNote) -> dict[str, Any]:
    return {"id": note.id, "agent": note.agent_id, "name": note.name, "text": note.text,
            "at": note.created_at}  # fmt: skip


def _ticket_view(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id, "conversation": ticket.conversation_id, "status": ticket.status,
        "team": ticket.team, "priority": ticket.priority, "tags": list(ticket.tags),
        "agent": ticket.assignee, "opened_at": ticket.created_at,
        "solved_at": ticket.solved_at, "csat": ticket.csat_rating,
        "csat_comment": ticket.csat_comment,
    }  # fmt: skip


class CustomerDirectory:
    """The same rule as the conversations view: a supervisor reads every customer, an
    agent those with a conversation of their teams' (or their own)."""

    def __init__(self, store: ProfileStore) -> None:
        self._store = store

    async def page(self, asked: Mapping[str, str], viewer: Agent) -> CustomerPage:
        query, after, limit = parse_list(asked)
        return await self._store.find_customers(query, after, limit, visibility(viewer))

    async def profile(self, customer_id: str, viewer: Agent) -> dict[str, Any]:
        customer = await self._readable(customer_id, viewer)
        conversations = await self._store.customer_conversations(
            customer.id, MAX_PROFILE_CONVERSATIONS
        )
        tickets: list[Ticket] = []
        listed = []
        for conversation in conversations:
            theirs = await self._store.tickets(conversation.id)
            tickets.extend(theirs)
            listed.append({
                "id": conversation.id, "status": status_group(conversation.status),
                "language": conversation.language, "started_at": conversation.created_at,
                "updated_at": conversation.updated_at,
                "team": theirs[-1].team if theirs else None,
            })  # fmt: skip
        rated = [t for t in tickets if t.csat_rating is not None]
        return {
            **customer_view(customer),
            "attributes": customer.attributes,
            "conversations_listed": listed,
            "tickets": [_ticket_view(t) for t in tickets],
            "csat": [
                {
                    "ticket": t.id,
                    "conversation": t.conversation_id,
                    "rating": t.csat_rating,
                    "comment": t.csat_comment,
                    "at": t.solved_at,
                }
                for t in rated
            ],  # fmt: skip
            "notes": [note_view(n) for n in await self._store.customer_notes(customer.id)],
        }

    async def add_note(
        self, customer_id: str, viewer: Agent, body: object, now: float
    ) -> CustomerNote:
        text = note_text(body)  # validated before anything is read or written
        customer = await self._readable(customer_id, viewer)
        try:
            return await self._store.add_customer_note(
                customer.id, agent_id=viewer.id, name=viewer.name, text=text, now=now
            )
        except StoreError:
            # removed between the read and the write: as if it had never been there
            if await self._store.customer(customer.id) is None:
                raise CustomerError("not_found", "no such customer") from None
            raise

    async def _readable(self, customer_id: str, viewer: Agent) -> Customer:
        found = await self._store.customer(customer_id)
        if found is None:
            raise CustomerError("not_found", "no such customer")
        who = visibility(viewer)
        if who is not None and not await self._store.customer_visible(found.id, who):
            raise CustomerError("forbidden", "this customer has no conversation of your teams")
        return found
