"""The unanswered inbox's part of the storage contract: flagged messages, resolutions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from helpline.errors import StoreError

# what an author did with a message: made it an example of an intent, or set it aside
RESOLUTIONS = ("added", "dismissed")
# why a message is in the inbox: the bot's decision on it, or a thumbs-down on its answer
FLAGS = ("fallback", "clarify", "thumbs_down")


@dataclass(frozen=True)
class Unanswered:
    """A customer message the bot could not answer well, as the stored turn recorded it."""

    conversation_id: str
    seq: int  # the customer message's
    text: str
    language: str
    flag: str  # fallback | clarify | thumbs_down (FLAGS)
    intent: str | None  # the matcher's top candidate then (for thumbs_down, the answer's)
    score: float
    created_at: float

    @property
    def key(self) -> tuple[str, int]:
        return (self.conversation_id, self.seq)


@dataclass(frozen=True)
class Closing:
    """A conversation a person closed: the `ticket.solved` event that says so."""

    conversation_id: str
    agent_id: str | None
    event_id: int
    closed_at: float


@runtime_checkable
class InboxStore(Protocol):
    """Flagged messages are read from the stored turns (`bot.decision` events and their
    customer messages); the inbox keeps only what authors did with them, so a message an
    author resolved never comes back, and nothing else about it is stored twice."""

    async def unanswered_messages(self, since: float, limit: int = 5000) -> list[Unanswered]:
        """The newest `limit` messages flagged at or after `since` that no author resolved,
        oldest first, each once (button presses left out: they are not wordings)."""
        ...

    async def resolve_messages(
        self,
        keys: Sequence[tuple[str, int]],
        *,
        action: str,
        intent: str | None,
        by: str,
        now: float,
    ) -> int:
        """Record what an author did with these (conversation id, seq) messages; how many
        were not resolved before (a message keeps its first resolution)."""
        ...

    async def closed_by_agents(self, since: float, limit: int = 200) -> list[Closing]:
        """The newest `limit` closings by agents at or after `since`, newest first."""
        ...


def check_resolution(action: str, intent: str | None) -> None:
    """Raise StoreError for a resolution that cannot be stored; before any write."""
    if action not in RESOLUTIONS:
        raise StoreError(f"resolution {action!r} is not one of {', '.join(RESOLUTIONS)}")
    if (action == "added") != bool(intent):
        raise StoreError("an added message names its intent; a dismissed one none")


def message_text(body: Mapping[str, Any]) -> str | None:
    """A customer message's wording; None for a button press or a rating."""
    if body.get("payload") or body.get("kind") == "feedback":
        return None
    text = body.get("text")
    return text.strip() or None if isinstance(text, str) else None


def inbox_store(store: object) -> InboxStore:
    """The given store as an InboxStore; StoreError when its backend keeps no inbox."""
    if not isinstance(store, InboxStore):
        raise StoreError(f"the {type(store).__name__} backend does not keep the inbox")
    return store


def resolution_rows(
    keys: Sequence[tuple[str, int]], action: str, intent: str | None, by: str, now: float
) -> list[tuple[str, int, str, str | None, str, float]]:
    """The inbox_resolutions rows of a resolution, each message once; StoreError for one
    that cannot be stored (checked before any write)."""
    check_resolution(action, intent)
    return [(cid, seq, action, intent, by, now) for cid, seq in dict.fromkeys(keys)]


def first_of_each(found: list[Unanswered]) -> list[Unanswered]:
    """Each message once, where it was first flagged (two thumbs-down on one answer point
    at the same question); oldest first."""
    seen: dict[tuple[str, int], Unanswered] = {}
    for message in sorted(found, key=lambda m: (m.created_at, m.conversation_id, m.seq)):
        seen.setdefault(message.key, message)
    return list(seen.values())
