"""The Store contract's conversation methods, written once for every backend."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from helpline.store.base import Appended, Conversation, Event, Message, TurnRecord
from helpline.store.operation import OperationRunner, Result


class ConversationOps(Protocol):
    """What a backend's conversation module (sqlite_ops, postgres_ops) provides; each
    operation takes the backend's connection first."""

    def create_conversation(self, conn: Any, conv: Conversation, /) -> Result[Conversation]: ...
    def conversation(self, conn: Any, key: str, by: str, /) -> Result[Conversation | None]: ...

    def append_customer_message(
        self, conn: Any, conversation_id: str, client_id: str, body: Mapping[str, Any],
        now: float, /,
    ) -> Result[Appended]: ...  # fmt: skip

    def commit_turn(
        self, conn: Any, record: TurnRecord, now: float, /
    ) -> Result[list[Message]]: ...

    def messages_after(
        self, conn: Any, conversation_id: str, seq: int, limit: int, /
    ) -> Result[list[Message]]: ...

    def unanswered_customer_messages(
        self, conn: Any, conversation_id: str, /
    ) -> Result[list[Message]]: ...

    def events(self, conn: Any, conversation_id: str, /) -> Result[list[Event]]: ...


def new_conversation(
    *, token: str, language: str | None, customer_id: str | None, customer_name: str | None,
    now: float,
) -> Conversation:  # fmt: skip
    """A conversation not yet stored: the bot's, nothing said, with a fresh id."""
    return Conversation(
        id=f"c_{uuid.uuid4().hex}",
        token=token,
        status="bot",
        language=language,
        customer_id=customer_id,
        customer_name=customer_name,
        bot_state={},
        last_seq=0,
        created_at=now,
        updated_at=now,
    )


class ConversationMethods(OperationRunner):
    """Mixed into a store, which names its operations in `_conversation_ops`."""

    _conversation_ops: ClassVar[ConversationOps]

    async def create_conversation(
        self,
        *,
        token: str,
        language: str | None,
        customer_id: str | None = None,
        customer_name: str | None = None,
        now: float,
    ) -> Conversation:
        conv = new_conversation(
            token=token, language=language, customer_id=customer_id,
            customer_name=customer_name, now=now,
        )  # fmt: skip
        return await self._run(self._conversation_ops.create_conversation, conv)

    async def conversation(self, conversation_id: str) -> Conversation | None:
        return await self._run(self._conversation_ops.conversation, conversation_id, "id")

    async def conversation_by_token(self, token: str) -> Conversation | None:
        return await self._run(self._conversation_ops.conversation, token, "token")

    async def append_customer_message(
        self, conversation_id: str, client_id: str, body: Mapping[str, Any], now: float
    ) -> Appended:
        ops = self._conversation_ops
        return await self._run(ops.append_customer_message, conversation_id, client_id, body, now)

    async def commit_turn(self, record: TurnRecord, now: float) -> list[Message]:
        return await self._run(self._conversation_ops.commit_turn, record, now)

    async def messages_after(
        self, conversation_id: str, seq: int, limit: int = 500
    ) -> list[Message]:
        return await self._run(self._conversation_ops.messages_after, conversation_id, seq, limit)

    async def unanswered_customer_messages(self, conversation_id: str) -> list[Message]:
        ops = self._conversation_ops
        return await self._run(ops.unanswered_customer_messages, conversation_id)

    async def events(self, conversation_id: str) -> list[Event]:
        return await self._run(self._conversation_ops.events, conversation_id)
