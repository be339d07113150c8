"""The handoff queue and tickets on SQLite: the operations, each run atomically."""

# Like sqlite_ops: plain functions run on the store's worker thread inside a savepoint.
# State changes are conditional UPDATEs checked by rowcount (not read-then-write), so they
# stay race-free on a database with concurrent writers, not only behind SQLite's one thread.

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from helpline.store.base import Message, TurnRecord
from helpline.store.handoff import Claim, Escalation, Handoff, Note, Ticket
from helpline.store.sqlite_ops import _unknown, commit_turn

_TICKET = (
    "id, conversation_id, status, team, priority, urgent, tags, assignee, email, created_at,"
    " assigned_at, first_response_at, solved_at, csat_rating, csat_comment"
)
# an agent's offers and accepted conversations are fewer than their capacity (agent id twice)
HAS_A_FREE_SEAT = (
    "(SELECT COUNT(*) FROM handoffs WHERE agent_id = ? AND state IN ('offered', 'assigned'))"
    " < (SELECT capacity FROM agents WHERE id = ?)"
)
_HANDOFF = (
    "conversation_id, ticket_id, state, team, priority, urgent, frustration, enqueued_at,"
    " agent_id, offered_at, passed"
)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _ticket(row: Sequence[Any]) -> Ticket:
    return Ticket(
        row[0], row[1], row[2], row[3], row[4], bool(row[5]), tuple(json.loads(row[6])),
        *row[7:],
    )  # fmt: skip


def _handoff(row: Sequence[Any]) -> Handoff:
    return Handoff(
        conversation_id=row[0], ticket_id=row[1], state=row[2], team=row[3], priority=row[4],
        urgent=bool(row[5]), frustration=row[6], enqueued_at=row[7], agent_id=row[8],
        offered_at=row[9], passed=tuple(json.loads(row[10])),
    )  # fmt: skip


def event(
    conn: sqlite3.Connection, cid: str, kind: str, data: Mapping[str, Any], now: float
) -> None:
    conn.execute(
        "INSERT INTO events (conversation_id, kind, data, created_at) VALUES (?, ?, ?, ?)",
        (cid, kind, _dump(data), now),
    )


def _set_status(conn: sqlite3.Connection, cid: str, status: str, now: float) -> str:
    """Move the conversation's status, recording the change; returns the old status."""
    row = conn.execute("SELECT status FROM conversations WHERE id = ?", (cid,)).fetchone()
    if row is None:
        raise _unknown(cid)
    if row[0] != status:
        conn.execute(
            "UPDATE conversations SET status = ?, updated_at = ? WHERE id = ?", (status, now, cid)
        )
        event(conn, cid, "status.changed", {"from": row[0], "to": status}, now)
    return str(row[0])


def select_handoff(conn: sqlite3.Connection, cid: str) -> Handoff | None:
    row = conn.execute(f"SELECT {_HANDOFF} FROM handoffs WHERE conversation_id = ?", (cid,))
    found = row.fetchone()
    return _handoff(found) if found else None


def escalate(
    conn: sqlite3.Connection, record: TurnRecord, esc: Escalation, now: float
) -> tuple[list[Message], Ticket]:
    cid = record.conversation_id
    messages = commit_turn(conn, record, now)
    ticket = Ticket(
        f"t_{uuid.uuid4().hex}", cid, "open", esc.team, esc.priority, esc.urgent, (), None, None,
        now,
    )  # fmt: skip
    conn.execute(
        f"INSERT INTO tickets ({_TICKET}) VALUES (?, ?, ?, ?, ?, ?, '[]', NULL, NULL, ?,"
        " NULL, NULL, NULL, NULL, NULL)",
        (ticket.id, cid, "open", esc.team, esc.priority, int(esc.urgent), now),
    )
    conn.execute(
        f"INSERT INTO handoffs ({_HANDOFF}) VALUES (?, ?, 'waiting', ?, ?, ?, ?, ?, NULL, NULL,"
        " '[]')",
        (cid, ticket.id, esc.team, esc.priority, int(esc.urgent), esc.frustration, now),
    )
    data = {"ticket": ticket.id, "team": esc.team, "priority": esc.priority, "urgent": esc.urgent}
    event(conn, cid, "ticket.opened", data, now)
    event(conn, cid, "queue.entered", {"team": esc.team, "frustration": esc.frustration}, now)
    return messages, ticket


def handoffs(conn: sqlite3.Connection) -> list[Handoff]:
    rows = conn.execute(f"SELECT {_HANDOFF} FROM handoffs ORDER BY enqueued_at")
    return [_handoff(r) for r in rows]


def offer(conn: sqlite3.Connection, cid: str, agent_id: str, now: float) -> Handoff | None:
    # one writer at a time: the seat count and the update cannot be split by another offer
    cur = conn.execute(
        "UPDATE handoffs SET state = 'offered', agent_id = ?, offered_at = ?"
        f" WHERE conversation_id = ? AND state = 'waiting' AND {HAS_A_FREE_SEAT}",
        (agent_id, now, cid, agent_id, agent_id),
    )
    if cur.rowcount != 1:
        return None
    event(conn, cid, "offer.made", {"agent": agent_id}, now)
    return select_handoff(conn, cid)


