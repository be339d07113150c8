"""A customer message stored in the same commit as its answer, where the backend can."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any, Protocol, runtime_checkable

from helpline.store.base import Appended


@runtime_checkable
class EarlyAppendStore(Protocol):
    """A backend whose writes share commits (SQLite's group commit): the message's row is
    handed over before it is committed, so the turn that answers it can join the same
    transaction: one commit, and the pages both touch written once, instead of two."""

    async def append_customer_message_early(
        self, conversation_id: str, client_id: str, body: Mapping[str, Any], now: float
    ) -> tuple[Appended, Awaitable[Appended]]:
        """Store.append_customer_message, answered before its commit: (what it will
        return, an awaitable that returns it once it is durable and raises StoreError if
        the commit failed). The message is NOT stored until the second returns: nothing
        may be acknowledged before. The awaitable must be awaited."""
        ...
