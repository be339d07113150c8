"""The HandoffStore operations on SQLite: plain functions on a connection."""

# Like sqlite_conversations: the connection, then the HandoffStore method's own arguments.
# State changes are conditional UPDATEs checked by rowcount (not read-then-write), so they
# stay race-free on a database with concurrent writers, not only behind SQLite's one writer.

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from helpline.store.base import Message, TurnRecord
from helpline.store.handoff import Claim, Escalation, Handoff, Note, Ticket
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
from helpline.store.sqlite_conversations import commit_turn
from helpline.store.sqlite_sql import add_event, add_message, changed_one, next_seq
from helpline.store.sqlite_tickets import reopen_solved

# an agent's offers and accepted conversations are fewer than their capacity (agent id twice)
_HAS_A_FREE_SEAT = (
    "(SELECT COUNT(*) FROM handoffs WHERE agent_id = ? AND state IN ('offered', 'assigned'))"
    " < (SELECT capacity FROM agents WHERE id = ?)"
)


def _set_status(conn: sqlite3.Connection, cid: str, status: str, now: float) -> str:
    """Move the conversation's status, recording the change; returns the old status."""
    row = conn.execute("SELECT status FROM conversations WHERE id = ?", (cid,)).fetchone()
    if row is None:
        raise unknown(cid)
    if row[0] != status:
        conn.execute(
            "UPDATE conversations SET status = ?, updated_at = ? WHERE id = ?", (status, now, cid)
        )
        add_event(conn, cid, "status.changed", {"from": row[0], "to": status}, now)
    return str(row[0])


def handoff(conn: sqlite3.Connection, conversation_id: str) -> Handoff | None:
    row = conn.execute(
        f"SELECT {HANDOFF_COLUMNS} FROM handoffs WHERE conversation_id = ?", (conversation_id,)
    )
    found = row.fetchone()
    return to_handoff(found) if found else None


def escalate(
    conn: sqlite3.Connection, record: TurnRecord, escalation: Escalation, now: float
) -> tuple[list[Message], Ticket]:
    cid, esc = record.conversation_id, escalation
    messages = commit_turn(conn, record, now)
    reopened = reopen_solved(conn, cid, esc, now)
    if reopened is not None:
        return messages, reopened
    ticket = Ticket(
        f"t_{uuid.uuid4().hex}", cid, "open", esc.team, esc.priority, esc.urgent, (), None, None,
        now,
    )  # fmt: skip
    conn.execute(
        "INSERT INTO tickets (id, conversation_id, status, team, priority, urgent, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (ticket.id, cid, "open", esc.team, esc.priority, int(esc.urgent), now),
    )
    conn.execute(
        "INSERT INTO handoffs (conversation_id, ticket_id, state, team, priority, urgent,"
        " frustration, enqueued_at) VALUES (?, ?, 'waiting', ?, ?, ?, ?, ?)",
        (cid, ticket.id, esc.team, esc.priority, int(esc.urgent), esc.frustration, now),
    )
    data = {"ticket": ticket.id, "team": esc.team, "priority": esc.priority, "urgent": esc.urgent}
    add_event(conn, cid, "ticket.opened", data, now)
    add_event(conn, cid, "queue.entered", {"team": esc.team, "frustration": esc.frustration}, now)
    return messages, ticket


def handoffs(conn: sqlite3.Connection) -> list[Handoff]:
    rows = conn.execute(f"SELECT {HANDOFF_COLUMNS} FROM handoffs ORDER BY enqueued_at")
    return [to_handoff(r) for r in rows]


def offer(
    conn: sqlite3.Connection, conversation_id: str, agent_id: str, now: float,
    team: str | None = None,
) -> Handoff | None:  # fmt: skip
    # one writer at a time: the seat count and the update cannot be split by another offer
    cur = conn.execute(
        "UPDATE handoffs SET state = 'offered', agent_id = ?, offered_at = ?"
        " WHERE conversation_id = ? AND state = 'waiting' AND (? IS NULL OR team = ?)"
        f" AND {_HAS_A_FREE_SEAT}",
        (agent_id, now, conversation_id, team, team, agent_id, agent_id),
    )
    if not changed_one(cur):
        return None
    add_event(conn, conversation_id, "offer.made", {"agent": agent_id}, now)
    return handoff(conn, conversation_id)


def expire_offer(conn: sqlite3.Connection, conversation_id: str, agent_id: str, now: float) -> bool:
    cur = conn.execute(
        "UPDATE handoffs SET state = 'waiting', agent_id = NULL, offered_at = NULL,"
        " passed = json_insert(passed, '$[#]', agent_id)"
        " WHERE conversation_id = ? AND state = 'offered' AND agent_id = ?",
        (conversation_id, agent_id),
    )
    if not changed_one(cur):
        return False
    add_event(conn, conversation_id, "offer.expired", {"agent": agent_id}, now)
    return True


