"""The tickets supervisors and agents see and change: the list with due times, and
changes of status, priority, tags, assignee and team kept in step with the live queue."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from helpline.errors import ProtocolError, TicketError
from helpline.service.handoff import topics
from helpline.service.handoff.actions import AgentDesk
from helpline.service.rules_holder import RulesHolder
from helpline.service.sla.timer import TicketSla, compute, hours_for, ticket_events
from helpline.service.sla.view import ticket_with_sla
from helpline.sla import PRIORITIES
from helpline.store.agents import Agent, agent_store
from helpline.store.handoff import TICKET_STATUSES, Handoff, Ticket
from helpline.store.tickets import UNSOLVED, TicketChange, TicketRecord, ticket_store

log = logging.getLogger(__name__)

MAX_LIST = 500
MAX_CHECKED = 5000  # unsolved tickets whose timers one pass works out, oldest first
MAX_TAGS = 20
MAX_TAG_CHARS = 40
MAX_NAME_CHARS = 100
FIELDS = ("status", "priority", "tags", "assignee", "team")


class TicketDesk:
    """Agents see their teams' tickets, supervisors every one; only supervisors change
    them. A change to a conversation still with people goes through the desk (a new
    assignee is a transfer), so the queue on every node sees it at once."""

    def __init__(
        self, store: object, rules: RulesHolder, clock: Callable[[], float], desk: AgentDesk
    ) -> None:
        self.store = ticket_store(store)
        self.accounts = agent_store(store)
        self.rules = rules
        self.clock = clock
        self.desk = desk

    def sla(self, record: TicketRecord, now: float, dues: bool = True) -> TicketSla:
        config = self.rules.current.rulebook.config
        ticket = record.ticket
        hours = hours_for(config.sla, config.business_hours, ticket.team)
        events = ticket_events(record.events, ticket.id)
        return compute(ticket.id, ticket.priority, events, config.sla, hours, now, dues)

    async def listed(
        self, agent: Agent, statuses: Sequence[str] = UNSOLVED, team: str | None = None,
        limit: int = MAX_LIST,
    ) -> list[dict[str, Any]]:  # fmt: skip
        teams = _visible_teams(agent, team)
        if teams == ():
            return []
        now = self.clock()
        found = await self.store.ticket_list(statuses, teams, limit)
        return [ticket_with_sla(r.ticket, self.sla(r, now)) for r in found]

    async def conversations_in_sla_state(self, states: Collection[str]) -> tuple[str, ...]:
        """The conversations of unsolved tickets whose SLA is in one of `states` now (warning:
        amber, breached: red, as the ticket list shows them), of the oldest MAX_CHECKED."""
        now = self.clock()
        found = await self.store.ticket_list(UNSOLVED, None, MAX_CHECKED)
        late = (
            r.ticket.conversation_id for r in found if self.sla(r, now, dues=False).state in states
        )
        return tuple(dict.fromkeys(late))

    async def one(self, agent: Agent, ticket_id: str) -> dict[str, Any]:
        record = await self._record(ticket_id)
        if not _may_see(agent, record.ticket):
            raise TicketError("not_found", f"no ticket {ticket_id[:60]!r}")
        return ticket_with_sla(record.ticket, self.sla(record, self.clock()))

    async def change(self, agent: Agent, ticket_id: str, change: TicketChange) -> dict[str, Any]:
        """Validate everything first, then write: a refused change writes nothing."""
        if not agent.is_supervisor:
            raise TicketError("forbidden", "only supervisors change tickets")
        record = await self._record(ticket_id)
        row = self.desk.board.rows.get(record.ticket.conversation_id)
        if change.status == "solved" and row is not None:
            raise TicketError(
                "conflict", "the conversation is still with people: close it in the console,"
                " which solves its ticket",
            )  # fmt: skip
        if change.assignee is not None:
            await self._assignable(change.assignee)
        if change.team is not None:
            await self.desk.service.know_team(change.team)
        if change.assignee is not None and change.assignee != record.ticket.assignee:
            await self._reassign(record.ticket, change.assignee, row)
        changed = await self.store.change_ticket(ticket_id, change, agent.id, self.clock())
        if changed is None:
            raise TicketError("not_found", f"no ticket {ticket_id[:60]!r}")
        log.info("supervisor %s changed ticket %s", agent.id, ticket_id)
        await self.queue_moved(changed.conversation_id, change)
        return await self.one(agent, ticket_id)

    async def _record(self, ticket_id: str) -> TicketRecord:
        record = await self.store.ticket(ticket_id)
        if record is None:
            raise TicketError("not_found", f"no ticket {ticket_id[:60]!r}")
        return record

    async def _assignable(self, agent_id: str) -> Agent:
        found = await self.accounts.agent(agent_id)
        if found is None:
            raise TicketError("not_found", f"no agent {agent_id[:60]!r}")
        return found

    async def _reassign(self, ticket: Ticket, to_agent: str, row: Handoff | None) -> None:
        """A conversation an agent has moves to the new assignee as a transfer would;
        one in line is the queue's to give (to the next free agent of its team)."""
        if row is None:
            return  # nobody has it: only the ticket changes
        if row.state != "assigned" or row.agent_id is None:
            raise TicketError(
                "conflict", "the conversation is waiting in the queue for the next free agent"
                " of its team; change its team, or take it and transfer it",
            )  # fmt: skip
        holder = await self._assignable(row.agent_id)
        try:
            await self.desk.transfer(
                holder, ticket.conversation_id, to_agent=to_agent, to_team=None, note=None
            )
        except ProtocolError as exc:
            raise TicketError("conflict", exc.message) from exc

    async def queue_moved(self, conversation_id: str, change: TicketChange) -> None:
        """Priority and team change the queue row: re-read it here, tell other nodes."""
        if change.priority is None and change.team is None:
            return
        service = self.desk.service
        before = service.board.rows.get(conversation_id)
        after = await service.sync.refresh_conversation(conversation_id)
        await service.sync.notify(conversation=conversation_id)
        offered_to = before.agent_id if before is not None and before.state == "offered" else None
        if offered_to is not None and (after is None or after.agent_id != offered_to):
            # taken back to the line (another team's): that console drops the offer
            await self.desk.to_agent(offered_to, topics.released(conversation_id, "moved"))
        await service.changed()


