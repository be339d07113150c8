"""The visit part of the storage contract: what a customer's widget reports about them,
the page they are on and the newest message they have seen, one row per conversation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from helpline.errors import StoreError


@dataclass(frozen=True)
class Visit:
    page_url: str | None = None  # an http(s) URL the widget sent (page_url.py checked it)
    seen_seq: int = 0  # the newest message seq the customer's widget showed while visible


@runtime_checkable
class VisitStore(Protocol):
    """The seen seq only rises: a late report of an older message never lowers it, on
    every backend and across nodes (one conditional write decides)."""

    async def set_page(self, conversation_id: str, page_url: str, now: float) -> None:
        """The page the customer is on now (the latest hello's)."""
        ...

    async def mark_seen(self, conversation_id: str, seq: int, now: float) -> int:
        """Raise the seen seq to `seq` (capped at the conversation's last seq); returns the
        seen seq as stored afterwards."""
        ...

    async def visit(self, conversation_id: str) -> Visit:
        """What is known; a conversation no widget reported on has Visit()."""
        ...


def visit_store(store: object) -> VisitStore:
    if not isinstance(store, VisitStore):
        raise StoreError(f"{type(store).__name__} does not keep customers' visits")
    return store