def mark_urgent(
    conn: sqlite3.Connection, conversation_id: str, urgent: bool, agent_id: str, now: float
) -> Handoff | None:
    cur = conn.execute(
        "UPDATE handoffs SET urgent = ? WHERE conversation_id = ?", (int(urgent), conversation_id)
    )
    if not changed_one(cur):
        return None
    conn.execute(
        "UPDATE tickets SET urgent = ? WHERE id = (SELECT ticket_id FROM handoffs"
        " WHERE conversation_id = ?)",
        (int(urgent), conversation_id),
    )
    add_event(conn, conversation_id, "ticket.urgent", {"urgent": urgent, "agent": agent_id}, now)
    return handoff(conn, conversation_id)


def claim(
    conn: sqlite3.Connection,
    conversation_id: str,
    agent_id: str,
    now: float,
    *,
    any_state: bool = False,
) -> Claim | None:
    condition = (
        "state IN ('waiting', 'offered')"
        if any_state
        else "(state = 'waiting' OR (state = 'offered' AND agent_id = ?))"
    )
    args: tuple[Any, ...] = (
        (agent_id, conversation_id) if any_state else (agent_id, conversation_id, agent_id)
    )
    cur = conn.execute(
        "UPDATE handoffs SET state = 'assigned', agent_id = ?, offered_at = NULL"
        f" WHERE conversation_id = ? AND {condition}",
        args,
    )
    if not changed_one(cur):
        return None
    found = handoff(conn, conversation_id)
    assert found is not None
    _assign_ticket(conn, found.ticket_id, agent_id, now)
    data = {"ticket": found.ticket_id, "agent": agent_id}
    add_event(conn, conversation_id, "ticket.assigned", data, now)
    return Claim(found, _set_status(conn, conversation_id, "assigned", now))


def _assign_ticket(conn: sqlite3.Connection, ticket_id: str, agent_id: str, now: float) -> None:
    conn.execute(
        "UPDATE tickets SET assignee = ?, assigned_at = COALESCE(assigned_at, ?) WHERE id = ?",
        (agent_id, now, ticket_id),
    )


def transfer(
    conn: sqlite3.Connection, conversation_id: str, from_agent: str, now: float,
    *, to_agent: str | None = None, to_team: str | None = None, note: str | None = None,
) -> Handoff | None:  # fmt: skip
    if to_agent is not None:
        cur = conn.execute(
            "UPDATE handoffs SET agent_id = ? WHERE conversation_id = ? AND state = 'assigned'"
            " AND agent_id = ?",
            (to_agent, conversation_id, from_agent),
        )
    else:
        cur = conn.execute(
            "UPDATE handoffs SET state = 'waiting', agent_id = NULL, team = ?, passed = '[]'"
            " WHERE conversation_id = ? AND state = 'assigned' AND agent_id = ?",
            (to_team, conversation_id, from_agent),
        )
    if not changed_one(cur):
        return None
    found = handoff(conn, conversation_id)
    assert found is not None
    if to_agent is not None:
        _assign_ticket(conn, found.ticket_id, to_agent, now)
    else:
        conn.execute(
            "UPDATE tickets SET assignee = NULL, team = ? WHERE id = ?", (to_team, found.ticket_id)
        )
        _set_status(conn, conversation_id, "queued", now)
    data = {
        "ticket": found.ticket_id,
        "from": from_agent,
        "to_agent": to_agent,
        "to_team": to_team,
        "note": note,
    }
    add_event(conn, conversation_id, "ticket.transferred", data, now)
    return found


def finish(
    conn: sqlite3.Connection, conversation_id: str, agent_id: str, record: TurnRecord, now: float,
    *, tags: Sequence[str] = (), reason: str,
) -> tuple[list[Message], Ticket] | None:  # fmt: skip
    found = handoff(conn, conversation_id)
    if found is None or found.state != "assigned" or found.agent_id != agent_id:
        return None
    conn.execute(
        "DELETE FROM handoffs WHERE conversation_id = ? AND state = 'assigned' AND agent_id = ?",
        (conversation_id, agent_id),
    )
    conn.execute(
        "UPDATE tickets SET status = 'solved', solved_at = ?, tags = ? WHERE id = ?",
        (now, dump(list(tags)), found.ticket_id),
    )
    kind = "ticket.solved" if reason == "closed" else "ticket.released"
    data = {"ticket": found.ticket_id, "agent": agent_id, "tags": list(tags)}
    add_event(conn, conversation_id, kind, data, now)
    messages = commit_turn(conn, record, now)
    return messages, _one_ticket(conn, found.ticket_id)


