"""Agent accounts on PostgreSQL: the operations PostgresStore runs for AgentMethods."""

# Like postgres_ops: coroutines on a connection, each run in its own transaction.

from __future__ import annotations

import json

import asyncpg  # type: ignore[import-untyped]

from helpline.errors import StoreError
from helpline.store.agents import Agent, AgentSession, Presence, agent_row

_AGENT_COLUMNS = "id, email, name, teams, role, capacity, created_at"
_JOINED_AGENT = ", ".join("a." + c for c in _AGENT_COLUMNS.split(", "))


def _agent(row: asyncpg.Record) -> Agent:
    return Agent(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        teams=tuple(json.loads(row["teams"])),
        role=row["role"],
        capacity=row["capacity"],
        created_at=row["created_at"],
    )


async def insert_agent(conn: asyncpg.Connection, agent: Agent, password_hash: str) -> Agent:
    try:
        await conn.execute(
            f"INSERT INTO agents ({_AGENT_COLUMNS}, password_hash)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            *agent_row(agent, password_hash),
        )
    except asyncpg.UniqueViolationError as exc:
        raise StoreError(f"an agent with email {agent.email!r} already exists") from exc
    return agent


async def select_agent(conn: asyncpg.Connection, agent_id: str) -> Agent | None:
    row = await conn.fetchrow(f"SELECT {_AGENT_COLUMNS} FROM agents WHERE id = $1", agent_id)
    return _agent(row) if row else None


async def select_agent_by_email(conn: asyncpg.Connection, email: str) -> tuple[Agent, str] | None:
    # lower() on both sides, as the unique index: the lookup ignores case like SQLite's NOCASE
    row = await conn.fetchrow(
        f"SELECT {_AGENT_COLUMNS}, password_hash FROM agents WHERE lower(email) = lower($1)",
        email.strip(),
    )
    return (_agent(row), row["password_hash"]) if row else None


async def select_agents(conn: asyncpg.Connection) -> list[Agent]:
    rows = await conn.fetch(f"SELECT {_AGENT_COLUMNS} FROM agents ORDER BY created_at, email")
    return [_agent(r) for r in rows]


async def update_password(conn: asyncpg.Connection, agent_id: str, password_hash: str) -> None:
    status = await conn.execute(
        "UPDATE agents SET password_hash = $1 WHERE id = $2", password_hash, agent_id
    )
    if status == "UPDATE 0":
        raise StoreError(f"no agent {agent_id!r}")


async def replace_password(conn: asyncpg.Connection, agent_id: str, password_hash: str) -> int:
    await update_password(conn, agent_id, password_hash)
    status = await conn.execute("DELETE FROM agent_sessions WHERE agent_id = $1", agent_id)
    return int(status.rpartition(" ")[2])


async def insert_session(
    conn: asyncpg.Connection, agent_id: str, token_hash: str, expires_at: float
) -> None:
    try:
        await conn.execute(
            "INSERT INTO agent_sessions (token_hash, agent_id, expires_at) VALUES ($1, $2, $3)",
            token_hash,
            agent_id,
            expires_at,
        )
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise StoreError(f"cannot start a session for agent {agent_id!r}: {exc}") from exc


async def select_session(
    conn: asyncpg.Connection, token_hash: str, now: float
) -> AgentSession | None:
    row = await conn.fetchrow(
        f"SELECT s.expires_at, {_JOINED_AGENT} FROM agent_sessions s"
        " JOIN agents a ON a.id = s.agent_id WHERE s.token_hash = $1 AND s.expires_at > $2",
        token_hash,
        now,
    )
    return AgentSession(_agent(row), row["expires_at"]) if row else None


async def lengthen_session(conn: asyncpg.Connection, token_hash: str, expires_at: float) -> None:
    # never shortens: two requests extending at once must not undo each other
    await conn.execute(
        "UPDATE agent_sessions SET expires_at = GREATEST(expires_at, $1) WHERE token_hash = $2",
        expires_at,
        token_hash,
    )


async def delete_session_row(conn: asyncpg.Connection, token_hash: str) -> None:
    await conn.execute("DELETE FROM agent_sessions WHERE token_hash = $1", token_hash)


async def delete_expired(conn: asyncpg.Connection, now: float) -> int:
    status = await conn.execute("DELETE FROM agent_sessions WHERE expires_at <= $1", now)
    return int(status.rpartition(" ")[2])


async def upsert_presence(conn: asyncpg.Connection, agent_id: str, status: str, now: float) -> None:
    try:
        await conn.execute(
            "INSERT INTO agent_presence (agent_id, status, updated_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (agent_id) DO UPDATE SET status = excluded.status,"
            " updated_at = excluded.updated_at",
            agent_id,
            status,
            now,
        )
    except asyncpg.ForeignKeyViolationError as exc:
        raise StoreError(f"no agent {agent_id!r}") from exc


async def select_presences(conn: asyncpg.Connection) -> list[Presence]:
    rows = await conn.fetch(
        "SELECT agent_id, status, updated_at FROM agent_presence ORDER BY agent_id"
    )
    return [Presence(r["agent_id"], r["status"], r["updated_at"]) for r in rows]
