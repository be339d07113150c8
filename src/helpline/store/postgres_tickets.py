"""The TicketStore operations on PostgreSQL: coroutines on a connection."""

# Like postgres_handoff: the connection, then the TicketStore method's own arguments. A
# change takes the ticket's row lock first (FOR UPDATE), so two supervisors' changes, or
# two nodes raising one breach, are applied one after the other, never interleaved.

from __future__ import annotations

import json
from collections.abc import Sequence

import asyncpg  # type: ignore[import-untyped]

from helpline.store.handoff import Escalation, Ticket
from helpline.store.postgres_sql import add_event
from helpline.store.rows import EVENT_COLUMNS, TICKET_COLUMNS, dump, to_event, to_ticket
from helpline.store.tickets import (
    SLA_KINDS,
    TicketChange,
    TicketRecord,
    is_breach,
    plan_change,
    records,
    reopen_data,
)

REQUEUE = (
    "UPDATE handoffs SET team = $1, state = 'waiting', agent_id = NULL, offered_at = NULL,"
    " passed = '[]' WHERE ticket_id = $2 AND state IN ('waiting', 'offered')"
)


async def _records(conn: asyncpg.Connection, tickets: list[Ticket]) -> list[TicketRecord]:
    """The tickets with their SLA events: one read for all of them."""
    if not tickets:
        return []
    rows = await conn.fetch(
        f"SELECT id, {EVENT_COLUMNS} FROM events WHERE conversation_id = ANY($1::text[])"
        " AND kind = ANY($2::text[]) ORDER BY id",
        sorted({t.conversation_id for t in tickets}),
        list(SLA_KINDS),
    )
    return records(tickets, map(to_event, rows))


async def _one(conn: asyncpg.Connection, ticket_id: str, lock: bool = False) -> Ticket | None:
    locking = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1{locking}", ticket_id
    )
    return to_ticket(row) if row else None


async def ticket(conn: asyncpg.Connection, ticket_id: str) -> TicketRecord | None:
    found = await _one(conn, ticket_id)
    return (await _records(conn, [found]))[0] if found else None


async def ticket_list(
    conn: asyncpg.Connection, statuses: Sequence[str], teams: Sequence[str] | None, limit: int
) -> list[TicketRecord]:
    rows = await conn.fetch(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE status = ANY($1::text[])"
        " AND ($2::text[] IS NULL OR team = ANY($2::text[]))"
        " ORDER BY created_at, id LIMIT $3",
        list(statuses),
        None if teams is None else list(teams),
        limit,
    )
    return await _records(conn, [to_ticket(r) for r in rows])


async def change_ticket(
    conn: asyncpg.Connection, ticket_id: str, change: TicketChange, agent_id: str | None,
    now: float,
) -> Ticket | None:  # fmt: skip
    old = await _one(conn, ticket_id, lock=True)
    if old is None:
        return None
    plan = plan_change(old, change, agent_id, now)
    if plan.ticket:
        columns = {k: dump(v) if k == "tags" else v for k, v in plan.ticket.items()}
        # names from plan_change only, never from the request
        sets = ", ".join(f"{name} = ${n}" for n, name in enumerate(columns, start=2))
        await conn.execute(f"UPDATE tickets SET {sets} WHERE id = $1", ticket_id, *columns.values())
    if plan.queue_priority is not None:
        await conn.execute(
            "UPDATE handoffs SET priority = $1 WHERE ticket_id = $2", plan.queue_priority, ticket_id
        )
    if plan.queue_team is not None:
        await conn.execute(REQUEUE, plan.queue_team, ticket_id)
    for kind, data in plan.events:
        await add_event(conn, old.conversation_id, kind, data, now)
    return await _one(conn, ticket_id)


async def add_breach(
    conn: asyncpg.Connection, ticket_id: str, target: str, started_at: float, now: float
) -> bool:
    found = await _one(conn, ticket_id, lock=True)
    if found is None:
        return False
    earlier = await conn.fetch(
        "SELECT data FROM events WHERE conversation_id = $1 AND kind = 'sla.breached'",
        found.conversation_id,
    )
    if any(is_breach(json.loads(row[0]), ticket_id, target, started_at) for row in earlier):
        return False
    data = {"ticket": ticket_id, "target": target, "started_at": started_at, "team": found.team}
    await add_event(conn, found.conversation_id, "sla.breached", data, now)
    return True


async def reopen_solved(
    conn: asyncpg.Connection, conversation_id: str, escalation: Escalation, now: float
) -> Ticket | None:
    """As sqlite_tickets.reopen_solved; the ticket's row lock is taken first."""
    esc = escalation
    if esc.reopen_after is None:
        return None
    ticket_id = await conn.fetchval(
        "SELECT id FROM tickets WHERE conversation_id = $1 ORDER BY created_at DESC, id LIMIT 1",
        conversation_id,
    )
    last = await _one(conn, ticket_id, lock=True) if ticket_id else None
    if last is None or last.status != "solved" or (last.solved_at or 0) < esc.reopen_after:
        return None
    await conn.execute(
        "UPDATE tickets SET status = 'open', solved_at = NULL, team = $1, priority = $2,"
        " urgent = $3 WHERE id = $4",
        esc.team, esc.priority, esc.urgent, last.id,
    )  # fmt: skip
    await conn.execute(
        "INSERT INTO handoffs (conversation_id, ticket_id, state, team, priority, urgent,"
        " frustration, enqueued_at) VALUES ($1, $2, 'waiting', $3, $4, $5, $6, $7)",
        conversation_id, last.id, esc.team, esc.priority, esc.urgent, esc.frustration, now,
    )  # fmt: skip
    await add_event(conn, conversation_id, "ticket.reopened", reopen_data(last, esc), now)
    data = {"team": esc.team, "frustration": esc.frustration}
    await add_event(conn, conversation_id, "queue.entered", data, now)
    return await _one(conn, last.id)
