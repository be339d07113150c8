"""The storage contract every backend implements; values it returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Conversation:
    id: str
    token: str  # secret the widget keeps to resume this conversation
    status: str  # bot | queued | assigned | closed | offline
    language: str | None
    customer_id: str | None
    customer_name: str | None
    bot_state: Mapping[str, Any]  # helpline.turn.ConversationState as a dict
    last_seq: int
    created_at: float
    updated_at: float
    answered_seq: int = 0  # seq of the last customer message a committed turn handled


@dataclass(frozen=True)
class Message:
    conversation_id: str
    seq: int  # per-conversation, from 1, no gaps
    sender: str  # customer | bot | agent | system
    body: Mapping[str, Any]  # {"text":..., "buttons": [...], "kind":..., "intent":...}
    client_id: str | None
    created_at: float


@dataclass(frozen=True)
class Event:
    conversation_id: str
    kind: str  # conversation.started, bot.decision, status.changed, ticket.opened...
    data: Mapping[str, Any]
    created_at: float
    id: int = 0


@dataclass(frozen=True)
class Outgoing:
    """A message to append in the same transaction as a state change."""

    sender: str
    body: Mapping[str, Any]


@dataclass(frozen=True)
class Appended:
    message: Message
    duplicate: bool  # True: this client_id was stored before; message is the earlier one
    answered: bool = False  # a committed turn already handled it; False: answer it now
    # the conversation as it stands just after this call, read in the same transaction,
    # so the caller can answer without another round trip; None: read it yourself
    conversation: Conversation | None = None


@dataclass(frozen=True)
class TurnRecord:
    """Everything one bot turn changes, stored atomically."""

    conversation_id: str
    status: str
    bot_state: Mapping[str, Any]
    language: str | None
    messages: Sequence[Outgoing] = ()
    events: Sequence[tuple[str, Mapping[str, Any]]] = field(default_factory=tuple)
    # seq of the customer message this turn handled; moves the answered watermark
    answers_seq: int | None = None


class Store(Protocol):
    """Persistence for conversations, their messages and events.

    Every method raises helpline.errors.StoreError when the backend cannot do what was
    asked (closed store, unreachable database, unknown conversation for a write), never a
    driver's own exception. A write that returned is durable: the caller may acknowledge.

    Answering after a crash: a customer message is stored (and acknowledged) before the bot
    answers it, so a crash in between leaves a stored message with no reply. Each conversation
    keeps a watermark, `answered_seq`: the seq of the last customer message a committed turn
    has handled (`TurnRecord.answers_seq`). Customer messages above it are unanswered:
    `Appended.answered` is False for them (so a resend of such a message gets answered now),
    and `unanswered_customer_messages` lists them (so a reconnect can answer them). Because
    one conversation is processed by one worker at a time, in order, a watermark is enough.
    Every turn that handles a customer message passes `answers_seq`, even a silent one (while
    queued or assigned), or the message stays "unanswered".
    """

    async def open(self) -> None: ...
    async def close(self) -> None: ...

    async def create_conversation(
        self,
        *,
        token: str,
        language: str | None,
        customer_id: str | None = None,
        customer_name: str | None = None,
        now: float,
    ) -> Conversation: ...

    async def conversation(self, conversation_id: str) -> Conversation | None: ...
    async def conversation_by_token(self, token: str) -> Conversation | None: ...

    async def append_customer_message(
        self, conversation_id: str, client_id: str, body: Mapping[str, Any], now: float
    ) -> Appended:
        """Store a customer message once per client_id (a resend returns the original)."""
        ...

    async def commit_turn(self, record: TurnRecord, now: float) -> list[Message]:
        """Append the turn's messages and events and save the state, in one transaction.

        A change of status is recorded as a `status.changed` event ({"from", "to"}) unless
        the record's events already contain one.
        """
        ...

    async def unanswered_customer_messages(self, conversation_id: str) -> list[Message]:
        """Customer messages stored after the last one a committed turn handled, in order."""
        ...

    async def messages_after(
        self, conversation_id: str, seq: int, limit: int = 500
    ) -> list[Message]: ...

    async def events(self, conversation_id: str) -> list[Event]: ...
