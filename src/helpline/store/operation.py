"""How a store's contract methods run a backend's operations: the one `_run` they call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias, TypeVar

T = TypeVar("T")

# What an operation returns: a SQLite operation its value, a PostgreSQL one an awaitable of
# it. One alias for both lets a contract's methods be written once for every backend; each
# backend's _run knows which of the two its operations give.
Result: TypeAlias = T | Awaitable[T]


class OperationRunner:
    """The base of the contract mixins (ConversationMethods, AgentMethods, ...): they call
    `self._run(op, *args)`; the backend store overrides it."""

    async def _run(self, fn: Callable[..., Result[T]], *args: Any) -> T:
        """fn(connection, *args), atomically, as the backend runs an operation."""
        raise NotImplementedError
