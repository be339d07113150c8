"""The reports part of the storage contract: the events the desk's figures are made of."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from helpline.errors import StoreError
from helpline.store.base import Event

# The kinds a report reads; the others (offer.made, note.added, ...) stay in
# the database, so a week of traffic reads a fraction of its rows.
REPORT_KINDS = (
    "conversation.started",
    "bot.decision",
    "queue.entered",
    "ticket.opened",
    "ticket.assigned",
    "ticket.first_response",
    "ticket.solved",
    "csat.submitted",
    "sla.breached",
)
# The fields of their data reports read: the database takes them out of each event's JSON
# (a year of events is mostly JSON a report never looks at). `reasons` is a list, `rating`
# and `reply_to` numbers, the rest strings.
REPORT_FIELDS = (
    "decision", "intent", "reasons", "reply_to", "language", "ticket", "team", "agent",
    "rating", "target",
)  # fmt: skip


@runtime_checkable
class ReportStore(Protocol):
    """Reads for the desk's figures. A conversation belongs to the period it started in, so
    a report of a closed period never changes, however late its conversations go on."""

    async def report_events(self, since: float, until: float) -> list[Event]:
        """The REPORT_KINDS events of the conversations started in [since, until), written
        before `until`: grouped by conversation (in the order they started), and in the
        order written within each. Their data holds only the REPORT_FIELDS they have."""
        ...

    async def outbox_counts(self) -> Mapping[str, int]:
        """How many emails the outbox holds in each status (queued, sent, failed)."""
        ...


def report_store(store: object) -> ReportStore:
    """The given store as a ReportStore; StoreError when its backend reads no reports."""
    if not isinstance(store, ReportStore):
        raise StoreError(f"the {type(store).__name__} backend does not read reports")
    return store
