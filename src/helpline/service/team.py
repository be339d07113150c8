"""Team management for supervisors: the agents with their load and presence, the teams,
adding an agent, and changing one (teams, capacity, role, name, lock); every change
reaches routing at once on every node through the handoff service."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

from helpline.errors import ProtocolError, TeamError
from helpline.password import Passwords, is_locked, locked, unlocked
from helpline.service.handoff.actions import AgentDesk
from helpline.service.handoff.service import HandoffService
from helpline.service.team_change import AgentChange, NewAgent
from helpline.store.agents import Agent

log = logging.getLogger(__name__)

# 16 URL-safe characters, 96 bits: never guessed within the login limits, short to pass on
INITIAL_PASSWORD_BYTES = 12


class TeamDesk:
    def __init__(
        self, handoff: HandoffService, desk: AgentDesk, passwords: Callable[[], Passwords],
        clock: Callable[[], float],
    ) -> None:  # fmt: skip
        self.handoff = handoff
        self.desk = desk
        self.accounts = handoff.accounts
        self.board = handoff.board
        self.passwords = passwords  # looked up when needed: the app builds it at start-up
        self.clock = clock

    async def agents(self, supervisor: Agent) -> list[dict[str, Any]]:
        _must_supervise(supervisor)
        locked_ids = set(await self.accounts.locked_agent_ids())
        return [self._view(a, a.id in locked_ids) for a in await self.accounts.agents()]

    async def teams(self, supervisor: Agent) -> list[dict[str, Any]]:
        """Every team an agent is in (and the fallback team), its members, who is online."""
        members: dict[str, list[dict[str, Any]]] = {self.handoff.settings.fallback_team: []}
        for view in await self.agents(supervisor):
            for team in view["teams"]:
                members.setdefault(team, []).append(view)
        return [
            {
                "name": team,
                "members": [_member(v) for v in found],
                "online": sum(1 for v in found if v["online"] and not v["locked"]),
            }
            for team, found in sorted(members.items())
        ]

    async def add(self, supervisor: Agent, new: NewAgent) -> tuple[dict[str, Any], str]:
        """The new agent's view and its initial password, which is shown this once."""
        _must_supervise(supervisor)
        if await self.accounts.agent_by_email(new.email) is not None:
            raise TeamError(
                "conflict", f"an agent with email {new.email!r} already exists", "email"
            )
        password = secrets.token_urlsafe(INITIAL_PASSWORD_BYTES)
        agent = await self.accounts.create_agent(
            email=new.email, name=new.name, teams=new.teams, role=new.role,
            capacity=new.capacity, password_hash=await self.passwords().hash(password),
            now=self.clock(),
        )  # fmt: skip
        log.info("supervisor %s added agent %s", supervisor.id, agent.id)
        await self.handoff.account_changed(agent.id)
        return self._view(agent, False), password

    async def change(self, supervisor: Agent, agent_id: str, change: AgentChange) -> dict[str, Any]:
        _must_supervise(supervisor)
        agent = await self.accounts.agent(agent_id)
        if agent is None:
            raise TeamError("not_found", f"no agent {agent_id[:40]!r}")
        _not_against_self(supervisor, agent, change)
        changed = await self.accounts.update_agent(
            agent.id, name=change.name or agent.name, teams=_or(change.teams, agent.teams),
            role=change.role or agent.role, capacity=change.capacity or agent.capacity,
        )  # fmt: skip
        if changed is None:  # removed between the two reads
            raise TeamError("not_found", f"no agent {agent_id[:40]!r}")
        now_locked = await self._lock(agent, change.locked)
        if now_locked:
            await self._requeue(changed)
        await self.handoff.account_changed(agent.id)
        log.info("supervisor %s changed agent %s", supervisor.id, agent.id)
        return self._view(changed, now_locked)

    async def _lock(self, agent: Agent, wanted: bool | None) -> bool:
        """Lock or unlock as asked; whether the account is locked now. Locking ends every
        session of the agent's (an open console closes at its next session check)."""
        found = await self.accounts.agent_by_email(agent.email)
        password_hash = found[1] if found else ""
        if wanted is None or wanted == is_locked(password_hash):
            return is_locked(password_hash)
        new_hash = locked(password_hash) if wanted else unlocked(password_hash)
        ended = await self.accounts.set_password(agent.id, new_hash)
        log.info(
            "agent %s %s; %d session(s) ended", agent.id, "locked" if wanted else "unlocked", ended
        )
        return wanted

    async def _requeue(self, agent: Agent) -> None:
        """A locked agent cannot answer: their conversations go back to the line of their
        team (or the fallback team when no one else is in it), first in it as they waited
        longest, rather than leaving customers with nobody."""
        fallback = self.handoff.settings.fallback_team
        for row in self.board.mine(agent.id):
            others = {t for a in self.board.agents.values() if a.id != agent.id for t in a.teams}
            team = row.team if row.team in others else fallback
            try:
                await self.desk.transfer(
                    agent, row.conversation_id, to_agent=None, to_team=team, note=None
                )
            except ProtocolError as exc:  # closed or moved meanwhile: nothing to give back
                log.info("conversation %s not requeued: %s", row.conversation_id, exc)

    def _view(self, agent: Agent, locked_now: bool) -> dict[str, Any]:
        presence = self.board.presence.get(agent.id, "offline")
        return {
            "id": agent.id, "name": agent.name, "email": agent.email, "role": agent.role,
            "teams": list(agent.teams), "capacity": agent.capacity, "locked": locked_now,
            "presence": presence, "online": presence == "online" and not locked_now,
            "load": len(self.board.mine(agent.id)) + len(self.board.offers_to(agent.id)),
        }  # fmt: skip


def _member(view: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "name", "role", "online", "locked", "load", "capacity")
    return {key: view[key] for key in keys}


def _or(value: tuple[str, ...] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    return default if value is None else value


def _must_supervise(agent: Agent) -> None:
    if not agent.is_supervisor:
        raise TeamError("forbidden", "only supervisors manage the team")


def _not_against_self(supervisor: Agent, agent: Agent, change: AgentChange) -> None:
    """A supervisor neither locks nor demotes themselves: the desk might be left with no one
    able to undo it."""
    if agent.id != supervisor.id:
        return
    if change.locked:
        raise TeamError("conflict", "you cannot lock your own account", "locked")
    if change.role is not None and change.role != "supervisor":
        raise TeamError("conflict", "you cannot change your own role", "role")