def _one_ticket(conn: sqlite3.Connection, ticket_id: str) -> Ticket:
    row = conn.execute(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?", (ticket_id,)
    ).fetchone()
    return to_ticket(row)


def append_agent_message(
    conn: sqlite3.Connection, conversation_id: str, agent_id: str, client_id: str,
    body: Mapping[str, Any], now: float,
) -> tuple[Message, bool] | None:  # fmt: skip
    found = handoff(conn, conversation_id)
    if found is None or found.state != "assigned" or found.agent_id != agent_id:
        return None
    earlier = conn.execute(
        f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND client_id = ?"
        " AND sender = 'agent'",
        (conversation_id, client_id),
    ).fetchone()
    if earlier:
        return to_message(earlier), True
    seq = next_seq(conn, conversation_id, now)
    add_message(conn, conversation_id, seq, "agent", dump(body), client_id, now)
    add_event(conn, conversation_id, "message.out", {"seq": seq, "agent": agent_id}, now)
    cur = conn.execute(
        "UPDATE tickets SET first_response_at = ? WHERE id = ? AND first_response_at IS NULL",
        (now, found.ticket_id),
    )
    if cur.rowcount:
        data = {"ticket": found.ticket_id, "agent": agent_id}
        add_event(conn, conversation_id, "ticket.first_response", data, now)
    _ticket_status(conn, conversation_id, found.ticket_id, "open", "pending", now)
    return Message(conversation_id, seq, "agent", dict(body), client_id, now), False


def _ticket_status(
    conn: sqlite3.Connection, cid: str, ticket_id: str, old: str, new: str, now: float
) -> None:
    cur = conn.execute(
        "UPDATE tickets SET status = ? WHERE id = ? AND status = ?", (new, ticket_id, old)
    )
    if cur.rowcount:
        add_event(conn, cid, "ticket.status", {"ticket": ticket_id, "from": old, "to": new}, now)


def reopen_ticket(conn: sqlite3.Connection, conversation_id: str, now: float) -> None:
    found = handoff(conn, conversation_id)
    if found is not None:
        _ticket_status(conn, conversation_id, found.ticket_id, "pending", "open", now)


def add_note(conn: sqlite3.Connection, note: Note) -> tuple[Note, bool]:
    for earlier in notes(conn, note.conversation_id):
        if earlier.client_id == note.client_id:
            return earlier, True
    data = {"id": note.client_id, "agent": note.agent_id, "name": note.name, "text": note.text}
    add_event(conn, note.conversation_id, "note.added", data, note.created_at)
    return note, False


def notes(conn: sqlite3.Connection, conversation_id: str) -> list[Note]:
    rows = conn.execute(
        "SELECT data, created_at FROM events WHERE conversation_id = ? AND kind = 'note.added'"
        " ORDER BY id",
        (conversation_id,),
    )
    return [to_note(conversation_id, data, at) for data, at in rows]


def tickets(conn: sqlite3.Connection, conversation_id: str) -> list[Ticket]:
    rows = conn.execute(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE conversation_id = ? ORDER BY created_at",
        (conversation_id,),
    )
    return [to_ticket(r) for r in rows]


def customer_tickets(conn: sqlite3.Connection, customer_id: str) -> list[Ticket]:
    rows = conn.execute(
        f"SELECT {qualified(TICKET_COLUMNS, 't')} FROM tickets t"
        " JOIN conversations c ON c.id = t.conversation_id"
        " WHERE c.customer_id = ? ORDER BY t.created_at",
        (customer_id,),
    )
    return [to_ticket(r) for r in rows]


def rate(
    conn: sqlite3.Connection, conversation_id: str, rating: int, comment: str | None, now: float
) -> tuple[Ticket, bool] | None:
    row = conn.execute(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE conversation_id = ? AND status = 'solved'"
        " ORDER BY solved_at DESC LIMIT 1",
        (conversation_id,),
    ).fetchone()
    if row is None:
        return None
    ticket = to_ticket(row)
    cur = conn.execute(
        "UPDATE tickets SET csat_rating = ?, csat_comment = ? WHERE id = ? AND csat_rating IS NULL",
        (rating, comment, ticket.id),
    )
    if not changed_one(cur):
        return ticket, True  # rated before: the first rating stands
    data = {"ticket": ticket.id, "rating": rating, "comment": comment}
    add_event(conn, conversation_id, "csat.submitted", data, now)
    return _one_ticket(conn, ticket.id), False


def recent_handle_times(conn: sqlite3.Connection, limit: int = 50) -> list[float]:
    rows = conn.execute(
        "SELECT solved_at - assigned_at FROM tickets WHERE solved_at IS NOT NULL"
        " AND assigned_at IS NOT NULL ORDER BY solved_at DESC LIMIT ?",
        (limit,),
    )
    return [float(r[0]) for r in rows]
