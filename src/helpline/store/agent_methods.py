"""The AgentStore methods, written once for every backend."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, Protocol

from helpline.store.agents import Agent, AgentSession, Presence, check_agent, check_presence
from helpline.store.operation import OperationRunner, Result


class AgentOps(Protocol):
    """What a backend's agents module (sqlite_agents, postgres_agents) provides; each
    operation takes the backend's connection first."""

    def insert_agent(self, conn: Any, agent: Agent, password_hash: str, /) -> Result[Agent]: ...
    def select_agent(self, conn: Any, agent_id: str, /) -> Result[Agent | None]: ...

    def select_agent_by_email(
        self, conn: Any, email: str, /
    ) -> Result[tuple[Agent, str] | None]: ...

    def select_agents(self, conn: Any, /) -> Result[list[Agent]]: ...

    def update_password(self, conn: Any, agent_id: str, password_hash: str, /) -> Result[None]: ...

    def replace_password(self, conn: Any, agent_id: str, password_hash: str, /) -> Result[int]: ...

    def insert_session(
        self, conn: Any, agent_id: str, token_hash: str, expires_at: float, /
    ) -> Result[None]: ...

    def select_session(
        self, conn: Any, token_hash: str, now: float, /
    ) -> Result[AgentSession | None]: ...

    def lengthen_session(
        self, conn: Any, token_hash: str, expires_at: float, /
    ) -> Result[None]: ...

    def delete_session_row(self, conn: Any, token_hash: str, /) -> Result[None]: ...
    def delete_expired(self, conn: Any, now: float, /) -> Result[int]: ...

    def upsert_presence(
        self, conn: Any, agent_id: str, status: str, now: float, /
    ) -> Result[None]: ...

    def select_presences(self, conn: Any, /) -> Result[list[Presence]]: ...


class AgentMethods(OperationRunner):
    """Mixed into a store, which names its operations in `_agent_ops`."""

    _agent_ops: ClassVar[AgentOps]

    async def create_agent(
        self,
        *,
        email: str,
        name: str,
        teams: tuple[str, ...],
        role: str,
        capacity: int,
        password_hash: str,
        now: float,
    ) -> Agent:
        email, name, teams = email.strip(), name.strip(), tuple(t.strip() for t in teams)
        check_agent(email=email, name=name, teams=teams, role=role, capacity=capacity)
        new = Agent(f"a_{uuid.uuid4().hex}", email, name, teams, role, capacity, now)
        return await self._run(self._agent_ops.insert_agent, new, password_hash)

    async def agent(self, agent_id: str) -> Agent | None:
        return await self._run(self._agent_ops.select_agent, agent_id)

    async def agent_by_email(self, email: str) -> tuple[Agent, str] | None:
        return await self._run(self._agent_ops.select_agent_by_email, email)

    async def agents(self) -> list[Agent]:
        return await self._run(self._agent_ops.select_agents)

    async def update_password_hash(self, agent_id: str, password_hash: str) -> None:
        await self._run(self._agent_ops.update_password, agent_id, password_hash)

    async def set_password(self, agent_id: str, password_hash: str) -> int:
        return await self._run(self._agent_ops.replace_password, agent_id, password_hash)

    async def create_session(self, agent_id: str, token_hash: str, expires_at: float) -> None:
        await self._run(self._agent_ops.insert_session, agent_id, token_hash, expires_at)

    async def session(self, token_hash: str, now: float) -> AgentSession | None:
        return await self._run(self._agent_ops.select_session, token_hash, now)

    async def session_agent(self, token_hash: str, now: float) -> Agent | None:
        found = await self.session(token_hash, now)
        return found.agent if found else None

    async def extend_session(self, token_hash: str, expires_at: float) -> None:
        await self._run(self._agent_ops.lengthen_session, token_hash, expires_at)

    async def delete_session(self, token_hash: str) -> None:
        await self._run(self._agent_ops.delete_session_row, token_hash)

    async def delete_expired_sessions(self, now: float) -> int:
        return await self._run(self._agent_ops.delete_expired, now)

    async def set_presence(self, agent_id: str, status: str, now: float) -> None:
        check_presence(status)
        await self._run(self._agent_ops.upsert_presence, agent_id, status, now)

    async def presences(self) -> list[Presence]:
        return await self._run(self._agent_ops.select_presences)
