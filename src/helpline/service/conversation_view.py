"""The conversations view: what an agent may list and read, from the filters they ask for."""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from helpline.errors import ViewError
from helpline.service.report.period import moment
from helpline.store.agents import Agent
from helpline.store.base import Conversation, Message, Store
from helpline.store.handoff import TICKET_STATUSES, HandoffStore, Note, Ticket
from helpline.store.search import (
    MAX_PAGE,
    SHORT_TERM_SCOPE,
    ConversationCard,
    ConversationFilter,
    ConversationPage,
    Cursor,
    SearchStore,
    Visibility,
)

# The view's statuses and the stored ones they stand for. `queued` includes `offline`: a
# conversation handed over when nobody was in, waiting for an answer by email.
STATUS_GROUPS: Mapping[str, tuple[str, ...]] = {
    "open": ("bot",),
    "queued": ("queued", "offline"),
    "with_agent": ("assigned",),
    "closed": ("closed",),
}
_GROUP_OF = {stored: group for group, members in STATUS_GROUPS.items() for stored in members}
# ?sla=: conversations whose unsolved ticket is amber or red now, as the ticket list shows
SLA_STATES = ("warning", "breached")
DEFAULT_PAGE = 25
MAX_TERMS = 8
MAX_QUERY_CHARS = 200
MAX_VALUE_CHARS = 100
MESSAGE_FIELDS = ("text", "kind", "intent", "buttons", "attachment")  # of a message's body
MAX_TRANSCRIPT = 5000  # messages; a conversation longer than this is shown up to here
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
KNOWN_PARAMS = frozenset(
    ("status", "team", "agent", "intent", "language", "csat", "tag", "ticket", "sla", "since",
     "until", "q", "cursor", "limit")
)  # fmt: skip


class ViewStore(Store, HandoffStore, SearchStore, Protocol):
    """What the view reads: conversations, their messages, notes and tickets, and search."""


class SlaStates(Protocol):
    """Which conversations' tickets are in an SLA state now (the ticket desk knows)."""

    async def conversations_in_sla_state(self, states: Collection[str]) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class ViewRequest:
    where: ConversationFilter
    after: Cursor | None
    limit: int
    sla: tuple[str, ...] = ()  # SLA_STATES asked for: () any


def visibility(agent: Agent) -> Visibility | None:
    """None for a supervisor (everything), else the agent's teams and own conversations."""
    return None if agent.is_supervisor else Visibility(agent.id, agent.teams)


def parse_request(
    query: Mapping[str, str], viewer: Agent, zone: ZoneInfo, now: float
) -> ViewRequest:
    """The view's parameters checked and parsed; ViewError naming the first wrong one."""
    unknown = sorted(set(query) - KNOWN_PARAMS)
    if unknown:
        raise _bad(f"unknown parameter {unknown[0]!r} (known: {', '.join(sorted(KNOWN_PARAMS))})")
    team = _value(query, "team")
    who = visibility(viewer)
    if team is not None and who is not None and team not in who.teams:
        raise ViewError("forbidden", f"team {team!r} is not one of your teams")
    where = ConversationFilter(
        statuses=_statuses(query.get("status", "")),
        team=team,
        agent=_value(query, "agent"),
        intent=_value(query, "intent"),
        language=_value(query, "language"),
        csat=_ratings(query.get("csat", "")),
        tag=_value(query, "tag"),
        ticket_statuses=_choices(query, "ticket", TICKET_STATUSES),
        since=_moment(query, "since", zone, now),
        until=_moment(query, "until", zone, now),
        terms=_terms(query.get("q", "")),
        visible_to=who,
    )
    if where.since is not None and where.until is not None and where.until <= where.since:
        raise _bad("until: the range ends before it starts")
    cursor, limit = _cursor(query.get("cursor", "")), _limit(query.get("limit", ""))
    return ViewRequest(where, cursor, limit, _choices(query, "sla", SLA_STATES))


def _bad(message: str) -> ViewError:
    return ViewError("bad_request", message)


def _value(query: Mapping[str, str], name: str) -> str | None:
    value = query.get(name, "").strip()
    if len(value) > MAX_VALUE_CHARS:
        raise _bad(f"{name}: longer than {MAX_VALUE_CHARS} characters")
    return value or None


def _statuses(text: str) -> tuple[str, ...]:
    stored: list[str] = []
    for name in filter(None, (part.strip() for part in text.split(","))):
        if name not in STATUS_GROUPS:
            raise _bad(f"status: {name[:40]!r} is not one of {', '.join(STATUS_GROUPS)}")
        stored.extend(STATUS_GROUPS[name])
    return tuple(stored)


def _choices(query: Mapping[str, str], name: str, choices: tuple[str, ...]) -> tuple[str, ...]:
    """?name=a,b: each one of `choices`, in their order, each once."""
    wanted = {part.strip() for part in query.get(name, "").split(",") if part.strip()}
    wrong = sorted(wanted - set(choices))
    if wrong:
        raise _bad(f"{name}: {wrong[0][:40]!r} is not one of {', '.join(choices)}")
    return tuple(c for c in choices if c in wanted)


def _ratings(text: str) -> tuple[int, ...]:
    ratings: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if part not in ("1", "2", "3", "4", "5"):
            raise _bad(f"csat: {part[:40]!r} is not a rating from 1 to 5")
        ratings.append(int(part))
    return tuple(sorted(set(ratings)))


