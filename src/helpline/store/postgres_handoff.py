"""The HandoffStore operations on PostgreSQL: coroutines on a connection."""

# Like postgres_conversations: the connection, then the HandoffStore method's own arguments.
# State changes are conditional UPDATEs checked by their row count, never read-then-write:
# of two nodes claiming one conversation at once, the second UPDATE waits for the first's
# row lock, re-reads the row, no longer matches, and changes nothing.

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from helpline.store.base import Message, TurnRecord
from helpline.store.handoff import Claim, Escalation, Handoff, Note, Ticket
from helpline.store.postgres_conversations import commit_turn
from helpline.store.postgres_sql import add_event, add_message, changed_one, next_seq
from helpline.store.postgres_tickets import reopen_solved
from helpline.store.rows import (
    HANDOFF_COLUMNS,
    MESSAGE_COLUMNS,
    TICKET_COLUMNS,
    dump,
    qualified,
    to_handoff,
    to_message,
    to_note,
    to_ticket,
    unknown,
)

# an agent's offers and accepted conversations are fewer than their capacity ($1: agent id)
_HAS_A_FREE_SEAT = (
    "(SELECT COUNT(*) FROM handoffs WHERE agent_id = $1 AND state IN ('offered', 'assigned'))"
    " < (SELECT capacity FROM agents WHERE id = $1)"
)


async def _set_status(conn: asyncpg.Connection, cid: str, status: str, now: float) -> str:
    """Move the conversation's status, recording the change; returns the old status."""
    old = await conn.fetchval("SELECT status FROM conversations WHERE id = $1 FOR UPDATE", cid)
    if old is None:
        raise unknown(cid)
    if old != status:
        await conn.execute(
            "UPDATE conversations SET status = $1, updated_at = $2 WHERE id = $3", status, now, cid
        )
        await add_event(conn, cid, "status.changed", {"from": old, "to": status}, now)
    return str(old)


async def handoff(conn: asyncpg.Connection, conversation_id: str) -> Handoff | None:
    row = await conn.fetchrow(
        f"SELECT {HANDOFF_COLUMNS} FROM handoffs WHERE conversation_id = $1", conversation_id
    )
    return to_handoff(row) if row else None


async def escalate(
    conn: asyncpg.Connection, record: TurnRecord, escalation: Escalation, now: float
) -> tuple[list[Message], Ticket]:
    cid, esc = record.conversation_id, escalation
    messages = await commit_turn(conn, record, now)
    reopened = await reopen_solved(conn, cid, esc, now)
    if reopened is not None:
        return messages, reopened
    ticket = Ticket(
        f"t_{uuid.uuid4().hex}", cid, "open", esc.team, esc.priority, esc.urgent, (), None, None,
        now,
    )  # fmt: skip
    await conn.execute(
        "INSERT INTO tickets (id, conversation_id, status, team, priority, urgent, created_at)"
        " VALUES ($1, $2, 'open', $3, $4, $5, $6)",
        ticket.id, cid, esc.team, esc.priority, esc.urgent, now,
    )  # fmt: skip
    await conn.execute(
        "INSERT INTO handoffs (conversation_id, ticket_id, state, team, priority, urgent,"
        " frustration, enqueued_at) VALUES ($1, $2, 'waiting', $3, $4, $5, $6, $7)",
        cid, ticket.id, esc.team, esc.priority, esc.urgent, esc.frustration, now,
    )  # fmt: skip
    data = {"ticket": ticket.id, "team": esc.team, "priority": esc.priority, "urgent": esc.urgent}
    await add_event(conn, cid, "ticket.opened", data, now)
    data = {"team": esc.team, "frustration": esc.frustration}
    await add_event(conn, cid, "queue.entered", data, now)
    return messages, ticket


async def handoffs(conn: asyncpg.Connection) -> list[Handoff]:
    rows = await conn.fetch(f"SELECT {HANDOFF_COLUMNS} FROM handoffs ORDER BY enqueued_at")
    return [to_handoff(r) for r in rows]


