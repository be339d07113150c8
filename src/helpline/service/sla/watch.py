"""The breach check: every few seconds, each unsolved ticket's timers; a timer newly past
its target is an `sla.breached` event, a console alert, a webhook call and, if the rules
say so, the ticket escalated to a team."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from helpline.bus.base import Bus
from helpline.errors import StoreError
from helpline.service.handoff import topics
from helpline.service.sla.tickets import MAX_CHECKED, TicketDesk
from helpline.service.sla.timer import Timer
from helpline.sla import SlaSettings
from helpline.store.handoff import Ticket
from helpline.store.tickets import UNSOLVED, TicketChange

log = logging.getLogger(__name__)

BREACHED = "sla.breached"  # on topics.QUEUE: consoles of the ticket's team and supervisors
TARGET_NAMES = {
    "first_response": ("첫 응답", "first response"),
    "next_response": ("다음 응답", "next response"),
    "resolution": ("해결", "resolution"),
}
Webhook = Callable[[dict[str, Any]], Awaitable[None]]


class BreachWatch:
    """Several nodes may check at once: the store records each breach once (add_breach),
    and only the node that recorded it alerts, calls the webhook and escalates."""

    def __init__(self, tickets: TicketDesk, bus: Bus, webhook: Webhook | None = None) -> None:
        self.tickets = tickets
        self.bus = bus
        self.webhook = webhook
        self._task: asyncio.Task[None] | None = None

    @property
    def settings(self) -> SlaSettings:
        return self.tickets.rules.current.rulebook.config.sla

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.settings.check_every_s)
            try:
                await self.check()
            except StoreError as exc:
                log.warning("SLA check skipped, the store refused: %s", exc)
            except Exception:  # a bug: keep checking the other tickets next time
                log.exception("SLA check failed; retrying next time")

    async def check(self) -> list[dict[str, Any]]:
        """One pass; the alerts this node raised."""
        if not self.settings.policies:
            return []
        now = self.tickets.clock()
        raised = []
        for record in await self.tickets.store.ticket_list(UNSOLVED, None, MAX_CHECKED):
            for timer in self.tickets.sla(record, now).breaches:
                ticket = record.ticket
                if await self.tickets.store.add_breach(
                    ticket.id, timer.target, timer.started_at, now
                ):
                    raised.append(await self._raise(ticket, timer))
        return raised

    async def _raise(self, ticket: Ticket, timer: Timer) -> dict[str, Any]:
        alert = breach_alert(ticket, timer)
        log.info("SLA %s breached on ticket %s", timer.target, ticket.id)
        if not timer.done:
            alert["escalated_to"] = await self._escalate(ticket)
        await self.bus.publish(topics.QUEUE, alert)
        if self.webhook is not None and self.settings.webhook:
            await self.webhook(alert)
        return alert

    async def _escalate(self, ticket: Ticket) -> str | None:
        team = self.settings.escalate_to
        if not team or team == ticket.team:
            return None
        await self.tickets.desk.service.know_team(team)
        change = TicketChange(team=team)
        changed = await self.tickets.store.change_ticket(
            ticket.id, change, None, self.tickets.clock()
        )
        if changed is None:
            return None
        await self.tickets.queue_moved(ticket.conversation_id, change)
        return team


def breach_alert(ticket: Ticket, timer: Timer) -> dict[str, Any]:
    """The frame consoles get, also the webhook's body: Slack shows its `text`."""
    ko, en = TARGET_NAMES.get(timer.target, (timer.target, timer.target))
    due = timer.due_at if timer.due_at is not None else timer.started_at + timer.limit_s
    when = datetime.fromtimestamp(due, UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = (
        f"SLA 위반: 티켓 {ticket.id}({ticket.team}, {ticket.priority})의 {ko} 기한 {when}\n"
        f"SLA breached: ticket {ticket.id} ({ticket.team}, {ticket.priority}): {en} was due {when}"
    )
    return {
        "type": BREACHED, "text": text, "ticket": ticket.id,
        "conversation": ticket.conversation_id, "team": ticket.team,
        "priority": ticket.priority, "target": timer.target, "due_at": timer.due_at,
    }  # fmt: skip
