"""The handoff queue and tickets on PostgreSQL: the operations, each in one transaction."""

# State changes are conditional UPDATEs checked by their row count, never read-then-write:
# of two nodes claiming one conversation at once, the second UPDATE waits for the first's
# row lock, re-reads the row, no longer matches, and changes nothing.

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from helpline.store.base import Message, TurnRecord
from helpline.store.handoff import Claim, Escalation, Handoff, Note, Ticket
from helpline.store.postgres_ops import commit_turn, dump, event, next_seq, unknown

_TICKET = (
    "id, conversation_id, status, team, priority, urgent, tags, assignee, email, created_at,"
    " assigned_at, first_response_at, solved_at, csat_rating, csat_comment"
)
# an agent's offers and accepted conversations are fewer than their capacity ($1: agent id)
_HAS_A_FREE_SEAT = (
    "(SELECT COUNT(*) FROM handoffs WHERE agent_id = $1 AND state IN ('offered', 'assigned'))"
    " < (SELECT capacity FROM agents WHERE id = $1)"
)
_HANDOFF = (
    "conversation_id, ticket_id, state, team, priority, urgent, frustration, enqueued_at,"
    " agent_id, offered_at, passed"
)


def _ticket(row: asyncpg.Record) -> Ticket:
    values = {name: row[name] for name in _TICKET.split(", ")}
    values["tags"] = tuple(json.loads(values["tags"]))
    return Ticket(**values)


def _handoff(row: asyncpg.Record) -> Handoff:
    values = {name: row[name] for name in _HANDOFF.split(", ")}
    values["passed"] = tuple(json.loads(values["passed"]))
    return Handoff(**values)


def _changed(status: str) -> bool:
    """Whether an UPDATE/DELETE command status ("UPDATE 1") touched exactly one row."""
    return status.rpartition(" ")[2] == "1"


async def _set_status(conn: asyncpg.Connection, cid: str, status: str, now: float) -> str:
    """Move the conversation's status, recording the change; returns the old status."""
    old = await conn.fetchval("SELECT status FROM conversations WHERE id = $1 FOR UPDATE", cid)
    if old is None:
        raise unknown(cid)
    if old != status:
        await conn.execute(
            "UPDATE conversations SET status = $1, updated_at = $2 WHERE id = $3", status, now, cid
        )
        await event(conn, cid, "status.changed", {"from": old, "to": status}, now)
    return str(old)


async def select_handoff(conn: asyncpg.Connection, cid: str) -> Handoff | None:
    row = await conn.fetchrow(f"SELECT {_HANDOFF} FROM handoffs WHERE conversation_id = $1", cid)
    return _handoff(row) if row else None


async def escalate(
    conn: asyncpg.Connection, record: TurnRecord, esc: Escalation, now: float
) -> tuple[list[Message], Ticket]:
    cid = record.conversation_id
    messages = await commit_turn(conn, record, now)
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
    await event(conn, cid, "ticket.opened", data, now)
    await event(conn, cid, "queue.entered", {"team": esc.team, "frustration": esc.frustration}, now)
    return messages, ticket


async def handoffs(conn: asyncpg.Connection) -> list[Handoff]:
    rows = await conn.fetch(f"SELECT {_HANDOFF} FROM handoffs ORDER BY enqueued_at")
    return [_handoff(r) for r in rows]


async def offer(conn: asyncpg.Connection, cid: str, agent_id: str, now: float) -> Handoff | None:
    # The agent's row lock makes offers to one agent take turns across nodes, so the seat
    # count below cannot be read by two of them before either has written.
    await conn.execute("SELECT 1 FROM agents WHERE id = $1 FOR UPDATE", agent_id)
    row = await conn.fetchrow(
        "UPDATE handoffs SET state = 'offered', agent_id = $1, offered_at = $2"
        " WHERE conversation_id = $3 AND state = 'waiting'"
        f" AND {_HAS_A_FREE_SEAT} RETURNING {_HANDOFF}",
        agent_id, now, cid,
    )  # fmt: skip
    if row is None:
        return None
    await event(conn, cid, "offer.made", {"agent": agent_id}, now)
    return _handoff(row)


async def expire_offer(conn: asyncpg.Connection, cid: str, agent_id: str, now: float) -> bool:
    status = await conn.execute(
        "UPDATE handoffs SET state = 'waiting', agent_id = NULL, offered_at = NULL,"
        " passed = (passed::jsonb || to_jsonb($2::text))::text"
        " WHERE conversation_id = $1 AND state = 'offered' AND agent_id = $2",
        cid, agent_id,
    )  # fmt: skip
    if not _changed(status):
        return False
    await event(conn, cid, "offer.expired", {"agent": agent_id}, now)
    return True


