"""The customer directory part of the storage contract: customers as last seen, their
attributes, the list agents page through, and agents' notes about a customer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from helpline.errors import StoreError
from helpline.store.search import Visibility

MAX_CUSTOMER_PAGE = 100


@dataclass(frozen=True)
class Customer:
    id: str
    name: str | None
    email: str | None
    attributes: dict[str, Any] = field(default_factory=dict)
    first_seen_at: float = 0.0
    last_seen_at: float = 0.0
    conversations: int = 0
    average_csat: float | None = None  # over the tickets of theirs that were rated


@dataclass(frozen=True)
class CustomerCursor:
    """Where a page of customers (most recently seen first) stops."""

    last_seen_at: float
    id: str


@dataclass(frozen=True)
class CustomerPage:
    customers: tuple[Customer, ...]
    next: CustomerCursor | None


@dataclass(frozen=True)
class CustomerNote:
    id: int
    customer_id: str
    agent_id: str
    name: str
    text: str
    created_at: float


@runtime_checkable
class CustomerDirectoryStore(Protocol):
    """Customers are the verified identities: a row is written only from a signed hello
    (or, at migration, from conversations that had one), so nothing a browser claims
    unsigned reaches it. An agent sees a customer when one of the customer's conversations
    is visible to them (search.Visibility); a supervisor (no Visibility) every customer."""

    async def remember_customer(
        self,
        customer_id: str,
        *,
        name: str | None,
        email: str | None,
        attributes: Mapping[str, Any],
        now: float,
    ) -> None:
        """Keep the identity as the host site last signed it, seen now."""
        ...

    async def find_customers(
        self,
        query: str | None,
        after: CustomerCursor | None,
        limit: int,
        visible_to: Visibility | None,
    ) -> CustomerPage:
        """Customers whose id, name or email contains query (case-blind), most recently
        seen first, at most limit, after the cursor."""
        ...

    async def customer(self, customer_id: str) -> Customer | None: ...

    async def customer_visible(self, customer_id: str, who: Visibility) -> bool: ...

    async def add_customer_note(
        self, customer_id: str, *, agent_id: str, name: str, text: str, now: float
    ) -> CustomerNote:
        """StoreError when there is no such customer."""
        ...

    async def customer_notes(self, customer_id: str) -> list[CustomerNote]:
        """Oldest first."""
        ...


def customer_directory(store: object) -> CustomerDirectoryStore:
    """The given store as a CustomerDirectoryStore; StoreError when its backend has none."""
    if not isinstance(store, CustomerDirectoryStore):
        raise StoreError(f"the {type(store).__name__} backend keeps no customer directory")
    return store
