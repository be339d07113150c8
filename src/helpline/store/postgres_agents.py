"""The AgentStore operations on PostgreSQL: coroutines on a connection."""

# Like postgres_conversations: the connection, then the AgentStore method's own arguments.

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]

from helpline.errors import StoreError
from helpline.password import LOCKED
from helpline.store.agents import Agent, AgentSession, Presence, agent_row, check_presence
from helpline.store.rows import AGENT_COLUMNS, dump, new_agent, qualified, to_agent

_SESSION_AGENT = (
    f"SELECT {qualified(AGENT_COLUMNS, 'a')}, s.expires_at FROM agent_sessions s"
    " JOIN agents a ON a.id = s.agent_id WHERE s.token_hash = $1 AND s.expires_at > $2"
)


def _count(status: str) -> int:
    """The rows a command touched, from its status ("DELETE 3")."""
    return int(status.rpartition(" ")[2])


async def create_agent(
    conn: asyncpg.Connection, *, email: str, name: str, teams: tuple[str, ...], role: str,
    capacity: int, password_hash: str, now: float,
) -> Agent:  # fmt: skip
    agent = new_agent(email=email, name=name, teams=teams, role=role, capacity=capacity, now=now)
    try:
        await conn.execute(
            f"INSERT INTO agents ({AGENT_COLUMNS}, password_hash)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            *agent_row(agent, password_hash),
        )
    except asyncpg.UniqueViolationError as exc:
        raise StoreError(f"an agent with email {agent.email!r} already exists") from exc
    return agent


async def agent(conn: asyncpg.Connection, agent_id: str) -> Agent | None:
    row = await conn.fetchrow(f"SELECT {AGENT_COLUMNS} FROM agents WHERE id = $1", agent_id)
    return to_agent(row) if row else None


async def agent_by_email(conn: asyncpg.Connection, email: str) -> tuple[Agent, str] | None:
    # lower() on both sides, as the unique index: the lookup ignores case like SQLite's NOCASE
    row = await conn.fetchrow(
        f"SELECT {AGENT_COLUMNS}, password_hash FROM agents WHERE lower(email) = lower($1)",
        email.strip(),
    )
    return (to_agent(row), row[7]) if row else None


async def agents(conn: asyncpg.Connection) -> list[Agent]:
    rows = await conn.fetch(f"SELECT {AGENT_COLUMNS} FROM agents ORDER BY created_at, email")
    return [to_agent(r) for r in rows]


async def update_agent(
    conn: asyncpg.Connection, agent_id: str, *, name: str, teams: tuple[str, ...], role: str,
    capacity: int,
) -> Agent | None:  # fmt: skip
    await conn.execute(
        "UPDATE agents SET name = $1, teams = $2, role = $3, capacity = $4 WHERE id = $5",
        name, dump(list(teams)), role, capacity, agent_id,
    )  # fmt: skip
    return await agent(conn, agent_id)


async def locked_agent_ids(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        "SELECT id FROM agents WHERE substr(password_hash, 1, 1) = $1 ORDER BY id", LOCKED
    )
    return [r[0] for r in rows]


async def update_password_hash(conn: asyncpg.Connection, agent_id: str, password_hash: str) -> None:
    status = await conn.execute(
        "UPDATE agents SET password_hash = $1 WHERE id = $2", password_hash, agent_id
    )
    if _count(status) == 0:
        raise StoreError(f"no agent {agent_id!r}")


async def set_password(conn: asyncpg.Connection, agent_id: str, password_hash: str) -> int:
    await update_password_hash(conn, agent_id, password_hash)
    return _count(await conn.execute("DELETE FROM agent_sessions WHERE agent_id = $1", agent_id))


async def create_session(
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


async def session(conn: asyncpg.Connection, token_hash: str, now: float) -> AgentSession | None:
    row = await conn.fetchrow(_SESSION_AGENT, token_hash, now)
    return AgentSession(to_agent(row), row[7]) if row else None


async def session_agent(conn: asyncpg.Connection, token_hash: str, now: float) -> Agent | None:
    found = await session(conn, token_hash, now)
    return found.agent if found else None


async def extend_session(conn: asyncpg.Connection, token_hash: str, expires_at: float) -> None:
    # never shortens: two requests extending at once must not undo each other
    await conn.execute(
        "UPDATE agent_sessions SET expires_at = GREATEST(expires_at, $1) WHERE token_hash = $2",
        expires_at,
        token_hash,
    )


async def delete_session(conn: asyncpg.Connection, token_hash: str) -> None:
    await conn.execute("DELETE FROM agent_sessions WHERE token_hash = $1", token_hash)


async def delete_expired_sessions(conn: asyncpg.Connection, now: float) -> int:
    return _count(await conn.execute("DELETE FROM agent_sessions WHERE expires_at <= $1", now))


async def set_presence(conn: asyncpg.Connection, agent_id: str, status: str, now: float) -> None:
    check_presence(status)
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


async def presences(conn: asyncpg.Connection) -> list[Presence]:
    rows = await conn.fetch(
        "SELECT agent_id, status, updated_at FROM agent_presence ORDER BY agent_id"
    )
    return [Presence(r[0], r[1], r[2]) for r in rows]
