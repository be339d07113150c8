"""The agent-accounts part of the storage contract: agents, sessions, presence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

ROLES = ("agent", "supervisor")
PRESENCE = ("online", "away", "offline")


@dataclass(frozen=True)
class Agent:
    id: str
    email: str
    name: str
    teams: tuple[str, ...]
    role: str  # agent | supervisor
    capacity: int  # max concurrent conversations
    created_at: float

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


@dataclass(frozen=True)
class Presence:
    agent_id: str
    status: str  # online | away | offline
    updated_at: float


class AgentStore(Protocol):
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
        """Raises StoreError when the email is taken."""
        ...

    async def agent(self, agent_id: str) -> Agent | None: ...
    async def agent_by_email(self, email: str) -> tuple[Agent, str] | None:
        """The agent and its password hash, for login."""
        ...

    async def agents(self) -> list[Agent]: ...
    async def update_password_hash(self, agent_id: str, password_hash: str) -> None: ...

    async def create_session(self, agent_id: str, token_hash: str, expires_at: float) -> None: ...
    async def session_agent(self, token_hash: str, now: float) -> Agent | None:
        """The agent of an unexpired session, else None."""
        ...

    async def extend_session(self, token_hash: str, expires_at: float) -> None: ...
    async def delete_session(self, token_hash: str) -> None: ...

    async def set_presence(self, agent_id: str, status: str, now: float) -> None: ...
    async def presences(self) -> list[Presence]: ...
