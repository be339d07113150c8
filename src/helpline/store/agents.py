"""The agent-accounts part of the storage contract: agents, sessions, presence."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from helpline.errors import StoreError

ROLES = ("agent", "supervisor", "author")  # author: adds examples from the inbox
PRESENCE = ("online", "away", "offline")
MAX_EMAIL_CHARS = 254  # RFC 5321's limit on a forward path
MAX_NAME_CHARS = 100


@dataclass(frozen=True)
class Agent:
    id: str
    email: str
    name: str
    teams: tuple[str, ...]
    role: str  # agent | supervisor | author
    capacity: int  # max concurrent conversations
    created_at: float

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


def agent_row(agent: Agent, password_hash: str) -> tuple[object, ...]:
    """An agent's column values in the order every backend's agents table stores them."""
    teams = json.dumps(list(agent.teams), ensure_ascii=False)
    return (agent.id, agent.email, agent.name, teams, agent.role, agent.capacity,
            agent.created_at, password_hash)  # fmt: skip


@dataclass(frozen=True)
class Presence:
    agent_id: str
    status: str  # online | away | offline
    updated_at: float


@dataclass(frozen=True)
class AgentSession:
    """A live login: whose it is and when it ends unless used again."""

    agent: Agent
    expires_at: float


def check_agent(*, email: str, name: str, teams: tuple[str, ...], role: str, capacity: int) -> None:
    """Raise StoreError naming the first field that cannot be stored; before any write."""
    if not _looks_like_email(email):
        raise StoreError(f"email {email[:80]!r} is not an email address")
    if not name.strip() or len(name) > MAX_NAME_CHARS:
        raise StoreError(f"name must be 1-{MAX_NAME_CHARS} characters")
    if any(not team.strip() or "," in team for team in teams):
        raise StoreError(f"team names must be non-empty and without commas: {list(teams)}")
    if role not in ROLES:
        raise StoreError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        raise StoreError(f"capacity must be a whole number of at least 1, not {capacity!r}")


def _looks_like_email(email: str) -> bool:
    # deliberately loose: the address is a login name here, not something we mail to
    local, at, domain = email.rpartition("@")
    short = len(email) <= MAX_EMAIL_CHARS
    return bool(at and local and domain and short and not any(c.isspace() for c in email))


def check_presence(status: str) -> None:
    if status not in PRESENCE:
        raise StoreError(f"presence {status!r} is not one of {', '.join(PRESENCE)}")


@runtime_checkable
class AgentStore(Protocol):
    """Emails are unique and looked up ignoring ASCII case; sessions are keyed by the
    sha256 of their token, never the token itself."""

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
        """Raises StoreError when the email is taken or a field is invalid (check_agent)."""
        ...

    async def agent(self, agent_id: str) -> Agent | None: ...
    async def agent_by_email(self, email: str) -> tuple[Agent, str] | None:
        """The agent and its password hash, for login."""
        ...

    async def agents(self) -> list[Agent]: ...
    async def update_agent(
        self, agent_id: str, *, name: str, teams: tuple[str, ...], role: str, capacity: int
    ) -> Agent | None:
        """The account with these fields (check_agent first), or None for an unknown id."""
        ...

    async def locked_agent_ids(self) -> list[str]:
        """Agents whose login is locked (password.LOCKED before their hash)."""
        ...

    async def update_password_hash(self, agent_id: str, password_hash: str) -> None: ...
    async def set_password(self, agent_id: str, password_hash: str) -> int:
        """A new password: every session of the agent ends (how many did)."""
        ...

    async def create_session(self, agent_id: str, token_hash: str, expires_at: float) -> None: ...
    async def session_agent(self, token_hash: str, now: float) -> Agent | None:
        """The agent of an unexpired session, else None."""
        ...

    async def session(self, token_hash: str, now: float) -> AgentSession | None:
        """The unexpired session with its expiry (to decide whether to extend it), else None."""
        ...

    async def extend_session(self, token_hash: str, expires_at: float) -> None: ...
    async def delete_session(self, token_hash: str) -> None: ...
    async def delete_expired_sessions(self, now: float) -> int:
        """Forget sessions that ended; how many."""
        ...

    async def set_presence(self, agent_id: str, status: str, now: float) -> None:
        """Raises StoreError for an unknown status or agent."""
        ...

    async def presences(self) -> list[Presence]: ...


def agent_store(store: object) -> AgentStore:
    """The given store as an AgentStore; StoreError when its backend keeps no agents."""
    if not isinstance(store, AgentStore):
        raise StoreError(f"the {type(store).__name__} backend does not store agent accounts")
    return store
