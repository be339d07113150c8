"""The customers part of the storage contract: emails on file and conversations by customer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from helpline.errors import StoreError
from helpline.store.base import Appended, Conversation


@runtime_checkable
class CustomerStore(Protocol):
    """A conversation's customer_id is set only from a verified identity; its email comes
    from that identity or from the customer's own email.submit, whichever came last."""

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
        """create_conversation for a verified customer, with the email on file, atomically."""
        ...

    async def submit_customer_email(
        self,
        conversation_id: str,
        *,
        client_id: str,
        email: str,
        confirmation: Mapping[str, Any],
        now: float,
    ) -> Appended:
        """Keep the address the customer gave, record a `customer.email` event ({email,
        source: "customer", client_id, seq}) and append the bot's confirmation, at once.

        Once per client_id: a resend changes nothing and returns the first confirmation
        with duplicate=True.
        """
        ...

    async def customer_email(self, conversation_id: str) -> str | None:
        """Where the conversation's customer wants email; None when nobody said."""
        ...

    async def customer_conversations(self, customer_id: str, limit: int = 20) -> list[Conversation]:
        """The customer's conversations, newest first (closed ones too)."""
        ...

    async def latest_open_conversation(self, customer_id: str) -> Conversation | None:
        """The customer's most recently active conversation that is not closed."""
        ...


def customer_store(store: object) -> CustomerStore:
    """The given store as a CustomerStore; StoreError when its backend keeps no customers."""
    if not isinstance(store, CustomerStore):
        raise StoreError(f"the {type(store).__name__} backend does not look up customers")
    return store