def _visible_teams(agent: Agent, team: str | None) -> tuple[str, ...] | None:
    """None: every team (a supervisor, no team asked); (): none of what was asked."""
    if agent.is_supervisor:
        return None if team is None else (team,)
    mine = tuple(agent.teams)
    return mine if team is None else tuple(t for t in mine if t == team)


def _may_see(agent: Agent, ticket: Ticket) -> bool:
    return agent.is_supervisor or ticket.team in agent.teams


def change_from(body: object) -> TicketChange:
    """A PATCH body ({"status", "priority", "tags", "assignee", "team"}, any of them) as a
    TicketChange; TicketError(bad_request) saying what is wrong."""
    if not isinstance(body, Mapping) or not body:
        raise _bad(f"the body must be a JSON object with any of {', '.join(FIELDS)}")
    unknown = [str(k)[:40] for k in body if k not in FIELDS]
    if unknown:
        raise _bad(f"unknown field {unknown[0]!r}; use {', '.join(FIELDS)}")
    status = _choice(body, "status", TICKET_STATUSES)
    priority = _choice(body, "priority", PRIORITIES)
    return TicketChange(
        status=status, priority=priority, tags=_tags(body.get("tags")),
        assignee=_name(body, "assignee"), team=_name(body, "team"),
    )  # fmt: skip


def statuses_from(text: str | None) -> tuple[str, ...]:
    """?status=open,pending (default: the unsolved ones)."""
    if not text:
        return UNSOLVED
    wanted = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    wrong = [s for s in wanted if s not in TICKET_STATUSES]
    if wrong or not wanted:
        raise _bad(f"status must be some of {', '.join(TICKET_STATUSES)}, comma-separated")
    return wanted


def _choice(body: Mapping[str, Any], key: str, choices: Sequence[str]) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if value not in choices:
        raise _bad(f"{key} must be one of {', '.join(choices)}")
    return str(value)


def _tags(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_TAGS:
        raise _bad(f"tags must be a list of at most {MAX_TAGS} texts")
    tags: list[str] = []
    for tag in value:
        if not isinstance(tag, str) or not 0 < len(tag.strip()) <= MAX_TAG_CHARS:
            raise _bad(f"each tag must be a text of 1-{MAX_TAG_CHARS} characters")
        if tag.strip() not in tags:
            tags.append(tag.strip())
    return tuple(tags)


def _name(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value.strip()) <= MAX_NAME_CHARS:
        raise _bad(f"{key} must be a text of 1-{MAX_NAME_CHARS} characters")
    return value.strip()


def _bad(message: str) -> TicketError:
    return TicketError("bad_request", message)
