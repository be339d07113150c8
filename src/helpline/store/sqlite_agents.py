"""The AgentStore operations on SQLite: plain functions on a connection."""

# Like sqlite_conversations: the connection, then the AgentStore method's own arguments.

from __future__ import annotations

import sqlite3

from helpline.errors import StoreError
from helpline.password import LOCKED
from helpline.store.agents import Agent, AgentSession, Presence, agent_row, check_presence
from helpline.store.rows import AGENT_COLUMNS, dump, new_agent, qualified, to_agent

_SESSION_AGENT = (
    f"SELECT {qualified(AGENT_COLUMNS, 'a')}, s.expires_at FROM agent_sessions s"
    " JOIN agents a ON a.id = s.agent_id WHERE s.token_hash = ? AND s.expires_at > ?"
)


def create_agent(
    conn: sqlite3.Connection, *, email: str, name: str, teams: tuple[str, ...], role: str,
    capacity: int, password_hash: str, now: float,
) -> Agent:  # fmt: skip
    agent = new_agent(email=email, name=name, teams=teams, role=role, capacity=capacity, now=now)
    try:
        conn.execute(
            f"INSERT INTO agents ({AGENT_COLUMNS}, password_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            agent_row(agent, password_hash),
        )
    except sqlite3.IntegrityError as exc:
        if "agents.email" in str(exc):
            raise StoreError(f"an agent with email {agent.email!r} already exists") from exc
        raise
    return agent


def agent(conn: sqlite3.Connection, agent_id: str) -> Agent | None:
    row = conn.execute(f"SELECT {AGENT_COLUMNS} FROM agents WHERE id = ?", (agent_id,)).fetchone()
    return to_agent(row) if row else None


def agent_by_email(conn: sqlite3.Connection, email: str) -> tuple[Agent, str] | None:
    # the column is COLLATE NOCASE, so this comparison (and the unique index) ignore case
    row = conn.execute(
        f"SELECT {AGENT_COLUMNS}, password_hash FROM agents WHERE email = ?", (email.strip(),)
    ).fetchone()
    return (to_agent(row), row[7]) if row else None


def agents(conn: sqlite3.Connection) -> list[Agent]:
    rows = conn.execute(f"SELECT {AGENT_COLUMNS} FROM agents ORDER BY created_at, email")
    return [to_agent(r) for r in rows]


def update_agent(
    conn: sqlite3.Connection, agent_id: str, *, name: str, teams: tuple[str, ...], role: str,
    capacity: int,
) -> Agent | None:  # fmt: skip
    conn.execute(
        "UPDATE agents SET name = ?, teams = ?, role = ?, capacity = ? WHERE id = ?",
        (name, dump(list(teams)), role, capacity, agent_id),
    )
    return agent(conn, agent_id)


def locked_agent_ids(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT id FROM agents WHERE substr(password_hash, 1, 1) = ? ORDER BY id", (LOCKED,)
    )
    return [r[0] for r in rows]


def update_password_hash(conn: sqlite3.Connection, agent_id: str, password_hash: str) -> None:
    cur = conn.execute(
        "UPDATE agents SET password_hash = ? WHERE id = ?", (password_hash, agent_id)
    )
    if cur.rowcount == 0:
        raise StoreError(f"no agent {agent_id!r}")


def set_password(conn: sqlite3.Connection, agent_id: str, password_hash: str) -> int:
    update_password_hash(conn, agent_id, password_hash)
    return conn.execute("DELETE FROM agent_sessions WHERE agent_id = ?", (agent_id,)).rowcount


def create_session(
    conn: sqlite3.Connection, agent_id: str, token_hash: str, expires_at: float
) -> None:
    try:
        conn.execute(
            "INSERT INTO agent_sessions (token_hash, agent_id, expires_at) VALUES (?, ?, ?)",
            (token_hash, agent_id, expires_at),
        )
    except sqlite3.IntegrityError as exc:
        raise StoreError(f"cannot start a session for agent {agent_id!r}: {exc}") from exc


def session(conn: sqlite3.Connection, token_hash: str, now: float) -> AgentSession | None:
    row = conn.execute(_SESSION_AGENT, (token_hash, now)).fetchone()
    return AgentSession(to_agent(row), row[7]) if row else None


def session_agent(conn: sqlite3.Connection, token_hash: str, now: float) -> Agent | None:
    found = session(conn, token_hash, now)
    return found.agent if found else None


def extend_session(conn: sqlite3.Connection, token_hash: str, expires_at: float) -> None:
    # never shortens: two requests extending at once must not undo each other
    conn.execute(
        "UPDATE agent_sessions SET expires_at = MAX(expires_at, ?) WHERE token_hash = ?",
        (expires_at, token_hash),
    )


def delete_session(conn: sqlite3.Connection, token_hash: str) -> None:
    conn.execute("DELETE FROM agent_sessions WHERE token_hash = ?", (token_hash,))


def delete_expired_sessions(conn: sqlite3.Connection, now: float) -> int:
    return conn.execute("DELETE FROM agent_sessions WHERE expires_at <= ?", (now,)).rowcount


def set_presence(conn: sqlite3.Connection, agent_id: str, status: str, now: float) -> None:
    check_presence(status)
    try:
        conn.execute(
            "INSERT INTO agent_presence (agent_id, status, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (agent_id) DO UPDATE SET status = excluded.status,"
            " updated_at = excluded.updated_at",
            (agent_id, status, now),
        )
    except sqlite3.IntegrityError as exc:
        raise StoreError(f"no agent {agent_id!r}") from exc


def presences(conn: sqlite3.Connection) -> list[Presence]:
    rows = conn.execute("SELECT agent_id, status, updated_at FROM agent_presence ORDER BY agent_id")
    return [Presence(*r) for r in rows]