async def mark_urgent(
    conn: asyncpg.Connection, cid: str, urgent: bool, agent_id: str, now: float
) -> Handoff | None:
    status = await conn.execute(
        "UPDATE handoffs SET urgent = $2 WHERE conversation_id = $1", cid, urgent
    )
    if not _changed(status):
        return None
    await conn.execute(
        "UPDATE tickets SET urgent = $2 WHERE id = (SELECT ticket_id FROM handoffs"
        " WHERE conversation_id = $1)",
        cid, urgent,
    )  # fmt: skip
    await event(conn, cid, "ticket.urgent", {"urgent": urgent, "agent": agent_id}, now)
    return await select_handoff(conn, cid)


async def claim(
    conn: asyncpg.Connection, cid: str, agent_id: str, now: float, any_state: bool
) -> Claim | None:
    condition = (
        "state IN ('waiting', 'offered')"
        if any_state
        else "(state = 'waiting' OR (state = 'offered' AND agent_id = $1))"
    )
    row = await conn.fetchrow(
        "UPDATE handoffs SET state = 'assigned', agent_id = $1, offered_at = NULL"
        f" WHERE conversation_id = $2 AND {condition} RETURNING {_HANDOFF}",
        agent_id, cid,
    )  # fmt: skip
    if row is None:
        return None
    found = _handoff(row)
    await _assign_ticket(conn, found.ticket_id, agent_id, now)
    await event(conn, cid, "ticket.assigned", {"ticket": found.ticket_id, "agent": agent_id}, now)
    return Claim(found, await _set_status(conn, cid, "assigned", now))


async def _assign_ticket(
    conn: asyncpg.Connection, ticket_id: str, agent_id: str, now: float
) -> None:
    await conn.execute(
        "UPDATE tickets SET assignee = $1, assigned_at = COALESCE(assigned_at, $2) WHERE id = $3",
        agent_id, now, ticket_id,
    )  # fmt: skip


async def transfer(
    conn: asyncpg.Connection, cid: str, from_agent: str, now: float,
    to_agent: str | None, to_team: str | None, note: str | None,
) -> Handoff | None:  # fmt: skip
    if to_agent is not None:
        row = await conn.fetchrow(
            "UPDATE handoffs SET agent_id = $1 WHERE conversation_id = $2 AND state = 'assigned'"
            f" AND agent_id = $3 RETURNING {_HANDOFF}",
            to_agent, cid, from_agent,
        )  # fmt: skip
    else:
        row = await conn.fetchrow(
            "UPDATE handoffs SET state = 'waiting', agent_id = NULL, team = $1, passed = '[]'"
            f" WHERE conversation_id = $2 AND state = 'assigned' AND agent_id = $3"
            f" RETURNING {_HANDOFF}",
            to_team, cid, from_agent,
        )  # fmt: skip
    if row is None:
        return None
    found = _handoff(row)
    if to_agent is not None:
        await _assign_ticket(conn, found.ticket_id, to_agent, now)
    else:
        await conn.execute(
            "UPDATE tickets SET assignee = NULL, team = $1 WHERE id = $2", to_team, found.ticket_id
        )
        await _set_status(conn, cid, "queued", now)
    data = {
        "ticket": found.ticket_id,
        "from": from_agent,
        "to_agent": to_agent,
        "to_team": to_team,
        "note": note,
    }
    await event(conn, cid, "ticket.transferred", data, now)
    return found


async def finish(
    conn: asyncpg.Connection, cid: str, agent_id: str, record: TurnRecord, now: float,
    tags: Sequence[str], reason: str,
) -> tuple[list[Message], Ticket] | None:  # fmt: skip
    ticket_id = await conn.fetchval(
        "DELETE FROM handoffs WHERE conversation_id = $1 AND state = 'assigned' AND agent_id = $2"
        " RETURNING ticket_id",
        cid, agent_id,
    )  # fmt: skip
    if ticket_id is None:
        return None
    await conn.execute(
        "UPDATE tickets SET status = 'solved', solved_at = $1, tags = $2 WHERE id = $3",
        now, dump(list(tags)), ticket_id,
    )  # fmt: skip
    kind = "ticket.solved" if reason == "closed" else "ticket.released"
    await event(conn, cid, kind, {"ticket": ticket_id, "agent": agent_id, "tags": list(tags)}, now)
    messages = await commit_turn(conn, record, now)
    return messages, await _one_ticket(conn, ticket_id)


async def _one_ticket(conn: asyncpg.Connection, ticket_id: str) -> Ticket:
    return _ticket(await conn.fetchrow(f"SELECT {_TICKET} FROM tickets WHERE id = $1", ticket_id))


