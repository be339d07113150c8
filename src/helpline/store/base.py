"""The storage contract every backend implements; values it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, Sequence


@dataclass(frozen=True)
class Conversation:
    id: str
    token: str  # secret the widget keeps to resume this conversation
    status: str  # bot | queued | assigned | closed | offline
    language: str | None
    customer_id: str | None
    customer_name: str | None
    bot_state: Mapping[str, Any]  # dialogue.ConversationState as a dict
    last_seq: int
    created_at: float
    updated_at: float


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
    kind: str  # conversation.started, message.in, bot.decision, status.changed, feedback...
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


@dataclass(frozen=True)
class TurnRecord:
    """Everything one bot turn changes, stored atomically."""

    conversation_id: str
    status: str
    bot_state: Mapping[str, Any]
    language: str | None
    messages: Sequence[Outgoing] = ()
    events: Sequence[tuple[str, Mapping[str, Any]]] = field(default_factory=tuple)


class Store(Protocol):
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
        """Append the turn's messages and events and save the state, in one transaction."""
        ...

    async def messages_after(
        self, conversation_id: str, seq: int, limit: int = 500
    ) -> list[Message]: ...

    async def events(self, conversation_id: str) -> list[Event]: ...
