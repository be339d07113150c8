"""The OutboxStore and CustomerStore methods, written once for every backend."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from helpline.store.base import Appended, Conversation
from helpline.store.conversation_methods import new_conversation
from helpline.store.operation import OperationRunner, Result
from helpline.store.outbox import OutboxEmail


class MailOps(Protocol):
    """What a backend's mail module (sqlite_mail, postgres_mail) provides; each operation
    takes the backend's connection first."""

    def insert_email(
        self, conn: Any, recipient: str, subject: str, body: str, conversation_id: str | None,
        now: float, /,
    ) -> Result[OutboxEmail]: ...  # fmt: skip

    def claim_due(self, conn: Any, now: float, limit: int, /) -> Result[list[OutboxEmail]]: ...
    def select_next_due(self, conn: Any, /) -> Result[float | None]: ...
    def select_email(self, conn: Any, email_id: int, /) -> Result[OutboxEmail | None]: ...
    def update_sent(self, conn: Any, email_id: int, now: float, /) -> Result[None]: ...

    def update_failed(
        self, conn: Any, email_id: int, error: str, retry_at: float | None, now: float, /
    ) -> Result[OutboxEmail]: ...

    def insert_identified(
        self, conn: Any, conv: Conversation, email: str | None, /
    ) -> Result[None]: ...

    def submit_email(
        self, conn: Any, conversation_id: str, client_id: str, email: str,
        confirmation: Mapping[str, Any], now: float, /,
    ) -> Result[Appended]: ...  # fmt: skip

    def select_customer_email(self, conn: Any, conversation_id: str, /) -> Result[str | None]: ...

    def select_by_customer(
        self, conn: Any, customer_id: str, limit: int, /
    ) -> Result[list[Conversation]]: ...

    def select_latest_open(self, conn: Any, customer_id: str, /) -> Result[Conversation | None]: ...


class MailMethods(OperationRunner):
    """Mixed into a store, which names its operations in `_mail_ops`."""

    _mail_ops: ClassVar[MailOps]

    async def enqueue_email(
        self, *, recipient: str, subject: str, body: str, conversation_id: str | None, now: float
    ) -> OutboxEmail:
        ops = self._mail_ops
        return await self._run(ops.insert_email, recipient, subject, body, conversation_id, now)

    async def due_emails(self, now: float, limit: int) -> list[OutboxEmail]:
        """Due emails, claimed for this caller: two nodes never get the same one."""
        return await self._run(self._mail_ops.claim_due, now, limit)

    async def next_email_due_at(self) -> float | None:
        return await self._run(self._mail_ops.select_next_due)

    async def mark_email_sent(self, email_id: int, now: float) -> None:
        await self._run(self._mail_ops.update_sent, email_id, now)

    async def mark_email_failed(
        self, email_id: int, error: str, retry_at: float | None, now: float
    ) -> OutboxEmail:
        return await self._run(self._mail_ops.update_failed, email_id, error, retry_at, now)

    async def outbox_email(self, email_id: int) -> OutboxEmail | None:
        return await self._run(self._mail_ops.select_email, email_id)

    async def create_identified_conversation(
        self,
        *,
        token: str,
        language: str | None,
        customer_id: str,
        customer_name: str | None,
        customer_email: str | None,
        now: float,
    ) -> Conversation:
        conv = new_conversation(
            token=token, language=language, customer_id=customer_id,
            customer_name=customer_name, now=now,
        )  # fmt: skip
        await self._run(self._mail_ops.insert_identified, conv, customer_email)
        return conv

    async def submit_customer_email(
        self,
        conversation_id: str,
        *,
        client_id: str,
        email: str,
        confirmation: Mapping[str, Any],
        now: float,
    ) -> Appended:
        ops = self._mail_ops
        return await self._run(
            ops.submit_email, conversation_id, client_id, email, confirmation, now
        )

    async def customer_email(self, conversation_id: str) -> str | None:
        return await self._run(self._mail_ops.select_customer_email, conversation_id)

    async def customer_conversations(self, customer_id: str, limit: int = 20) -> list[Conversation]:
        return await self._run(self._mail_ops.select_by_customer, customer_id, limit)

    async def latest_open_conversation(self, customer_id: str) -> Conversation | None:
        return await self._run(self._mail_ops.select_latest_open, customer_id)
