"""Agent accounts on SQLite: the operations SQLiteStore runs for AgentMethods."""

# Like sqlite_ops: plain functions on a connection, each run atomically on the store's
# worker thread (inside a savepoint), so a failure halfway leaves nothing behind.

from __future__ import annotations

import json
import sqlite3
from typing import Any

from helpline.errors import StoreError
from helpline.store.agents import Agent, AgentSession, Presence, agent_row

_AGENT_COLUMNS = "id, email, name, teams, role, capacity, created_at"


def _agent(row: tuple[Any, ...]) -> Agent:
    return Agent(
        id=row[0],
        email=row[1],
        name=row[2],
        teams=tuple(json.loads(row[3])),
        role=row[4],
        capacity=row[5],
        created_at=row[6],
    )


def insert_agent(conn: sqlite3.Connection, agent: Agent, password_hash: str) -> Agent:
    try:
        conn.execute(
            f"INSERT INTO agents ({_AGENT_COLUMNS}, password_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            agent_row(agent, password_hash),
        )
    except sqlite3.IntegrityError as exc:
        if "agents.email" in str(exc):
            raise StoreError(f"an agent with email {agent.email!r} already exists") from exc
        raise
    return agent


def select_agent(conn: sqlite3.Connection, agent_id: str) -> Agent | None:
    row = conn.execute(f"SELECT {_AGENT_COLUMNS} FROM agents WHERE id = ?", (agent_id,)).fetchone()
    return _agent(row) if row else None


def select_agent_by_email(conn: sqlite3.Connection, email: str) -> tuple[Agent, str] | None:
    # the column is COLLATE NOCASE, so this comparison (and the unique index) ignore case
    row = conn.execute(
        f"SELECT {_AGENT_COLUMNS}, password_hash FROM agents WHERE email = ?", (email.strip(),)
    ).fetchone()
    return (_agent(row), row[7]) if row else None


def select_agents(conn: sqlite3.Connection) -> list[Agent]:
    rows = conn.execute(f"SELECT {_AGENT_COLUMNS} FROM agents ORDER BY created_at, email")
    return [_agent(r) for r in rows]


def update_password(conn: sqlite3.Connection, agent_id: str, password_hash: str) -> None:
    cur = conn.execute(
        "UPDATE agents SET password_hash = ? WHERE id = ?", (password_hash, agent_id)
    )
    if cur.rowcount == 0:
        raise StoreError(f"no agent {agent_id!r}")


def replace_password(conn: sqlite3.Connection, agent_id: str, password_hash: str) -> int:
    update_password(conn, agent_id, password_hash)
    return conn.execute("DELETE FROM agent_sessions WHERE agent_id = ?", (agent_id,)).rowcount


def insert_session(
    conn: sqlite3.Connection, agent_id: str, token_hash: str, expires_at: float
) -> None:
    try:
        conn.execute(
            "INSERT INTO agent_sessions (token_hash, agent_id, expires_at) VALUES (?, ?, ?)",
            (token_hash, agent_id, expires_at),
        )
    except sqlite3.IntegrityError as exc:
        raise StoreError(f"cannot start a session for agent {agent_id!r}: {exc}") from exc


def select_session(conn: sqlite3.Connection, token_hash: str, now: float) -> AgentSession | None:
    row = conn.execute(
        f"SELECT s.expires_at, {', '.join('a.' + c for c in _AGENT_COLUMNS.split(', '))}"
        " FROM agent_sessions s JOIN agents a ON a.id = s.agent_id"
        " WHERE s.token_hash = ? AND s.expires_at > ?",
        (token_hash, now),
    ).fetchone()
    return AgentSession(_agent(row[1:]), row[0]) if row else None


def lengthen_session(conn: sqlite3.Connection, token_hash: str, expires_at: float) -> None:
    # never shortens: two requests extending at once must not undo each other
    conn.execute(
        "UPDATE agent_sessions SET expires_at = MAX(expires_at, ?) WHERE token_hash = ?",
        (expires_at, token_hash),
    )


def delete_session_row(conn: sqlite3.Connection, token_hash: str) -> None:
    conn.execute("DELETE FROM agent_sessions WHERE token_hash = ?", (token_hash,))


def delete_expired(conn: sqlite3.Connection, now: float) -> int:
    return conn.execute("DELETE FROM agent_sessions WHERE expires_at <= ?", (now,)).rowcount


def upsert_presence(conn: sqlite3.Connection, agent_id: str, status: str, now: float) -> None:
    try:
        conn.execute(
            "INSERT INTO agent_presence (agent_id, status, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (agent_id) DO UPDATE SET status = excluded.status,"
            " updated_at = excluded.updated_at",
            (agent_id, status, now),
        )
    except sqlite3.IntegrityError as exc:
        raise StoreError(f"no agent {agent_id!r}") from exc


def select_presences(conn: sqlite3.Connection) -> list[Presence]:
    rows = conn.execute("SELECT agent_id, status, updated_at FROM agent_presence ORDER BY agent_id")
    return [Presence(*r) for r in rows]
