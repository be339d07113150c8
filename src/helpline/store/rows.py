"""What every backend shares: the tables' column lists, values made from rows, JSON text."""

# Both backends have the same tables and columns (store/migrations.py, postgres_migrations.py)
# and select these lists in this order, so one decoder per table reads a sqlite3 row (a
# tuple) and an asyncpg Record (indexable by position) alike. What differs between the
# backends, the placeholders and how a statement runs, is in sqlite_sql and postgres_sql.

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from helpline.errors import StoreError
from helpline.store.agents import Agent, check_agent
from helpline.store.base import Conversation, Event, Message
from helpline.store.handoff import Handoff, Note, Ticket
from helpline.store.outbox import OutboxEmail

CONVERSATION_COLUMNS = (
    "id, token, status, language, customer_id, customer_name, bot_state, last_seq,"
    " created_at, updated_at, answered_seq"
)
MESSAGE_COLUMNS = "conversation_id, seq, sender, body, client_id, created_at"
EVENT_COLUMNS = "conversation_id, kind, data, created_at"
AGENT_COLUMNS = "id, email, name, teams, role, capacity, created_at"
TICKET_COLUMNS = (
    "id, conversation_id, status, team, priority, urgent, tags, assignee, email, created_at,"
    " assigned_at, first_response_at, solved_at, csat_rating, csat_comment"
)
HANDOFF_COLUMNS = (
    "conversation_id, ticket_id, state, team, priority, urgent, frustration, enqueued_at,"
    " agent_id, offered_at, passed"
)
OUTBOX_COLUMNS = (
    "id, recipient, subject, body, conversation_id, status, attempts, next_attempt_at,"
    " last_error, created_at, sent_at"
)

Row = Sequence[Any]

# One encoder for every value: json.dumps with options builds a new JSONEncoder per call,
# about as costly as encoding the small values stored here. Same text as json.dumps.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _c_encoder() -> Callable[[Any, int], Sequence[str]] | None:
    """The json module's C encoder, made once with _ENCODER's options: JSONEncoder.encode
    makes a new one on every call (with its iterencode and its closure), which was a third
    of encoding a customer message's body and a quarter of a bot reply's. No circular
    check (markers=None): the values stored here are trees, and a marker dict shared
    between calls could keep an entry after a failed one."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    encoder: Callable[[Any, int], Sequence[str]] = make(
        None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",",
        False, False, True,
    )  # fmt: skip
    return encoder


_C_ENCODE = _c_encoder()


def dump(value: Any) -> str:
    """A value as the JSON text stored in a TEXT column."""
    if _C_ENCODE is None:
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


def qualified(columns: str, table: str) -> str:
    """A column list with each name prefixed by a table's alias, for joins."""
    return ", ".join(f"{table}.{name}" for name in columns.split(", "))


def unknown(conversation_id: str) -> StoreError:
    return StoreError(f"no conversation {conversation_id!r}")


def to_conversation(row: Row) -> Conversation:
    return Conversation(
        id=row[0], token=row[1], status=row[2], language=row[3], customer_id=row[4],
        customer_name=row[5], bot_state=json.loads(row[6]), last_seq=row[7],
        created_at=row[8], updated_at=row[9], answered_seq=row[10],
    )  # fmt: skip


def to_message(row: Row) -> Message:
    return Message(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5])


def to_event(row: Row) -> Event:
    """A row of `id, EVENT_COLUMNS`."""
    return Event(row[1], row[2], json.loads(row[3]), row[4], id=row[0])


def to_agent(row: Row) -> Agent:
    teams = tuple(json.loads(row[3]))
    return Agent(row[0], row[1], row[2], teams, row[4], row[5], row[6])


def to_ticket(row: Row) -> Ticket:
    return Ticket(
        id=row[0], conversation_id=row[1], status=row[2], team=row[3], priority=row[4],
        urgent=bool(row[5]), tags=tuple(json.loads(row[6])), assignee=row[7], email=row[8],
        created_at=row[9], assigned_at=row[10], first_response_at=row[11], solved_at=row[12],
        csat_rating=row[13], csat_comment=row[14],
    )  # fmt: skip


def to_handoff(row: Row) -> Handoff:
    return Handoff(
        conversation_id=row[0], ticket_id=row[1], state=row[2], team=row[3], priority=row[4],
        urgent=bool(row[5]), frustration=row[6], enqueued_at=row[7], agent_id=row[8],
        offered_at=row[9], passed=tuple(json.loads(row[10])),
    )  # fmt: skip


def to_email(row: Row) -> OutboxEmail:
    # float(): SQLite's RETURNING gives values before the REAL affinity applies (2.0 as 2)
    return OutboxEmail(
        id=row[0], recipient=row[1], subject=row[2], body=row[3], conversation_id=row[4],
        status=row[5], attempts=row[6], next_attempt_at=float(row[7]), last_error=row[8],
        created_at=float(row[9]), sent_at=float(row[10]) if row[10] is not None else None,
    )  # fmt: skip


def to_note(conversation_id: str, data: str, created_at: float) -> Note:
    """A note from its `note.added` event (notes are kept as events only)."""
    d = json.loads(data)
    return Note(conversation_id, d["id"], d["agent"], d["name"], d["text"], created_at)


def new_conversation(
    *, token: str, language: str | None, customer_id: str | None, customer_name: str | None,
    now: float,
) -> Conversation:  # fmt: skip
    """A conversation not yet stored: the bot's, nothing said, with a fresh id."""
    return Conversation(
        id=f"c_{uuid.uuid4().hex}", token=token, status="bot", language=language,
        customer_id=customer_id, customer_name=customer_name, bot_state={}, last_seq=0,
        created_at=now, updated_at=now,
    )  # fmt: skip


def new_agent(
    *, email: str, name: str, teams: tuple[str, ...], role: str, capacity: int, now: float
) -> Agent:
    """An agent account not yet stored, its fields trimmed and checked (StoreError)."""
    email, name, teams = email.strip(), name.strip(), tuple(t.strip() for t in teams)
    check_agent(email=email, name=name, teams=teams, role=role, capacity=capacity)
    return Agent(f"a_{uuid.uuid4().hex}", email, name, teams, role, capacity, now)