def expire_offer(conn: sqlite3.Connection, cid: str, agent_id: str, now: float) -> bool:
    cur = conn.execute(
        "UPDATE handoffs SET state = 'waiting', agent_id = NULL, offered_at = NULL,"
        " passed = json_insert(passed, '$[#]', agent_id)"
        " WHERE conversation_id = ? AND state = 'offered' AND agent_id = ?",
        (cid, agent_id),
    )
    if cur.rowcount != 1:
        return False
    event(conn, cid, "offer.expired", {"agent": agent_id}, now)
    return True


def mark_urgent(
    conn: sqlite3.Connection, cid: str, urgent: bool, agent_id: str, now: float
) -> Handoff | None:
    cur = conn.execute(
        "UPDATE handoffs SET urgent = ? WHERE conversation_id = ?", (int(urgent), cid)
    )
    if cur.rowcount != 1:
        return None
    conn.execute(
        "UPDATE tickets SET urgent = ? WHERE id = (SELECT ticket_id FROM handoffs"
        " WHERE conversation_id = ?)",
        (int(urgent), cid),
    )
    event(conn, cid, "ticket.urgent", {"urgent": urgent, "agent": agent_id}, now)
    return select_handoff(conn, cid)


def claim(
    conn: sqlite3.Connection, cid: str, agent_id: str, now: float, any_state: bool
) -> Claim | None:
    condition = (
        "state IN ('waiting', 'offered')"
        if any_state
        else "(state = 'waiting' OR (state = 'offered' AND agent_id = ?))"
    )
    args: tuple[Any, ...] = (agent_id, cid) if any_state else (agent_id, cid, agent_id)
    cur = conn.execute(
        "UPDATE handoffs SET state = 'assigned', agent_id = ?, offered_at = NULL"
        f" WHERE conversation_id = ? AND {condition}",
        args,
    )
    if cur.rowcount != 1:
        return None
    found = select_handoff(conn, cid)
    assert found is not None
    _assign_ticket(conn, found.ticket_id, agent_id, now)
    event(conn, cid, "ticket.assigned", {"ticket": found.ticket_id, "agent": agent_id}, now)
    return Claim(found, _set_status(conn, cid, "assigned", now))


def _assign_ticket(conn: sqlite3.Connection, ticket_id: str, agent_id: str, now: float) -> None:
    conn.execute(
        "UPDATE tickets SET assignee = ?, assigned_at = COALESCE(assigned_at, ?) WHERE id = ?",
        (agent_id, now, ticket_id),
    )


def transfer(
    conn: sqlite3.Connection, cid: str, from_agent: str, now: float,
    to_agent: str | None, to_team: str | None, note: str | None,
) -> Handoff | None:  # fmt: skip
    if to_agent is not None:
        cur = conn.execute(
            "UPDATE handoffs SET agent_id = ? WHERE conversation_id = ? AND state = 'assigned'"
            " AND agent_id = ?",
            (to_agent, cid, from_agent),
        )
    else:
        cur = conn.execute(
            "UPDATE handoffs SET state = 'waiting', agent_id = NULL, team = ?, passed = '[]'"
            " WHERE conversation_id = ? AND state = 'assigned' AND agent_id = ?",
            (to_team, cid, from_agent),
        )
    if cur.rowcount != 1:
        return None
    found = select_handoff(conn, cid)
    assert found is not None
    if to_agent is not None:
        _assign_ticket(conn, found.ticket_id, to_agent, now)
    else:
        conn.execute(
            "UPDATE tickets SET assignee = NULL, team = ? WHERE id = ?", (to_team, found.ticket_id)
        )
        _set_status(conn, cid, "queued", now)
    data = {
        "ticket": found.ticket_id,
        "from": from_agent,
        "to_agent": to_agent,
        "to_team": to_team,
        "note": note,
    }
    event(conn, cid, "ticket.transferred", data, now)
    return found


def finish(
    conn: sqlite3.Connection, cid: str, agent_id: str, record: TurnRecord, now: float,
    tags: Sequence[str], reason: str,
) -> tuple[list[Message], Ticket] | None:  # fmt: skip
    found = select_handoff(conn, cid)
    if found is None or found.state != "assigned" or found.agent_id != agent_id:
        return None
    conn.execute(
        "DELETE FROM handoffs WHERE conversation_id = ? AND state = 'assigned' AND agent_id = ?",
        (cid, agent_id),
    )
    conn.execute(
        "UPDATE tickets SET status = 'solved', solved_at = ?, tags = ? WHERE id = ?",
        (now, _dump(list(tags)), found.ticket_id),
    )
    kind = "ticket.solved" if reason == "closed" else "ticket.released"
    event(conn, cid, kind, {"ticket": found.ticket_id, "agent": agent_id, "tags": list(tags)}, now)
    messages = commit_turn(conn, record, now)
    return messages, _one_ticket(conn, found.ticket_id)


