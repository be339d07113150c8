"""The outbox part of the storage contract: emails waiting to be sent, and their fate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from helpline.errors import StoreError

OUTBOX_STATUS = ("queued", "sent", "failed")

# How long an email taken by one sender (a node, or a worker of `serve --workers N`) stays
# out of every other sender's batches. Longer than a batch takes to send (each attempt is
# bounded by the SMTP timeout); if its sender dies holding it, the email is due again
# after this and is sent at least once.
CLAIM_LEASE_S = 900.0


@dataclass(frozen=True)
class OutboxEmail:
    id: int
    recipient: str
    subject: str
    body: str  # plain text
    conversation_id: str | None
    status: str  # queued | sent | failed (gave up)
    attempts: int  # how many times sending was tried
    next_attempt_at: float  # when a queued email is due
    last_error: str | None  # why the last attempt failed; kept after giving up
    created_at: float
    sent_at: float | None = None


@runtime_checkable
class OutboxStore(Protocol):
    """Emails live in the same store as the conversations, so a crash between a reply and
    its email loses neither; sending is at least once (a crash between the server's
    acceptance and mark_email_sent sends it again)."""

    async def enqueue_email(
        self,
        *,
        recipient: str,
        subject: str,
        body: str,
        conversation_id: str | None,
        now: float,
    ) -> OutboxEmail: ...

    async def due_emails(self, now: float, limit: int) -> list[OutboxEmail]:
        """Queued emails with next_attempt_at <= now, oldest due first, claimed for this
        caller: two nodes never get the same one."""
        ...

    async def next_email_due_at(self) -> float | None:
        """When the earliest queued email is due; None when nothing is queued."""
        ...

    async def mark_email_sent(self, email_id: int, now: float) -> None: ...

    async def mark_email_failed(
        self, email_id: int, error: str, retry_at: float | None, now: float
    ) -> OutboxEmail:
        """Count a failed attempt: queued again for retry_at, or failed for good when None."""
        ...

    async def outbox_email(self, email_id: int) -> OutboxEmail | None: ...


def outbox_store(store: object) -> OutboxStore:
    """The given store as an OutboxStore; StoreError when its backend keeps no outbox."""
    if not isinstance(store, OutboxStore):
        raise StoreError(f"the {type(store).__name__} backend does not keep an email outbox")
    return store