def _moment(query: Mapping[str, str], name: str, zone: ZoneInfo, now: float) -> float | None:
    text = query.get(name, "").strip()
    if not text:
        return None
    if len(text) > 40:
        raise _bad(f"{name}: not a date or time")
    try:
        at = moment(text, zone, now, name)
    except ValueError as exc:
        raise _bad(str(exc)) from None
    if name == "until" and _DATE.match(text):  # a date as `until` includes that whole day
        day = date.fromisoformat(text) + timedelta(days=1)
        at = moment(day.isoformat(), zone, now, name)
    return at


def _terms(text: str) -> tuple[str, ...]:
    # NFC: a Korean query typed on some systems arrives decomposed (jamo by jamo)
    text = unicodedata.normalize("NFC", text).strip()
    if len(text) > MAX_QUERY_CHARS:
        raise _bad(f"q: longer than {MAX_QUERY_CHARS} characters")
    terms = tuple(dict.fromkeys(text.split()))
    if len(terms) > MAX_TERMS:
        raise _bad(f"q: more than {MAX_TERMS} words")
    return terms


def _limit(text: str) -> int:
    if not text.strip():
        return DEFAULT_PAGE
    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise _bad(f"limit: {text[:20]!r} is not a number from 1 to {MAX_PAGE}")
    return int(text)


def encode_cursor(cursor: Cursor) -> str:
    raw = json.dumps([cursor.created_at, cursor.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor(text: str) -> Cursor | None:
    if not text:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        at, cid = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise _bad("cursor: not one this API gave") from None
    if not isinstance(at, int | float) or not isinstance(cid, str) or len(cid) > 100:
        raise _bad("cursor: not one this API gave")
    return Cursor(float(at), cid)


def status_group(stored: str) -> str:
    return _GROUP_OF.get(stored, stored)


def card_view(card: ConversationCard) -> dict[str, Any]:
    return {
        "id": card.id,
        "status": status_group(card.status),
        "stored_status": card.status,
        "language": card.language,
        "customer": {"id": card.customer_id, "name": card.customer_name},
        "started_at": card.created_at,
        "updated_at": card.updated_at,
        "last_message": None
        if card.last_text is None
        else {"text": card.last_text, "sender": card.last_sender},
        "team": card.team,
        "agent": card.agent_id,
        "csat": card.csat_rating,
    }


def page_view(page: ConversationPage) -> dict[str, Any]:
    return {
        "conversations": [card_view(card) for card in page.cards],
        "next_cursor": encode_cursor(page.next) if page.next is not None else None,
        "bounded": page.bounded,
        # how many of the newest conversations a 1-2 letter word searched, when one did
        "bounded_to": SHORT_TERM_SCOPE if page.bounded else None,
    }


class ConversationView:
    """Lists and transcripts for the console, with the same rule for both: supervisors
    read everything, agents their teams' and their own conversations."""

    def __init__(self, store: ViewStore, sla: SlaStates) -> None:
        self._store = store
        self._sla = sla

    async def page(self, request: ViewRequest) -> ConversationPage:
        where = request.where
        if request.sla:
            # due times depend on business hours and pauses: worked out here, not in SQL,
            # then listed with the other filters (and the viewer's visibility) in the query
            among = await self._sla.conversations_in_sla_state(request.sla)
            where = replace(where, among=among)
        return await self._store.find_conversations(where, request.after, request.limit)

    async def transcript(self, conversation_id: str, viewer: Agent) -> dict[str, Any]:
        """The conversation read-only, with its notes and tickets (closed ones too)."""
        found = await self._store.conversation(conversation_id)
        if found is None:
            raise ViewError("not_found", "no such conversation")
        who = visibility(viewer)
        if who is not None and not await self._store.conversation_visible(found.id, who):
            raise ViewError("forbidden", "this conversation is not one of your teams'")
        messages = await self._messages(found.id)
        notes = await self._store.notes(found.id)
        tickets = await self._store.tickets(found.id)
        return transcript_view(found, messages, notes, tickets)

    async def _messages(self, conversation_id: str) -> list[Message]:
        found: list[Message] = []
        while len(found) < MAX_TRANSCRIPT:
            after = found[-1].seq if found else 0
            batch = await self._store.messages_after(conversation_id, after, 500)
            found.extend(batch)
            if len(batch) < 500:
                break
        return found[:MAX_TRANSCRIPT]


def transcript_view(
    conversation: Conversation, messages: list[Message], notes: list[Note], tickets: list[Ticket]
) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "status": status_group(conversation.status),
        "stored_status": conversation.status,
        "language": conversation.language,
        "customer": {"id": conversation.customer_id, "name": conversation.customer_name},
        "started_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "messages": [_message_view(m) for m in messages],
        "notes": [
            {"agent": n.agent_id, "name": n.name, "text": n.text, "at": n.created_at} for n in notes
        ],
        "tickets": [_ticket_view(t) for t in tickets],
    }


def _message_view(message: Message) -> dict[str, Any]:
    body = message.body
    view = {"seq": message.seq, "sender": message.sender, "at": message.created_at}
    view.update({k: body[k] for k in MESSAGE_FIELDS if k in body})
    return view


def _ticket_view(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id, "status": ticket.status, "team": ticket.team,
        "priority": ticket.priority, "tags": list(ticket.tags), "agent": ticket.assignee,
        "opened_at": ticket.created_at, "solved_at": ticket.solved_at,
        "csat": ticket.csat_rating, "csat_comment": ticket.csat_comment,
    }  # fmt: skip
