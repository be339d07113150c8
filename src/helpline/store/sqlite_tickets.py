"""The TicketStore operations on SQLite: plain functions on a connection."""

# Like sqlite_handoff: the connection, then the TicketStore method's own arguments.

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from helpline.store.handoff import Escalation, Ticket
from helpline.store.rows import EVENT_COLUMNS, TICKET_COLUMNS, dump, to_event, to_ticket
from helpline.store.sqlite_sql import add_event
from helpline.store.tickets import (
    SLA_KINDS,
    TicketChange,
    TicketRecord,
    is_breach,
    plan_change,
    records,
    reopen_data,
)

_KINDS = ", ".join("?" * len(SLA_KINDS))
# A conversation an agent has keeps its agent; one in line (or only offered) waits in its
# new team's line and is offered afresh.
REQUEUE = (
    "UPDATE handoffs SET team = ?, state = 'waiting', agent_id = NULL, offered_at = NULL,"
    " passed = '[]' WHERE ticket_id = ? AND state IN ('waiting', 'offered')"
)


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def _records(conn: sqlite3.Connection, tickets: list[Ticket]) -> list[TicketRecord]:
    """The tickets with their SLA events: one read for all of them."""
    if not tickets:
        return []
    cids = sorted({t.conversation_id for t in tickets})
    rows = conn.execute(
        f"SELECT id, {EVENT_COLUMNS} FROM events WHERE conversation_id IN ({_marks(cids)})"
        f" AND kind IN ({_KINDS}) ORDER BY id",
        (*cids, *SLA_KINDS),
    ).fetchall()
    return records(tickets, map(to_event, rows))


def _one(conn: sqlite3.Connection, ticket_id: str) -> Ticket | None:
    row = conn.execute(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?", (ticket_id,)
    ).fetchone()
    return to_ticket(row) if row else None


def ticket(conn: sqlite3.Connection, ticket_id: str) -> TicketRecord | None:
    found = _one(conn, ticket_id)
    return _records(conn, [found])[0] if found else None


def ticket_list(
    conn: sqlite3.Connection, statuses: Sequence[str], teams: Sequence[str] | None, limit: int
) -> list[TicketRecord]:
    where, args = f"status IN ({_marks(statuses)})", [*statuses]
    if teams is not None:
        where += f" AND team IN ({_marks(teams)})"
        args += teams
    rows = conn.execute(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE {where} ORDER BY created_at, id LIMIT ?",
        (*args, limit),
    ).fetchall()
    return _records(conn, [to_ticket(r) for r in rows])


def change_ticket(
    conn: sqlite3.Connection, ticket_id: str, change: TicketChange, agent_id: str | None,
    now: float,
) -> Ticket | None:  # fmt: skip
    old = _one(conn, ticket_id)
    if old is None:
        return None
    plan = plan_change(old, change, agent_id, now)
    if plan.ticket:
        columns = {k: dump(v) if k == "tags" else v for k, v in plan.ticket.items()}
        sets = ", ".join(f"{name} = ?" for name in columns)  # names from plan_change only
        conn.execute(f"UPDATE tickets SET {sets} WHERE id = ?", (*columns.values(), ticket_id))
    if plan.queue_priority is not None:
        conn.execute(
            "UPDATE handoffs SET priority = ? WHERE ticket_id = ?", (plan.queue_priority, ticket_id)
        )
    if plan.queue_team is not None:
        conn.execute(REQUEUE, (plan.queue_team, ticket_id))
    for kind, data in plan.events:
        add_event(conn, old.conversation_id, kind, data, now)
    return _one(conn, ticket_id)


def add_breach(
    conn: sqlite3.Connection, ticket_id: str, target: str, started_at: float, now: float
) -> bool:
    found = _one(conn, ticket_id)
    if found is None:
        return False
    earlier = conn.execute(
        "SELECT data FROM events WHERE conversation_id = ? AND kind = 'sla.breached'",
        (found.conversation_id,),
    ).fetchall()
    if any(is_breach(json.loads(row[0]), ticket_id, target, started_at) for row in earlier):
        return False
    data = {"ticket": ticket_id, "target": target, "started_at": started_at, "team": found.team}
    add_event(conn, found.conversation_id, "sla.breached", data, now)
    return True


def reopen_solved(
    conn: sqlite3.Connection, conversation_id: str, escalation: Escalation, now: float
) -> Ticket | None:
    """The customer is handed to people again soon after their ticket was solved: that
    ticket opens again (`ticket.reopened`) and queues, instead of a new one."""
    esc = escalation
    if esc.reopen_after is None:
        return None
    row = conn.execute(
        "SELECT id FROM tickets WHERE conversation_id = ? ORDER BY created_at DESC, id LIMIT 1",
        (conversation_id,),
    ).fetchone()
    last = _one(conn, row[0]) if row else None
    if last is None or last.status != "solved" or (last.solved_at or 0) < esc.reopen_after:
        return None
    conn.execute(
        "UPDATE tickets SET status = 'open', solved_at = NULL, team = ?, priority = ?,"
        " urgent = ? WHERE id = ?",
        (esc.team, esc.priority, int(esc.urgent), last.id),
    )
    conn.execute(
        "INSERT INTO handoffs (conversation_id, ticket_id, state, team, priority, urgent,"
        " frustration, enqueued_at) VALUES (?, ?, 'waiting', ?, ?, ?, ?, ?)",
        (conversation_id, last.id, esc.team, esc.priority, int(esc.urgent), esc.frustration, now),
    )
    data = reopen_data(last, esc)
    add_event(conn, conversation_id, "ticket.reopened", data, now)
    add_event(
        conn,
        conversation_id,
        "queue.entered",
        {"team": esc.team, "frustration": esc.frustration},
        now,
    )
    return _one(conn, last.id)