async def offer(
    conn: asyncpg.Connection, conversation_id: str, agent_id: str, now: float,
    team: str | None = None,
) -> Handoff | None:  # fmt: skip
    # The agent's row lock makes offers to one agent take turns across nodes, so the seat
    # count below cannot be read by two of them before either has written.
    await conn.execute("SELECT 1 FROM agents WHERE id = $1 FOR UPDATE", agent_id)
    row = await conn.fetchrow(
        "UPDATE handoffs SET state = 'offered', agent_id = $1, offered_at = $2"
        " WHERE conversation_id = $3 AND state = 'waiting' AND ($4::text IS NULL OR team = $4)"
        f" AND {_HAS_A_FREE_SEAT} RETURNING {HANDOFF_COLUMNS}",
        agent_id, now, conversation_id, team,
    )  # fmt: skip
    if row is None:
        return None
    await add_event(conn, conversation_id, "offer.made", {"agent": agent_id}, now)
    return to_handoff(row)


async def expire_offer(
    conn: asyncpg.Connection, conversation_id: str, agent_id: str, now: float
) -> bool:
    status = await conn.execute(
        "UPDATE handoffs SET state = 'waiting', agent_id = NULL, offered_at = NULL,"
        " passed = (passed::jsonb || to_jsonb($2::text))::text"
        " WHERE conversation_id = $1 AND state = 'offered' AND agent_id = $2",
        conversation_id, agent_id,
    )  # fmt: skip
    if not changed_one(status):
        return False
    await add_event(conn, conversation_id, "offer.expired", {"agent": agent_id}, now)
    return True


async def mark_urgent(
    conn: asyncpg.Connection, conversation_id: str, urgent: bool, agent_id: str, now: float
) -> Handoff | None:
    status = await conn.execute(
        "UPDATE handoffs SET urgent = $2 WHERE conversation_id = $1", conversation_id, urgent
    )
    if not changed_one(status):
        return None
    await conn.execute(
        "UPDATE tickets SET urgent = $2 WHERE id = (SELECT ticket_id FROM handoffs"
        " WHERE conversation_id = $1)",
        conversation_id, urgent,
    )  # fmt: skip
    data = {"urgent": urgent, "agent": agent_id}
    await add_event(conn, conversation_id, "ticket.urgent", data, now)
    return await handoff(conn, conversation_id)


async def claim(
    conn: asyncpg.Connection,
    conversation_id: str,
    agent_id: str,
    now: float,
    *,
    any_state: bool = False,
) -> Claim | None:
    condition = (
        "state IN ('waiting', 'offered')"
        if any_state
        else "(state = 'waiting' OR (state = 'offered' AND agent_id = $1))"
    )
    row = await conn.fetchrow(
        "UPDATE handoffs SET state = 'assigned', agent_id = $1, offered_at = NULL"
        f" WHERE conversation_id = $2 AND {condition} RETURNING {HANDOFF_COLUMNS}",
        agent_id, conversation_id,
    )  # fmt: skip
    if row is None:
        return None
    found = to_handoff(row)
    await _assign_ticket(conn, found.ticket_id, agent_id, now)
    data = {"ticket": found.ticket_id, "agent": agent_id}
    await add_event(conn, conversation_id, "ticket.assigned", data, now)
    return Claim(found, await _set_status(conn, conversation_id, "assigned", now))


async def _assign_ticket(
    conn: asyncpg.Connection, ticket_id: str, agent_id: str, now: float
) -> None:
    await conn.execute(
        "UPDATE tickets SET assignee = $1, assigned_at = COALESCE(assigned_at, $2) WHERE id = $3",
        agent_id, now, ticket_id,
    )  # fmt: skip