def _one_ticket(conn: sqlite3.Connection, ticket_id: str) -> Ticket:
    row = conn.execute(f"SELECT {_TICKET} FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    return _ticket(row)


def append_agent_message(
    conn: sqlite3.Connection, cid: str, agent_id: str, client_id: str,
    body: Mapping[str, Any], now: float,
) -> tuple[Message, bool] | None:  # fmt: skip
    found = select_handoff(conn, cid)
    if found is None or found.state != "assigned" or found.agent_id != agent_id:
        return None
    earlier = conn.execute(
        "SELECT seq, body, created_at FROM messages WHERE conversation_id = ? AND client_id = ?"
        " AND sender = 'agent'",
        (cid, client_id),
    ).fetchone()
    if earlier:
        return Message(
            cid, earlier[0], "agent", json.loads(earlier[1]), client_id, earlier[2]
        ), True
    seq = conn.execute(
        "UPDATE conversations SET last_seq = last_seq + 1, updated_at = ? WHERE id = ?"
        " RETURNING last_seq",
        (now, cid),
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO messages (conversation_id, seq, sender, body, client_id, created_at)"
        " VALUES (?, ?, 'agent', ?, ?, ?)",
        (cid, seq, _dump(body), client_id, now),
    )
    event(conn, cid, "message.out", {"seq": seq, "agent": agent_id}, now)
    cur = conn.execute(
        "UPDATE tickets SET first_response_at = ? WHERE id = ? AND first_response_at IS NULL",
        (now, found.ticket_id),
    )
    if cur.rowcount:
        event(
            conn, cid, "ticket.first_response", {"ticket": found.ticket_id, "agent": agent_id}, now
        )
    _ticket_status(conn, cid, found.ticket_id, "open", "pending", now)
    return Message(cid, seq, "agent", dict(body), client_id, now), False


def _ticket_status(
    conn: sqlite3.Connection, cid: str, ticket_id: str, old: str, new: str, now: float
) -> None:
    cur = conn.execute(
        "UPDATE tickets SET status = ? WHERE id = ? AND status = ?", (new, ticket_id, old)
    )
    if cur.rowcount:
        event(conn, cid, "ticket.status", {"ticket": ticket_id, "from": old, "to": new}, now)


def reopen_ticket(conn: sqlite3.Connection, cid: str, now: float) -> None:
    found = select_handoff(conn, cid)
    if found is not None:
        _ticket_status(conn, cid, found.ticket_id, "pending", "open", now)


def add_note(conn: sqlite3.Connection, note: Note) -> tuple[Note, bool]:
    for earlier in notes(conn, note.conversation_id):
        if earlier.client_id == note.client_id:
            return earlier, True
    data = {"id": note.client_id, "agent": note.agent_id, "name": note.name, "text": note.text}
    event(conn, note.conversation_id, "note.added", data, note.created_at)
    return note, False


def notes(conn: sqlite3.Connection, cid: str) -> list[Note]:
    rows = conn.execute(
        "SELECT data, created_at FROM events WHERE conversation_id = ? AND kind = 'note.added'"
        " ORDER BY id",
        (cid,),
    )
    found = []
    for data, at in rows:
        d = json.loads(data)
        found.append(Note(cid, d["id"], d["agent"], d["name"], d["text"], at))
    return found


def tickets(conn: sqlite3.Connection, cid: str) -> list[Ticket]:
    rows = conn.execute(
        f"SELECT {_TICKET} FROM tickets WHERE conversation_id = ? ORDER BY created_at", (cid,)
    )
    return [_ticket(r) for r in rows]


def customer_tickets(conn: sqlite3.Connection, customer_id: str) -> list[Ticket]:
    columns = ", ".join("t." + c for c in _TICKET.split(", "))
    rows = conn.execute(
        f"SELECT {columns} FROM tickets t JOIN conversations c ON c.id = t.conversation_id"
        " WHERE c.customer_id = ? ORDER BY t.created_at",
        (customer_id,),
    )
    return [_ticket(r) for r in rows]


def rate(
    conn: sqlite3.Connection, cid: str, rating: int, comment: str | None, now: float
) -> tuple[Ticket, bool] | None:
    row = conn.execute(
        f"SELECT {_TICKET} FROM tickets WHERE conversation_id = ? AND status = 'solved'"
        " ORDER BY solved_at DESC LIMIT 1",
        (cid,),
    ).fetchone()
    if row is None:
        return None
    ticket = _ticket(row)
    cur = conn.execute(
        "UPDATE tickets SET csat_rating = ?, csat_comment = ? WHERE id = ? AND csat_rating IS NULL",
        (rating, comment, ticket.id),
    )
    if cur.rowcount != 1:
        return ticket, True  # rated before: the first rating stands
    data = {"ticket": ticket.id, "rating": rating, "comment": comment}
    event(conn, cid, "csat.submitted", data, now)
    return _one_ticket(conn, ticket.id), False


def recent_handle_times(conn: sqlite3.Connection, limit: int) -> list[float]:
    rows = conn.execute(
        "SELECT solved_at - assigned_at FROM tickets WHERE solved_at IS NOT NULL"
        " AND assigned_at IS NOT NULL ORDER BY solved_at DESC LIMIT ?",
        (limit,),
    )
    return [float(r[0]) for r in rows]
