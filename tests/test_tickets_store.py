"""The ticket store on both backends: listing with SLA events, supervisors' changes as
events, one breach event per timer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backends import STORE_BACKENDS, open_backend
from helpline.store import SQLiteStore
from helpline.store.base import Outgoing, TurnRecord
from helpline.store.handoff import Escalation, Ticket
from helpline.store.tickets import TicketChange

NOW = 1_000.0


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with open_backend(request, tmp_path) as opened:
        yield opened  # type: ignore[misc]


async def escalated(store: SQLiteStore, team: str = "billing", at: float = NOW) -> Ticket:
    conversation = await store.create_conversation(token=f"tok-{team}-{at}", language="en", now=at)
    record = TurnRecord(
        conversation.id, "queued", {"status": "queued"}, "en",
        messages=[Outgoing("bot", {"text": "Handing you to a person.", "kind": "handoff"})],
    )  # fmt: skip
    _, ticket = await store.escalate(record, Escalation(team, "normal", False, 0.0), at)
    return ticket


async def test_ticket_list_gives_unsolved_tickets_oldest_first_with_their_sla_events(
    store: SQLiteStore,
) -> None:
    first = await escalated(store, "billing", NOW)
    second = await escalated(store, "account", NOW + 5)
    listed = await store.ticket_list(("open", "pending"), None, 50)
    assert [r.ticket.id for r in listed] == [first.id, second.id]
    assert [e.kind for e in listed[0].events] == ["ticket.opened"]  # status.changed left out


async def test_ticket_list_keeps_to_the_teams_asked_for(store: SQLiteStore) -> None:
    await escalated(store, "billing", NOW)
    account = await escalated(store, "account", NOW + 5)
    listed = await store.ticket_list(("open",), ("account",), 50)
    assert [r.ticket.id for r in listed] == [account.id]


async def test_each_change_is_stored_with_an_event_naming_who_made_it(store: SQLiteStore) -> None:
    ticket = await escalated(store)
    change = TicketChange(status="pending", priority="urgent", tags=("refund",), assignee="a9")
    changed = await store.change_ticket(ticket.id, change, "sup1", NOW + 10)
    assert changed is not None
    assert (changed.status, changed.priority, changed.tags, changed.assignee) == (
        "pending", "urgent", ("refund",), "a9",
    )  # fmt: skip
    events = {e.kind: e.data for e in await store.events(ticket.conversation_id)}
    assert events["ticket.status"] == {
        "ticket": ticket.id,
        "from": "open",
        "to": "pending",
        "by": "sup1",
    }
    assert events["ticket.priority"]["to"] == "urgent"
    assert events["ticket.tags"]["to"] == ["refund"]
    assert events["ticket.assignee"]["to"] == "a9"
    [row] = await store.handoffs()
    assert row.priority == "urgent"  # the queue orders it by its new priority


async def test_a_change_to_what_the_ticket_already_is_writes_nothing(store: SQLiteStore) -> None:
    ticket = await escalated(store)
    before = await store.events(ticket.conversation_id)
    await store.change_ticket(ticket.id, TicketChange(status="open", priority="normal"), "s", NOW)
    assert await store.events(ticket.conversation_id) == before


async def test_solving_then_reopening_are_events_of_their_own(store: SQLiteStore) -> None:
    ticket = await escalated(store)
    solved = await store.change_ticket(ticket.id, TicketChange(status="solved"), "s", NOW + 1)
    assert solved is not None and solved.solved_at == NOW + 1
    reopened = await store.change_ticket(ticket.id, TicketChange(status="open"), "s", NOW + 2)
    assert reopened is not None and (reopened.status, reopened.solved_at) == ("open", None)
    kinds = [e.kind for e in await store.events(ticket.conversation_id)]
    assert kinds[-2:] == ["ticket.solved", "ticket.reopened"]


async def test_team_change_moves_a_waiting_conversation_to_that_teams_line(
    store: SQLiteStore,
) -> None:
    ticket = await escalated(store, "billing")
    await store.change_ticket(ticket.id, TicketChange(team="supervisors"), None, NOW + 1)
    [row] = await store.handoffs()
    assert (row.team, row.state) == ("supervisors", "waiting")


async def test_unknown_ticket_is_none(store: SQLiteStore) -> None:
    assert await store.change_ticket("t_nope", TicketChange(status="open"), "s", NOW) is None
    assert await store.ticket("t_nope") is None


async def test_a_breach_is_recorded_once_per_timer(store: SQLiteStore) -> None:
    ticket = await escalated(store)
    assert await store.add_breach(ticket.id, "first_response", NOW, NOW + 60)
    assert not await store.add_breach(ticket.id, "first_response", NOW, NOW + 90)
    assert await store.add_breach(ticket.id, "resolution", NOW, NOW + 90)
    record = await store.ticket(ticket.id)
    assert record is not None
    breaches = [e.data["target"] for e in record.events if e.kind == "sla.breached"]
    assert breaches == ["first_response", "resolution"]
