"""The InboxStore methods, written once for every backend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

from helpline.store.inbox import Closing, Unanswered, check_resolution
from helpline.store.operation import OperationRunner, Result


class InboxOps(Protocol):
    """What a backend's inbox module (sqlite_inbox, postgres_inbox) provides; each
    operation takes the backend's connection first."""

    def select_unanswered(
        self, conn: Any, since: float, limit: int, /
    ) -> Result[list[Unanswered]]: ...

    def select_closings(self, conn: Any, since: float, limit: int, /) -> Result[list[Closing]]: ...

    def insert_resolutions(
        self, conn: Any, rows: Sequence[tuple[str, int, str, str | None, str, float]], /
    ) -> Result[int]: ...


class InboxMethods(OperationRunner):
    """Mixed into a store, which names its operations in `_inbox_ops`."""

    _inbox_ops: ClassVar[InboxOps]

    async def unanswered_messages(self, since: float, limit: int = 5000) -> list[Unanswered]:
        found = await self._run(self._inbox_ops.select_unanswered, since, limit)
        return first_of_each(found)

    async def resolve_messages(
        self,
        keys: Sequence[tuple[str, int]],
        *,
        action: str,
        intent: str | None,
        by: str,
        now: float,
    ) -> int:
        check_resolution(action, intent)
        rows = [(cid, seq, action, intent, by, now) for cid, seq in dict.fromkeys(keys)]
        if not rows:
            return 0
        return await self._run(self._inbox_ops.insert_resolutions, rows)

    async def closed_by_agents(self, since: float, limit: int = 200) -> list[Closing]:
        return await self._run(self._inbox_ops.select_closings, since, limit)


def first_of_each(found: list[Unanswered]) -> list[Unanswered]:
    """Each message once, where it was first flagged (two thumbs-down on one answer point
    at the same question); oldest first."""
    seen: dict[tuple[str, int], Unanswered] = {}
    for message in sorted(found, key=lambda m: (m.created_at, m.conversation_id, m.seq)):
        seen.setdefault(message.key, message)
    return list(seen.values())

