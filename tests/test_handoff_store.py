"""The handoff store on a real SQLite file: tickets, queue rows, claims, events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backends import STORE_BACKENDS, open_backend
from helpline.store import SQLiteStore
from helpline.store.base import Conversation, Outgoing, TurnRecord
from helpline.store.handoff import Escalation, Note
from helpline.store.tickets import TicketChange

NOW = 1_000.0


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    # the contract tests run on every backend; SQLite's own take store="sqlite" only
    async with open_backend(request, tmp_path) as opened:
        yield opened  # type: ignore[misc]


async def queued(store: SQLiteStore, team: str = "billing") -> Conversation:
    conversation = await store.create_conversation(
        token=f"tok-{team}-{id(store)}", language="en", now=NOW
    )
    record = TurnRecord(
        conversation.id, "queued", {"status": "queued"}, "en",
        messages=[Outgoing("bot", {"text": "Handing you to a person.", "kind": "handoff"})],
    )  # fmt: skip
    await store.escalate(record, Escalation(team, "high", False, 0.2), NOW)
    return conversation


async def agent(store: SQLiteStore, email: str) -> str:
    made = await store.create_agent(
        email=email, name=email.split("@")[0], teams=("billing",), role="agent", capacity=2,
        password_hash="x", now=NOW,
    )  # fmt: skip
    return made.id


async def test_escalation_opens_a_ticket_and_queues_the_conversation(store: SQLiteStore) -> None:
    conversation = await queued(store)

    [row] = await store.handoffs()
    [ticket] = await store.tickets(conversation.id)
    kinds = [e.kind for e in await store.events(conversation.id)]
    assert (row.state, row.team, row.priority, row.ticket_id) == (
        "waiting",
        "billing",
        "high",
        ticket.id,
    )
    assert (ticket.status, ticket.created_at) == ("open", NOW)
    assert {"status.changed", "ticket.opened", "queue.entered"} <= set(kinds)


async def test_of_many_concurrent_claims_exactly_one_wins(store: SQLiteStore) -> None:
    conversation = await queued(store)
    agents = [await agent(store, f"a{n}@desk.test") for n in range(20)]

    claims = await asyncio.gather(
        *(store.claim(conversation.id, a, NOW + 1, any_state=True) for a in agents)
    )

    winners = [c for c in claims if c is not None]
    assert len(winners) == 1
    [row] = await store.handoffs()
    [ticket] = await store.tickets(conversation.id)
    assert row.agent_id == ticket.assignee == winners[0].handoff.agent_id
    assert [e.kind for e in await store.events(conversation.id)].count("ticket.assigned") == 1


async def test_an_offer_can_only_be_accepted_by_the_agent_it_was_made_to(
    store: SQLiteStore,
) -> None:
    conversation = await queued(store)
    first, second = await agent(store, "a@desk.test"), await agent(store, "b@desk.test")
    await store.offer(conversation.id, first, NOW)

    taken_by_other = await store.claim(conversation.id, second, NOW)
    taken = await store.claim(conversation.id, first, NOW)

    assert taken_by_other is None
    assert taken is not None and taken.previous_status == "queued"
    assert (await store.conversation(conversation.id)).status == "assigned"  # type: ignore[union-attr]


async def test_an_expired_offer_returns_to_waiting_and_remembers_who_passed(
    store: SQLiteStore,
) -> None:
    conversation = await queued(store)
    first = await agent(store, "a@desk.test")
    await store.offer(conversation.id, first, NOW)

    expired = await store.expire_offer(conversation.id, first, NOW + 30)

    [row] = await store.handoffs()
    assert expired is True
    assert (row.state, row.agent_id, row.passed) == ("waiting", None, (first,))


async def test_an_offer_made_for_the_old_team_is_refused_after_the_row_moved_team(
    store: SQLiteStore,
) -> None:
    # a node that read the row in billing's line, then a supervisor (or an SLA escalation)
    # moved it to account's: billing's agent must not get it
    conversation = await queued(store, "billing")
    billing_agent = await agent(store, "a@desk.test")
    [ticket] = await store.tickets(conversation.id)
    await store.change_ticket(ticket.id, TicketChange(team="account"), None, NOW + 1)

    stale = await store.offer(conversation.id, billing_agent, NOW + 2, "billing")
    fresh = await store.offer(conversation.id, billing_agent, NOW + 2, "account")

    assert stale is None
    assert fresh is not None and (fresh.state, fresh.team) == ("offered", "account")


async def test_a_note_is_stored_once_and_never_among_the_messages(store: SQLiteStore) -> None:
    conversation = await queued(store)
    note = Note(conversation.id, "n1", "a_1", "Ann", "VIP customer", NOW)

    await store.add_note(note)
    again = await store.add_note(note)

    assert again == (note, True)
    assert await store.notes(conversation.id) == [note]
    texts = [m.body.get("text") for m in await store.messages_after(conversation.id, 0)]
    assert "VIP customer" not in texts


async def test_one_queue_row_is_read_by_its_conversation(store: SQLiteStore) -> None:
    conversation = await queued(store)
    first = await agent(store, "a@desk.test")
    await store.offer(conversation.id, first, NOW)

    row = await store.handoff(conversation.id)
    missing = await store.handoff("no-such-conversation")

    assert row is not None and (row.state, row.agent_id, row.offered_at) == ("offered", first, NOW)
    assert missing is None


async def test_the_urgent_flag_is_set_on_row_and_ticket_with_an_event_and_cleared(
    store: SQLiteStore,
) -> None:
    conversation = await queued(store)
    supervisor = await agent(store, "sue@desk.test")

    marked = await store.mark_urgent(conversation.id, True, supervisor, NOW + 1)
    [ticket] = await store.tickets(conversation.id)
    cleared = await store.mark_urgent(conversation.id, False, supervisor, NOW + 2)
    [after] = await store.tickets(conversation.id)
    flags = [e.data for e in await store.events(conversation.id) if e.kind == "ticket.urgent"]

    assert marked is not None and marked.urgent and ticket.urgent
    assert cleared is not None and not cleared.urgent and not after.urgent
    assert flags == [{"urgent": True, "agent": supervisor}, {"urgent": False, "agent": supervisor}]


async def test_only_a_conversation_with_people_can_be_marked_urgent(store: SQLiteStore) -> None:
    supervisor = await agent(store, "sue@desk.test")
    bot_only = await store.create_conversation(token="tok-bot", language="en", now=NOW)

    assert await store.mark_urgent(bot_only.id, True, supervisor, NOW) is None
    assert await store.mark_urgent("c_missing", True, supervisor, NOW) is None


async def test_offers_sent_at_once_never_give_an_agent_more_than_their_capacity(
    store: SQLiteStore,
) -> None:
    # several nodes may offer different conversations to one agent in the same instant
    waiting = [await queued(store, team=f"team{n}") for n in range(6)]
    ann = await agent(store, "ann@desk.test")  # capacity 2

    offers = await asyncio.gather(*(store.offer(c.id, ann, NOW + 1) for c in waiting))

    assert sum(o is not None for o in offers) == 2
    assert sum(row.agent_id == ann for row in await store.handoffs()) == 2


async def test_a_seat_freed_by_an_expired_offer_can_be_offered_again(store: SQLiteStore) -> None:
    first, second, third = [await queued(store, team=f"team{n}") for n in range(3)]
    ann = await agent(store, "ann@desk.test")  # capacity 2
    assert await store.offer(first.id, ann, NOW) is not None
    assert await store.claim(second.id, ann, NOW) is not None  # accepted ones count too

    refused = await store.offer(third.id, ann, NOW)
    assert await store.expire_offer(first.id, ann, NOW + 30)
    offered = await store.offer(third.id, ann, NOW + 31)

    assert refused is None
    assert offered is not None and offered.agent_id == ann