async def transfer(
    conn: asyncpg.Connection, conversation_id: str, from_agent: str, now: float,
    *, to_agent: str | None = None, to_team: str | None = None, note: str | None = None,
) -> Handoff | None:  # fmt: skip
    if to_agent is not None:
        row = await conn.fetchrow(
            "UPDATE handoffs SET agent_id = $1 WHERE conversation_id = $2 AND state = 'assigned'"
            f" AND agent_id = $3 RETURNING {HANDOFF_COLUMNS}",
            to_agent, conversation_id, from_agent,
        )  # fmt: skip
    else:
        row = await conn.fetchrow(
            "UPDATE handoffs SET state = 'waiting', agent_id = NULL, team = $1, passed = '[]'"
            f" WHERE conversation_id = $2 AND state = 'assigned' AND agent_id = $3"
            f" RETURNING {HANDOFF_COLUMNS}",
            to_team, conversation_id, from_agent,
        )  # fmt: skip
    if row is None:
        return None
    found = to_handoff(row)
    if to_agent is not None:
        await _assign_ticket(conn, found.ticket_id, to_agent, now)
    else:
        await conn.execute(
            "UPDATE tickets SET assignee = NULL, team = $1 WHERE id = $2", to_team, found.ticket_id
        )
        await _set_status(conn, conversation_id, "queued", now)
    data = {
        "ticket": found.ticket_id,
        "from": from_agent,
        "to_agent": to_agent,
        "to_team": to_team,
        "note": note,
    }
    await add_event(conn, conversation_id, "ticket.transferred", data, now)
    return found


async def finish(
    conn: asyncpg.Connection, conversation_id: str, agent_id: str, record: TurnRecord, now: float,
    *, tags: Sequence[str] = (), reason: str,
) -> tuple[list[Message], Ticket] | None:  # fmt: skip
    ticket_id = await conn.fetchval(
        "DELETE FROM handoffs WHERE conversation_id = $1 AND state = 'assigned' AND agent_id = $2"
        " RETURNING ticket_id",
        conversation_id, agent_id,
    )  # fmt: skip
    if ticket_id is None:
        return None
    await conn.execute(
        "UPDATE tickets SET status = 'solved', solved_at = $1, tags = $2 WHERE id = $3",
        now, dump(list(tags)), ticket_id,
    )  # fmt: skip
    kind = "ticket.solved" if reason == "closed" else "ticket.released"
    data = {"ticket": ticket_id, "agent": agent_id, "tags": list(tags)}
    await add_event(conn, conversation_id, kind, data, now)
    messages = await commit_turn(conn, record, now)
    return messages, await _one_ticket(conn, ticket_id)


