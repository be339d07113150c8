"""The HandoffStore methods, written once for every backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Protocol

from helpline.store.base import Message, TurnRecord
from helpline.store.handoff import Claim, Escalation, Handoff, Note, Ticket
from helpline.store.operation import OperationRunner, Result


class HandoffOps(Protocol):
    """What a backend's handoff module (sqlite_handoff_ops, postgres_handoff_ops) provides;
    each operation takes the backend's connection first."""

    def escalate(
        self, conn: Any, record: TurnRecord, escalation: Escalation, now: float, /
    ) -> Result[tuple[list[Message], Ticket]]: ...

    def handoffs(self, conn: Any, /) -> Result[list[Handoff]]: ...
    def select_handoff(self, conn: Any, cid: str, /) -> Result[Handoff | None]: ...

    def offer(
        self, conn: Any, cid: str, agent_id: str, now: float, /
    ) -> Result[Handoff | None]: ...

    def expire_offer(self, conn: Any, cid: str, agent_id: str, now: float, /) -> Result[bool]: ...

    def mark_urgent(
        self, conn: Any, cid: str, urgent: bool, agent_id: str, now: float, /
    ) -> Result[Handoff | None]: ...

    def claim(
        self, conn: Any, cid: str, agent_id: str, now: float, any_state: bool, /
    ) -> Result[Claim | None]: ...

    def transfer(
        self, conn: Any, cid: str, from_agent: str, now: float, to_agent: str | None,
        to_team: str | None, note: str | None, /,
    ) -> Result[Handoff | None]: ...  # fmt: skip

    def finish(
        self, conn: Any, cid: str, agent_id: str, record: TurnRecord, now: float,
        tags: Sequence[str], reason: str, /,
    ) -> Result[tuple[list[Message], Ticket] | None]: ...  # fmt: skip

    def append_agent_message(
        self, conn: Any, cid: str, agent_id: str, client_id: str, body: Mapping[str, Any],
        now: float, /,
    ) -> Result[tuple[Message, bool] | None]: ...  # fmt: skip

    def add_note(self, conn: Any, note: Note, /) -> Result[tuple[Note, bool]]: ...
    def notes(self, conn: Any, cid: str, /) -> Result[list[Note]]: ...
    def tickets(self, conn: Any, cid: str, /) -> Result[list[Ticket]]: ...
    def customer_tickets(self, conn: Any, customer_id: str, /) -> Result[list[Ticket]]: ...
    def reopen_ticket(self, conn: Any, cid: str, now: float, /) -> Result[None]: ...

    def rate(
        self, conn: Any, cid: str, rating: int, comment: str | None, now: float, /
    ) -> Result[tuple[Ticket, bool] | None]: ...

    def recent_handle_times(self, conn: Any, limit: int, /) -> Result[list[float]]: ...


class HandoffMethods(OperationRunner):
    """Mixed into a store, which names its operations in `_handoff_ops`."""

    _handoff_ops: ClassVar[HandoffOps]

    async def escalate(
        self, record: TurnRecord, escalation: Escalation, now: float
    ) -> tuple[list[Message], Ticket]:
        return await self._run(self._handoff_ops.escalate, record, escalation, now)

    async def handoffs(self) -> list[Handoff]:
        return await self._run(self._handoff_ops.handoffs)

    async def handoff(self, conversation_id: str) -> Handoff | None:
        return await self._run(self._handoff_ops.select_handoff, conversation_id)

    async def offer(self, conversation_id: str, agent_id: str, now: float) -> Handoff | None:
        return await self._run(self._handoff_ops.offer, conversation_id, agent_id, now)

    async def expire_offer(self, conversation_id: str, agent_id: str, now: float) -> bool:
        return await self._run(self._handoff_ops.expire_offer, conversation_id, agent_id, now)

    async def mark_urgent(
        self, conversation_id: str, urgent: bool, agent_id: str, now: float
    ) -> Handoff | None:
        ops = self._handoff_ops
        return await self._run(ops.mark_urgent, conversation_id, urgent, agent_id, now)

    async def claim(
        self, conversation_id: str, agent_id: str, now: float, *, any_state: bool = False
    ) -> Claim | None:
        ops = self._handoff_ops
        return await self._run(ops.claim, conversation_id, agent_id, now, any_state)

    async def transfer(
        self, conversation_id: str, from_agent: str, now: float,
        *, to_agent: str | None = None, to_team: str | None = None, note: str | None = None,
    ) -> Handoff | None:  # fmt: skip
        return await self._run(
            self._handoff_ops.transfer, conversation_id, from_agent, now, to_agent, to_team, note
        )

    async def finish(
        self, conversation_id: str, agent_id: str, record: TurnRecord, now: float,
        *, tags: Sequence[str] = (), reason: str,
    ) -> tuple[list[Message], Ticket] | None:  # fmt: skip
        return await self._run(
            self._handoff_ops.finish, conversation_id, agent_id, record, now, tags, reason
        )

    async def append_agent_message(
        self, conversation_id: str, agent_id: str, client_id: str,
        body: Mapping[str, Any], now: float,
    ) -> tuple[Message, bool] | None:  # fmt: skip
        return await self._run(
            self._handoff_ops.append_agent_message, conversation_id, agent_id, client_id,
            body, now,
        )  # fmt: skip

    async def add_note(self, note: Note) -> tuple[Note, bool]:
        return await self._run(self._handoff_ops.add_note, note)

    async def notes(self, conversation_id: str) -> list[Note]:
        return await self._run(self._handoff_ops.notes, conversation_id)

    async def tickets(self, conversation_id: str) -> list[Ticket]:
        return await self._run(self._handoff_ops.tickets, conversation_id)

    async def customer_tickets(self, customer_id: str) -> list[Ticket]:
        return await self._run(self._handoff_ops.customer_tickets, customer_id)

    async def reopen_ticket(self, conversation_id: str, now: float) -> None:
        await self._run(self._handoff_ops.reopen_ticket, conversation_id, now)

    async def rate(
        self, conversation_id: str, rating: int, comment: str | None, now: float
    ) -> tuple[Ticket, bool] | None:
        return await self._run(self._handoff_ops.rate, conversation_id, rating, comment, now)

    async def recent_handle_times(self, limit: int = 50) -> list[float]:
        return await self._run(self._handoff_ops.recent_handle_times, limit)
