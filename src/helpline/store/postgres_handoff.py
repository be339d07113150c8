"""The HandoffStore methods of PostgresStore (the operations live in postgres_handoff_ops)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from helpline.store import postgres_handoff_ops as ops
from helpline.store.base import Message, TurnRecord
from helpline.store.handoff import Claim, Escalation, Handoff, Note, Ticket

T = TypeVar("T")


class PostgresHandoffMethods:
    """Mixed into PostgresStore, so postgres.py stays small."""

    async def _run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        raise NotImplementedError  # PostgresStore's: runs fn in a transaction

    async def escalate(
        self, record: TurnRecord, escalation: Escalation, now: float
    ) -> tuple[list[Message], Ticket]:
        return await self._run(ops.escalate, record, escalation, now)

    async def handoffs(self) -> list[Handoff]:
        return await self._run(ops.handoffs)

    async def offer(self, conversation_id: str, agent_id: str, now: float) -> Handoff | None:
        return await self._run(ops.offer, conversation_id, agent_id, now)

    async def expire_offer(self, conversation_id: str, agent_id: str, now: float) -> bool:
        return await self._run(ops.expire_offer, conversation_id, agent_id, now)

    async def claim(
        self, conversation_id: str, agent_id: str, now: float, *, any_state: bool = False
    ) -> Claim | None:
        return await self._run(ops.claim, conversation_id, agent_id, now, any_state)

    async def transfer(
        self, conversation_id: str, from_agent: str, now: float,
        *, to_agent: str | None = None, to_team: str | None = None, note: str | None = None,
    ) -> Handoff | None:  # fmt: skip
        return await self._run(
            ops.transfer, conversation_id, from_agent, now, to_agent, to_team, note
        )

    async def finish(
        self, conversation_id: str, agent_id: str, record: TurnRecord, now: float,
        *, tags: Sequence[str] = (), reason: str,
    ) -> tuple[list[Message], Ticket] | None:  # fmt: skip
        return await self._run(ops.finish, conversation_id, agent_id, record, now, tags, reason)

    async def append_agent_message(
        self, conversation_id: str, agent_id: str, client_id: str,
        body: Mapping[str, Any], now: float,
    ) -> tuple[Message, bool] | None:  # fmt: skip
        return await self._run(
            ops.append_agent_message, conversation_id, agent_id, client_id, body, now
        )

    async def add_note(self, note: Note) -> tuple[Note, bool]:
        return await self._run(ops.add_note, note)

    async def notes(self, conversation_id: str) -> list[Note]:
        return await self._run(ops.notes, conversation_id)

    async def tickets(self, conversation_id: str) -> list[Ticket]:
        return await self._run(ops.tickets, conversation_id)

    async def customer_tickets(self, customer_id: str) -> list[Ticket]:
        return await self._run(ops.customer_tickets, customer_id)

    async def reopen_ticket(self, conversation_id: str, now: float) -> None:
        await self._run(ops.reopen_ticket, conversation_id, now)

    async def rate(
        self, conversation_id: str, rating: int, comment: str | None, now: float
    ) -> tuple[Ticket, bool] | None:
        return await self._run(ops.rate, conversation_id, rating, comment, now)

    async def recent_handle_times(self, limit: int = 50) -> list[float]:
        return await self._run(ops.recent_handle_times, limit)