async def _one_ticket(conn: asyncpg.Connection, ticket_id: str) -> Ticket:
    return to_ticket(
        await conn.fetchrow(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1", ticket_id)
    )


async def append_agent_message(
    conn: asyncpg.Connection, conversation_id: str, agent_id: str, client_id: str,
    body: Mapping[str, Any], now: float,
) -> tuple[Message, bool] | None:  # fmt: skip
    # FOR SHARE: the assignment cannot move to another agent while this reply is stored
    row = await conn.fetchrow(
        "SELECT ticket_id FROM handoffs WHERE conversation_id = $1 AND state = 'assigned'"
        " AND agent_id = $2 FOR SHARE",
        conversation_id, agent_id,
    )  # fmt: skip
    if row is None:
        return None
    ticket_id = row["ticket_id"]
    # the conversation's row lock before looking for a resend: a resend racing its
    # original on another node waits here and then finds it
    await conn.execute("SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE", conversation_id)
    earlier = await conn.fetchrow(
        f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND client_id = $2"
        " AND sender = 'agent'",
        conversation_id, client_id,
    )  # fmt: skip
    if earlier:
        return to_message(earlier), True
    seq = await next_seq(conn, conversation_id, now)
    await add_message(conn, conversation_id, seq, "agent", dump(body), client_id, now)
    await add_event(conn, conversation_id, "message.out", {"seq": seq, "agent": agent_id}, now)
    first = await conn.execute(
        "UPDATE tickets SET first_response_at = $1 WHERE id = $2 AND first_response_at IS NULL",
        now, ticket_id,
    )  # fmt: skip
    if changed_one(first):
        data = {"ticket": ticket_id, "agent": agent_id}
        await add_event(conn, conversation_id, "ticket.first_response", data, now)
    await _ticket_status(conn, conversation_id, ticket_id, "open", "pending", now)
    return Message(conversation_id, seq, "agent", dict(body), client_id, now), False


async def _ticket_status(
    conn: asyncpg.Connection, cid: str, ticket_id: str, old: str, new: str, now: float
) -> None:
    status = await conn.execute(
        "UPDATE tickets SET status = $1 WHERE id = $2 AND status = $3", new, ticket_id, old
    )
    if changed_one(status):
        data = {"ticket": ticket_id, "from": old, "to": new}
        await add_event(conn, cid, "ticket.status", data, now)


async def reopen_ticket(conn: asyncpg.Connection, conversation_id: str, now: float) -> None:
    found = await handoff(conn, conversation_id)
    if found is not None:
        await _ticket_status(conn, conversation_id, found.ticket_id, "pending", "open", now)


async def add_note(conn: asyncpg.Connection, note: Note) -> tuple[Note, bool]:
    # the conversation's row lock makes "look, then add" atomic across nodes
    if await conn.fetchval(
        "SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE", note.conversation_id
    ) is None:  # fmt: skip
        raise unknown(note.conversation_id)
    for earlier in await notes(conn, note.conversation_id):
        if earlier.client_id == note.client_id:
            return earlier, True
    data = {"id": note.client_id, "agent": note.agent_id, "name": note.name, "text": note.text}
    await add_event(conn, note.conversation_id, "note.added", data, note.created_at)
    return note, False


async def notes(conn: asyncpg.Connection, conversation_id: str) -> list[Note]:
    rows = await conn.fetch(
        "SELECT data, created_at FROM events WHERE conversation_id = $1 AND kind = 'note.added'"
        " ORDER BY id",
        conversation_id,
    )
    return [to_note(conversation_id, row[0], row[1]) for row in rows]


async def tickets(conn: asyncpg.Connection, conversation_id: str) -> list[Ticket]:
    rows = await conn.fetch(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE conversation_id = $1 ORDER BY created_at",
        conversation_id,
    )
    return [to_ticket(r) for r in rows]


async def customer_tickets(conn: asyncpg.Connection, customer_id: str) -> list[Ticket]:
    rows = await conn.fetch(
        f"SELECT {qualified(TICKET_COLUMNS, 't')} FROM tickets t"
        " JOIN conversations c ON c.id = t.conversation_id"
        " WHERE c.customer_id = $1 ORDER BY t.created_at",
        customer_id,
    )
    return [to_ticket(r) for r in rows]


async def rate(
    conn: asyncpg.Connection, conversation_id: str, rating: int, comment: str | None, now: float
) -> tuple[Ticket, bool] | None:
    row = await conn.fetchrow(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE conversation_id = $1 AND status = 'solved'"
        " ORDER BY solved_at DESC LIMIT 1",
        conversation_id,
    )
    if row is None:
        return None
    ticket = to_ticket(row)
    rated = await conn.fetchrow(
        "UPDATE tickets SET csat_rating = $1, csat_comment = $2 WHERE id = $3"
        f" AND csat_rating IS NULL RETURNING {TICKET_COLUMNS}",
        rating, comment, ticket.id,
    )  # fmt: skip
    if rated is None:
        return ticket, True  # rated before: the first rating stands
    data = {"ticket": ticket.id, "rating": rating, "comment": comment}
    await add_event(conn, conversation_id, "csat.submitted", data, now)
    return to_ticket(rated), False


async def recent_handle_times(conn: asyncpg.Connection, limit: int = 50) -> list[float]:
    rows = await conn.fetch(
        "SELECT solved_at - assigned_at AS handled FROM tickets WHERE solved_at IS NOT NULL"
        " AND assigned_at IS NOT NULL ORDER BY solved_at DESC LIMIT $1",
        limit,
    )
    return [float(r["handled"]) for r in rows]
