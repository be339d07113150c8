"""The conversations view's part of the storage contract: filters, full-text search, pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from helpline.errors import StoreError

# A term of at least this many characters is looked up in the trigram index (SQLite's FTS5
# trigram tokenizer, PostgreSQL's pg_trgm): neither can use its index for fewer, and
# Korean words are often two syllables ("환불", "결제"). Shorter terms are matched as
# substrings over the SHORT_TERM_SCOPE newest conversations only, so a two-letter query
# costs a bounded scan however large the database grows; the answer says so (`bounded`).
# A short term found nowhere scans them all: 211 ms for 20,000 on SQLite (bench/search.py,
# 2 shared cores), about 10 us a conversation; 5,000 keeps it near 50 ms.
TRIGRAM_CHARS = 3
SHORT_TERM_SCOPE = 5_000
MAX_PAGE = 100


@dataclass(frozen=True)
class Visibility:
    """Whose conversations an agent may read: those of a ticket of one of their teams, and
    those they were assigned. A supervisor reads everything (no Visibility)."""

    agent_id: str
    teams: tuple[str, ...]


@dataclass(frozen=True)
class ConversationFilter:
    """Which conversations to list; every field given narrows the list (AND)."""

    statuses: tuple[str, ...] = ()  # stored statuses: bot | queued | offline | assigned | closed
    team: str | None = None  # a ticket of the conversation is (or was transferred to) this team
    agent: str | None = None  # a ticket of the conversation was assigned to this agent id
    intent: str | None = None  # the bot answered, clarified or handed over this intent
    language: str | None = None
    csat: tuple[int, ...] = ()  # a ticket was rated one of these (1-5)
    tag: str | None = None  # a ticket of the conversation carries this tag (exactly)
    ticket_statuses: tuple[str, ...] = ()  # a ticket is in one of these: open | pending | solved
    # one of these conversations (None: any); the SLA filter's, whose timers are worked out
    # from events and business hours outside SQL
    among: tuple[str, ...] | None = None
    since: float | None = None  # started at or after
    until: float | None = None  # started before
    terms: tuple[str, ...] = ()  # each found in its messages, notes, tags or customer
    visible_to: Visibility | None = None  # None: everything
    short_scope: int = SHORT_TERM_SCOPE  # newest conversations a short term searches


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the last card's start and id. Pages run newest first by start,
    which never changes, so conversations started meanwhile never shift a later page."""

    created_at: float
    id: str


@dataclass(frozen=True)
class ConversationCard:
    """One conversation as the list shows it."""

    id: str
    status: str
    language: str | None
    customer_id: str | None
    customer_name: str | None
    created_at: float
    updated_at: float
    last_text: str | None  # the latest customer, bot or agent message
    last_sender: str | None
    team: str | None  # of its latest ticket
    agent_id: str | None
    csat_rating: int | None


@dataclass(frozen=True)
class ConversationPage:
    cards: tuple[ConversationCard, ...]
    next: Cursor | None  # None: this was the last page
    bounded: bool  # a short term limited the search to the newest SHORT_TERM_SCOPE


@runtime_checkable
class SearchStore(Protocol):
    """Search documents (message texts, notes, ticket tags, customer name and id) are kept
    by the database itself (triggers), in the transaction of the write they come from, so
    a conversation is findable as soon as the write returns, whichever code wrote it."""

    async def find_conversations(
        self, where: ConversationFilter, after: Cursor | None = None, limit: int = 25
    ) -> ConversationPage:
        """A page of the conversations `where` selects, newest first. A term matches as a
        case-insensitive substring (Korean and ASCII alike on both backends; other cased
        scripts as each database folds them); terms of fewer than TRIGRAM_CHARS characters
        search the newest SHORT_TERM_SCOPE conversations only."""
        ...

    async def conversation_visible(self, conversation_id: str, who: Visibility) -> bool:
        """Whether `who` may read the conversation (see Visibility)."""
        ...


def search_store(store: object) -> SearchStore:
    """The given store as a SearchStore; StoreError when its backend does not search."""
    if not isinstance(store, SearchStore):
        raise StoreError(f"the {type(store).__name__} backend does not search conversations")
    return store


def is_short(term: str) -> bool:
    return len(term) < TRIGRAM_CHARS


def like_pattern(term: str) -> str:
    """A LIKE pattern finding `term` anywhere, its wildcards taken literally (escape \\)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