async def append_agent_message(
    conn: asyncpg.Connection, cid: str, agent_id: str, client_id: str,
    body: Mapping[str, Any], now: float,
) -> tuple[Message, bool] | None:  # fmt: skip
    # FOR SHARE: the assignment cannot move to another agent while this reply is stored
    row = await conn.fetchrow(
        "SELECT ticket_id FROM handoffs WHERE conversation_id = $1 AND state = 'assigned'"
        " AND agent_id = $2 FOR SHARE",
        cid, agent_id,
    )  # fmt: skip
    if row is None:
        return None
    ticket_id = row["ticket_id"]
    # the conversation's row lock before looking for a resend: a resend racing its
    # original on another node waits here and then finds it
    await conn.execute("SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE", cid)
    earlier = await conn.fetchrow(
        "SELECT seq, body, created_at FROM messages WHERE conversation_id = $1 AND client_id = $2"
        " AND sender = 'agent'",
        cid, client_id,
    )  # fmt: skip
    if earlier:
        body_then = json.loads(earlier["body"])
        return Message(
            cid, earlier["seq"], "agent", body_then, client_id, earlier["created_at"]
        ), True
    seq = await next_seq(conn, cid, now)
    await conn.execute(
        "INSERT INTO messages (conversation_id, seq, sender, body, client_id, created_at)"
        " VALUES ($1, $2, 'agent', $3, $4, $5)",
        cid, seq, dump(body), client_id, now,
    )  # fmt: skip
    await event(conn, cid, "message.out", {"seq": seq, "agent": agent_id}, now)
    first = await conn.execute(
        "UPDATE tickets SET first_response_at = $1 WHERE id = $2 AND first_response_at IS NULL",
        now, ticket_id,
    )  # fmt: skip
    if _changed(first):
        await event(
            conn, cid, "ticket.first_response", {"ticket": ticket_id, "agent": agent_id}, now
        )
    await _ticket_status(conn, cid, ticket_id, "open", "pending", now)
    return Message(cid, seq, "agent", dict(body), client_id, now), False


async def _ticket_status(
    conn: asyncpg.Connection, cid: str, ticket_id: str, old: str, new: str, now: float
) -> None:
    status = await conn.execute(
        "UPDATE tickets SET status = $1 WHERE id = $2 AND status = $3", new, ticket_id, old
    )
    if _changed(status):
        await event(conn, cid, "ticket.status", {"ticket": ticket_id, "from": old, "to": new}, now)


async def reopen_ticket(conn: asyncpg.Connection, cid: str, now: float) -> None:
    found = await select_handoff(conn, cid)
    if found is not None:
        await _ticket_status(conn, cid, found.ticket_id, "pending", "open", now)


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
    await event(conn, note.conversation_id, "note.added", data, note.created_at)
    return note, False


async def notes(conn: asyncpg.Connection, cid: str) -> list[Note]:
    rows = await conn.fetch(
        "SELECT data, created_at FROM events WHERE conversation_id = $1 AND kind = 'note.added'"
        " ORDER BY id",
        cid,
    )
    found = []
    for row in rows:
        d = json.loads(row["data"])
        found.append(Note(cid, d["id"], d["agent"], d["name"], d["text"], row["created_at"]))
    return found


async def tickets(conn: asyncpg.Connection, cid: str) -> list[Ticket]:
    rows = await conn.fetch(
        f"SELECT {_TICKET} FROM tickets WHERE conversation_id = $1 ORDER BY created_at", cid
    )
    return [_ticket(r) for r in rows]


async def customer_tickets(conn: asyncpg.Connection, customer_id: str) -> list[Ticket]:
    columns = ", ".join("t." + c for c in _TICKET.split(", "))
    rows = await conn.fetch(
        f"SELECT {columns} FROM tickets t JOIN conversations c ON c.id = t.conversation_id"
        " WHERE c.customer_id = $1 ORDER BY t.created_at",
        customer_id,
    )
    return [_ticket(r) for r in rows]


async def rate(
    conn: asyncpg.Connection, cid: str, rating: int, comment: str | None, now: float
) -> tuple[Ticket, bool] | None:
    row = await conn.fetchrow(
        f"SELECT {_TICKET} FROM tickets WHERE conversation_id = $1 AND status = 'solved'"
        " ORDER BY solved_at DESC LIMIT 1",
        cid,
    )
    if row is None:
        return None
    ticket = _ticket(row)
    rated = await conn.fetchrow(
        "UPDATE tickets SET csat_rating = $1, csat_comment = $2 WHERE id = $3"
        f" AND csat_rating IS NULL RETURNING {_TICKET}",
        rating, comment, ticket.id,
    )  # fmt: skip
    if rated is None:
        return ticket, True  # rated before: the first rating stands
    data = {"ticket": ticket.id, "rating": rating, "comment": comment}
    await event(conn, cid, "csat.submitted", data, now)
    return _ticket(rated), False


async def recent_handle_times(conn: asyncpg.Connection, limit: int) -> list[float]:
    rows = await conn.fetch(
        "SELECT solved_at - assigned_at AS handled FROM tickets WHERE solved_at IS NOT NULL"
        " AND assigned_at IS NOT NULL ORDER BY solved_at DESC LIMIT $1",
        limit,
    )
    return [float(r["handled"]) for r in rows]
